package dev.claudemesh.broker.netty.it;

import dev.claudemesh.broker.core.crypto.Ed25519;
import dev.claudemesh.broker.core.testing.Identities;

import java.net.http.HttpResponse;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Request/reply helpers for the mesh-feature ITs (contexts, skills, streams, vault): a request with a fresh
 * {@code _reqId} and the frame that answers it, "nothing else arrived" shown by a {@code list_peers} marker, and an
 * admin member enrolled the way a real one is (an admin invite and {@code /join}).
 */
final class Requests {

    private static final AtomicLong IDS = new AtomicLong();

    private Requests() {
    }

    /** A fresh request id. */
    static String reqId() {
        return "r" + IDS.incrementAndGet();
    }

    /**
     * Sends {@code json}, which must end with {@code }}, with a fresh {@code _reqId} appended, and returns the frame
     * carrying that {@code _reqId} (a reply or an error).
     */
    static String ask(WsClient ws, String json) {
        String id = reqId();
        ws.send(json.substring(0, json.length() - 1) + ",\"_reqId\":\"" + id + "\"}");
        return ws.await(s -> s.contains("\"_reqId\":\"" + id + "\""), 10_000);
    }

    /** Strips {@code ,"_reqId":"…"} from a reply, for whole-frame comparisons. */
    static String withoutReqId(String frame) {
        return frame.replaceFirst(",\"_reqId\":\"r[0-9]+\"", "");
    }

    /**
     * Sends a {@code list_peers} and waits for its {@code peers_list}: frames sent before it have been handled, so a
     * test can then assert what did (not) arrive. Returns nothing; consumes the marker.
     */
    static void marker(WsClient ws) {
        ws.send("{\"type\":\"list_peers\"}");
        ws.awaitType("peers_list");
    }

    /** Enrols a member with role {@code admin} through an admin invite and {@code /join}. */
    static Identities.MemberKeys admin(BrokerFixture broker, String meshId, String name) throws Exception {
        EnrolmentSupport.Invite invite = EnrolmentSupport.createInvite(broker, meshId,
                "{\"maxUses\":1,\"expiresInS\":3600,\"role\":\"admin\"}");
        Ed25519.KeyPair keys = Ed25519.generate();
        HttpResponse<String> joined = EnrolmentSupport.join(broker, invite.token(), invite.payloadJson(),
                keys.publicKeyHex(), name);
        assertThat(joined.statusCode()).as(joined.body()).isEqualTo(200);
        return new Identities.MemberKeys(meshId, BrokerFixture.jsonField(joined.body(), "memberId"), keys);
    }
}
