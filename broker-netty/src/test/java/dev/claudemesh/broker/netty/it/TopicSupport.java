package dev.claudemesh.broker.netty.it;

import dev.claudemesh.broker.core.crypto.Ed25519;
import dev.claudemesh.broker.core.testing.Identities;

import java.net.http.HttpResponse;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** Helpers of the topic and API-key ITs: requests with request ids, admin members, API keys over the WebSocket. */
final class TopicSupport {

    private static final AtomicInteger REQ = new AtomicInteger();

    private TopicSupport() {
    }

    /** Sends {@code json} (an object without its closing brace's {@code _reqId}) and waits for the frame echoing it. */
    static String request(WsClient ws, String jsonWithoutClosingBrace) {
        String reqId = "q" + REQ.incrementAndGet();
        ws.send(jsonWithoutClosingBrace + ",\"_reqId\":\"" + reqId + "\"}");
        return ws.await(s -> s.endsWith("\"_reqId\":\"" + reqId + "\"}"), 10_000);
    }

    /** The id of a topic created by {@code ws}'s member. */
    static String createTopic(WsClient ws, String name, String visibility) {
        String r = request(ws, "{\"type\":\"topic_create\",\"name\":\"" + name + "\""
                + (visibility == null ? "" : ",\"visibility\":\"" + visibility + "\""));
        assertThat(r).as(r).contains("\"type\":\"topic_created\"");
        return BrokerFixture.jsonField(r, "id");
    }

    /**
     * Waits until everything {@code ws} sent before has been handled and committed: a {@code topic_list} round trip
     * (the topic service's storage calls of a mesh run in order, and its answers to one socket keep their order, so
     * anything the broker wrote to this socket before is received before the answer).
     */
    static void sync(WsClient ws) {
        assertThat(request(ws, "{\"type\":\"topic_list\"")).contains("\"type\":\"topic_list_response\"");
    }

    /** A reply-less request ({@code topic_join}, {@code topic_leave}, {@code topic_mark_read}), then {@link #sync}. */
    static void fireAndSync(WsClient ws, String json) {
        ws.send(json);
        sync(ws);
    }

    /** A member enrolled through an invite with role {@code admin} (the admin API adds plain members only). */
    static Identities.MemberKeys adminMember(BrokerFixture broker, String meshId, String name) throws Exception {
        EnrolmentSupport.Invite invite = EnrolmentSupport.createInvite(broker, meshId,
                "{\"maxUses\":1,\"expiresInS\":3600,\"role\":\"admin\"}");
        Ed25519.KeyPair kp = Ed25519.generate();
        HttpResponse<String> r = EnrolmentSupport.join(broker, invite.token(), invite.payloadJson(),
                kp.publicKeyHex(), name);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return new Identities.MemberKeys(meshId, BrokerFixture.jsonField(r.body(), "memberId"), kp);
    }

    /** An API key minted over {@code ws}: the {@code apikey_created} frame. */
    static String mintKey(WsClient ws, String capabilitiesJson, String topicScopesJson) {
        String r = request(ws, "{\"type\":\"apikey_create\",\"label\":\"it\",\"capabilities\":" + capabilitiesJson
                + (topicScopesJson == null ? "" : ",\"topicScopes\":" + topicScopesJson));
        assertThat(r).as(r).contains("\"type\":\"apikey_created\"");
        return r;
    }

    /** The secret of an {@code apikey_created} frame. */
    static String secret(String created) {
        return BrokerFixture.jsonField(created, "secret");
    }
}
