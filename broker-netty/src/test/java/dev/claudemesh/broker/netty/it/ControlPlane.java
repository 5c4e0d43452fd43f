package dev.claudemesh.broker.netty.it;

import dev.claudemesh.broker.core.crypto.Ed25519;
import dev.claudemesh.broker.core.envelope.JsonOut;
import dev.claudemesh.broker.core.testing.Identities;

import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Control-plane peers ({@code hello}, as the CLI daemon and every cold-path CLI call connect) and small helpers for
 * the presence integration tests: frames parsed as JSON, {@code list_peers} round trips whose answer is a
 * deterministic "nothing else arrived before this" marker.
 */
final class ControlPlane {

    private static final AtomicInteger REQ_IDS = new AtomicInteger();

    private ControlPlane() {
    }

    /** A connected control-plane socket and its {@code hello_ack}. */
    record Hello(WsClient ws, String ack) {
        String presenceId() {
            return BrokerFixture.jsonField(ack, "presenceId");
        }

        Map<String, Object> ackJson() {
            return Json.object(ack);
        }
    }

    /** The {@code hello} frame the daemon sends, signed by the member key; {@code groupsJson} may be null. */
    static String helloFrame(Identities.MemberKeys m, String sessionId, String displayName, String groupsJson) {
        long ts = System.currentTimeMillis();
        String sig = Ed25519.sign(m.keys().seed(), m.meshId() + "|" + m.memberId() + "|" + m.pubkey() + "|" + ts);
        JsonOut o = new JsonOut().beginObject().field("type", "hello").field("meshId", m.meshId())
                .field("memberId", m.memberId()).field("pubkey", m.pubkey()).field("displayName", displayName)
                .field("sessionId", sessionId).field("pid", 42).field("cwd", "/w").field("hostname", "h")
                .field("peerType", "ai").field("channel", "claudemesh-daemon");
        String head = o.toString();
        String groups = groupsJson == null ? "" : ",\"groups\":" + groupsJson;
        return head + groups + ",\"timestamp\":" + ts + ",\"signature\":\"" + sig + "\"}";
    }

    /** Connects and says {@code hello}; fails unless a {@code hello_ack} comes back. */
    static Hello hello(BrokerFixture broker, Identities.MemberKeys m, String sessionId, String displayName,
                       String groupsJson) {
        WsClient ws = broker.ws();
        ws.send(helloFrame(m, sessionId, displayName, groupsJson));
        String ack = ws.await(s -> s.contains("\"type\":\"hello_ack\"") || s.contains("\"type\":\"error\""), 5_000);
        assertThat(ack).as("hello answer").contains("\"type\":\"hello_ack\"");
        return new Hello(ws, ack);
    }

    static Hello hello(BrokerFixture broker, Identities.MemberKeys m, String sessionId) {
        return hello(broker, m, sessionId, "d-" + sessionId, null);
    }

    /** A {@code list_peers} round trip: its answer follows everything the broker sent {@code ws} before. */
    static List<Map<String, Object>> peers(WsClient ws) {
        String reqId = "lp-" + REQ_IDS.incrementAndGet();
        ws.send("{\"type\":\"list_peers\",\"_reqId\":\"" + reqId + "\"}");
        String reply = ws.await(s -> s.contains("\"_reqId\":\"" + reqId + "\""), 5_000);
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> peers = (List<Map<String, Object>>) Json.object(reply).get("peers");
        return peers;
    }

    /** The row of {@code peers} whose {@code pubkey} is {@code key}, or null. */
    static Map<String, Object> row(List<Map<String, Object>> peers, String key) {
        return peers.stream().filter(p -> key.equals(p.get("pubkey"))).findFirst().orElse(null);
    }

    /** The row of {@code peers} whose {@code sessionId} is {@code sessionId}, or null. */
    static Map<String, Object> rowOfSession(List<Map<String, Object>> peers, String sessionId) {
        return peers.stream().filter(p -> sessionId.equals(p.get("sessionId"))).findFirst().orElse(null);
    }

    /** Sends {@code frame} with a fresh {@code _reqId} and returns the frame that echoes it. */
    static Map<String, Object> request(WsClient ws, String frameWithoutClosingBrace) {
        String reqId = "r-" + REQ_IDS.incrementAndGet();
        ws.send(frameWithoutClosingBrace + ",\"_reqId\":\"" + reqId + "\"}");
        return Json.object(ws.await(s -> s.contains("\"_reqId\":\"" + reqId + "\""), 5_000));
    }

    /** The {@code eventData} of the next system push of {@code event} on {@code ws}. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> event(WsClient ws, String event) {
        Map<String, Object> push = Json.object(ws.await("\"event\":\"" + event + "\""));
        assertThat(push.get("subtype")).isEqualTo("system");
        return (Map<String, Object>) push.get("eventData");
    }
}
