package dev.claudemesh.broker.netty.it;

import dev.claudemesh.broker.core.testing.Identities;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static dev.claudemesh.broker.netty.it.TopicSupport.createTopic;
import static dev.claudemesh.broker.netty.it.TopicSupport.fireAndSync;
import static dev.claudemesh.broker.netty.it.TopicSupport.mintKey;
import static dev.claudemesh.broker.netty.it.TopicSupport.request;
import static dev.claudemesh.broker.netty.it.TopicSupport.secret;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The REST API under {@code /api/v1} (PROTOCOL-MESH §8.10) served by the broker with bearer API keys: every route's
 * success shape and its 401 / 403 / 404 answers, private topics, and posts reaching WebSocket subscribers at once.
 * The event stream is {@link TopicStreamIT}'s.
 */
class RestApiIT {

    private static BrokerFixture broker;
    private static String mesh;
    private static Identities.MemberKeys aliceKeys;
    private static Identities.MemberKeys bobKeys;
    private static BrokerFixture.Peer alice;
    private static BrokerFixture.Peer bob;
    private static String opsId;

    /** Every route with a body that passes validation, so that only the key decides the answer. */
    private static final List<String[]> ROUTES = List.of(
            new String[] {"POST", "/api/v1/messages", "{\"topic\":\"ops\",\"ciphertext\":\"aGk=\",\"nonce\":\"bm9uY2U=\"}"},
            new String[] {"GET", "/api/v1/topics/ops/messages", null},
            new String[] {"GET", "/api/v1/topics/ops/key", null},
            new String[] {"GET", "/api/v1/topics/ops/pending-seals", null},
            new String[] {"POST", "/api/v1/topics/ops/seal", "{\"memberId\":\"m\",\"encryptedKey\":\"k\",\"nonce\":\"n\"}"},
            new String[] {"GET", "/api/v1/topics/ops/stream", null},
            new String[] {"GET", "/api/v1/notifications", null},
            new String[] {"GET", "/api/v1/members", null},
            new String[] {"GET", "/api/v1/me/workspace", null},
            new String[] {"GET", "/api/v1/me/topics", null},
            new String[] {"GET", "/api/v1/me/notifications", null},
            new String[] {"GET", "/api/v1/me/activity", null},
            new String[] {"GET", "/api/v1/me/search?q=hi", null},
            new String[] {"GET", "/api/v1/me/tasks", null},
            new String[] {"GET", "/api/v1/me/state", null},
            new String[] {"GET", "/api/v1/me/memory", null});

    @BeforeAll
    static void start() throws Exception {
        broker = new BrokerFixture(Map.of("SEND_RATE_LIMIT_PER_MIN", "0"));
        mesh = broker.createMesh("rest");
        aliceKeys = broker.addMember(mesh, "alice");
        bobKeys = broker.addMember(mesh, "bob");
        alice = broker.session(aliceKeys, "s-a");
        bob = broker.session(bobKeys, "s-b");
        opsId = createTopic(alice.ws(), "ops", null);
        fireAndSync(bob.ws(), "{\"type\":\"topic_join\",\"topic\":\"ops\"}");
    }

    @AfterAll
    static void stop() {
        broker.close();
    }

    private static HttpResponse<String> call(String method, String path, String body, String key) throws Exception {
        return broker.request(method, path, body, key);
    }

    @Test
    void shouldAnswer401WithoutAValidKeyOnEveryRoute() throws Exception {
        String revoked = mintKey(alice.ws(), "[\"read\",\"send\"]", null);
        request(alice.ws(), "{\"type\":\"apikey_revoke\",\"id\":\"" + BrokerFixture.jsonField(revoked, "id") + "\"");
        String expired = secret(request(alice.ws(), "{\"type\":\"apikey_create\",\"label\":\"old\",\"capabilities\":"
                + "[\"read\"],\"expiresAt\":\"" + Instant.now().minusSeconds(1) + "\""));
        for (String[] r : ROUTES) {
            HttpResponse<String> none = call(r[0], r[1], r[2], null);
            assertThat(none.statusCode()).as(r[1]).isEqualTo(401);
            assertThat(none.body()).startsWith("{\"error\":\"api_key_missing\",\"code\":\"error.api_key_missing\",");
            for (String bad : List.of("cm_" + "A".repeat(43), "not-a-key", secret(revoked), expired)) {
                HttpResponse<String> invalid = call(r[0], r[1], r[2], bad);
                assertThat(invalid.statusCode()).as(r[1] + " " + bad.length()).isEqualTo(401);
                assertThat(invalid.body()).contains("\"error\":\"api_key_invalid\"").contains("\"status\":401");
            }
        }
        // unknown paths of the area are not revealed without a key; with one they are 404
        assertThat(call("GET", "/api/v1/nothing", null, null).statusCode()).isEqualTo(401);
        String reader = secret(mintKey(alice.ws(), "[\"read\"]", null));
        assertThat(call("GET", "/api/v1/nothing", null, reader).statusCode()).isEqualTo(404);
    }

    @Test
    void shouldAnswer403WithoutTheCapabilityOrTopicScope() throws Exception {
        String readOnly = secret(mintKey(bob.ws(), "[\"read\"]", "[\"ops\"]"));
        String sendOnly = secret(mintKey(bob.ws(), "[\"send\"]", null));
        String otherScope = secret(mintKey(bob.ws(), "[\"read\",\"send\"]", "[\"other\"]"));
        for (String[] r : List.of(ROUTES.get(0), ROUTES.get(4))) { // the two that need send
            HttpResponse<String> a = call(r[0], r[1], r[2], readOnly);
            assertThat(a.statusCode()).as(r[1]).isEqualTo(403);
            assertThat(a.body()).contains("\"error\":\"api_key_missing_capability\"");
        }
        for (String[] r : ROUTES.subList(1, 4)) {
            assertThat(call(r[0], r[1], r[2], sendOnly).body()).as(r[1]).contains("api_key_missing_capability");
        }
        for (String[] r : ROUTES.subList(0, 6)) {
            HttpResponse<String> a = call(r[0], r[1], r[2], otherScope);
            assertThat(a.statusCode()).as(r[1]).isEqualTo(403);
            assertThat(a.body()).contains("\"error\":\"api_key_topic_out_of_scope\"");
        }
        for (String[] r : ROUTES.subList(6, ROUTES.size())) {
            assertThat(call(r[0], r[1], r[2], sendOnly).statusCode()).as(r[1]).isEqualTo(403);
        }
    }

    @Test
    void shouldAnswer404ForAnUnknownTopicOnEveryTopicRoute() throws Exception {
        String key = secret(mintKey(alice.ws(), "[\"read\",\"send\"]", null));
        assertThat(call("POST", "/api/v1/messages", "{\"topic\":\"nope\",\"ciphertext\":\"aGk=\",\"nonce\":\"bg==\"}",
                key).body()).isEqualTo("{\"error\":\"topic_not_found\",\"topic\":\"nope\"}");
        for (String tail : List.of("messages", "key", "pending-seals", "stream")) {
            HttpResponse<String> r = call("GET", "/api/v1/topics/nope/" + tail, null, key);
            assertThat(r.statusCode()).as(tail).isEqualTo(404);
            assertThat(r.body()).isEqualTo("{\"error\":\"topic_not_found\",\"topic\":\"nope\"}");
        }
        assertThat(call("POST", "/api/v1/topics/nope/seal", "{\"memberId\":\"m\",\"encryptedKey\":\"k\",\"nonce\":\"n\"}",
                key).statusCode()).isEqualTo(404);
        assertThat(call("POST", "/api/v1/messages", "{\"topic\":\"ops\",\"ciphertext\":\"not base64!\",\"nonce\":\"bg==\"}",
                key).body()).startsWith("{\"error\":\"bad_request\",");
        assertThat(call("GET", "/api/v1/topics/ops/messages?limit=500", null, key).statusCode()).isEqualTo(400);
    }

    @Test
    void shouldPostToATopicAndReachItsWebSocketSubscribersAtOnce() throws Exception {
        String key = secret(mintKey(alice.ws(), "[\"read\",\"send\"]", "[\"ops\"]"));
        HttpResponse<String> r = call("POST", "/api/v1/messages", "{\"topic\":\"ops\",\"ciphertext\":\"aGkgQGJvYg==\","
                + "\"nonce\":\"bm9uY2U=\",\"priority\":\"now\"}", key);

        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        String id = BrokerFixture.jsonField(r.body(), "messageId");
        assertThat(r.body()).isEqualTo("{\"messageId\":\"" + id + "\",\"historyId\":\"" + id + "\",\"queueId\":\"" + id
                + "\",\"topic\":\"ops\",\"topicId\":\"" + opsId + "\",\"notifications\":1,\"bodyVersion\":1}");
        // bob's lease got the push (alice's own lease, the sender's member, did not)
        String push = bob.ws().await(s -> s.contains("\"messageId\":\"" + id + "\""), 5_000);
        assertThat(push).contains("\"senderPubkey\":\"" + aliceKeys.pubkey() + "\"").contains("\"senderName\":\"alice\"")
                .contains("\"priority\":\"now\"").endsWith(",\"topic\":\"ops\"}");
        TopicSupport.sync(alice.ws());
        assertThat(alice.ws().all(id)).isEmpty();

        // the reply is kept (same topic) and shown by GET messages, newest first, with the member key as sender
        HttpResponse<String> reply = call("POST", "/api/v1/messages", "{\"topic\":\"ops\",\"ciphertext\":\"b2s=\","
                + "\"nonce\":\"bm9uY2U=\",\"bodyVersion\":2,\"replyToId\":\"" + id + "\",\"mentions\":[\"@Bob\"]}", key);
        assertThat(reply.body()).contains("\"bodyVersion\":2,\"replyToId\":\"" + id + "\"}")
                .contains("\"notifications\":1");
        HttpResponse<String> page = call("GET", "/api/v1/topics/ops/messages?limit=2", null, key);
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).startsWith("{\"topic\":\"ops\",\"topicId\":\"" + opsId + "\",\"messages\":[{\"id\":\""
                + BrokerFixture.jsonField(reply.body(), "messageId") + "\",\"senderMemberId\":\"" + aliceKeys.memberId()
                + "\",\"senderPubkey\":\"" + aliceKeys.pubkey() + "\",\"senderName\":\"alice\",\"nonce\":\"bm9uY2U=\","
                + "\"ciphertext\":\"b2s=\",\"bodyVersion\":2,\"replyToId\":\"" + id + "\",\"createdAt\":\"");
        assertThat(call("GET", "/api/v1/topics/ops/messages?before=" + BrokerFixture.jsonField(reply.body(),
                "messageId"), null, key).body()).contains("\"id\":\"" + id + "\"").doesNotContain("b2s=");
    }

    @Test
    void shouldServeSealedKeysPendingSealsAndReSeals() throws Exception {
        String aliceKey = secret(mintKey(alice.ws(), "[\"read\",\"send\"]", null));
        String bobKey = secret(mintKey(bob.ws(), "[\"read\"]", null));

        HttpResponse<String> key = call("GET", "/api/v1/topics/ops/key", null, aliceKey);
        assertThat(key.statusCode()).isEqualTo(200);
        assertThat(key.body()).matches("\\{\"topic\":\"ops\",\"topicId\":\"" + opsId + "\",\"encryptedKey\":"
                + "\"[A-Za-z0-9+/=]{108}\",\"nonce\":\"[A-Za-z0-9+/]{32}\",\"senderPubkey\":\"[0-9a-f]{64}\","
                + "\"createdAt\":\"[^\"]+\"}");
        assertThat(call("GET", "/api/v1/topics/ops/key", null, bobKey).body()).startsWith(
                "{\"error\":\"key_not_sealed_for_member\",\"topic\":\"ops\",\"hint\":");
        HttpResponse<String> pending = call("GET", "/api/v1/topics/ops/pending-seals", null, aliceKey);
        assertThat(pending.body()).isEqualTo("{\"topic\":\"ops\",\"topicId\":\"" + opsId + "\",\"senderPubkey\":\""
                + BrokerFixture.jsonField(key.body(), "senderPubkey") + "\",\"pending\":[{\"memberId\":\""
                + bobKeys.memberId() + "\",\"pubkey\":\"" + bobKeys.pubkey() + "\",\"displayName\":\"bob\"}]}");
        // a read-only key cannot re-seal (the CLI's topic tail at this commit); a send key can
        assertThat(call("POST", "/api/v1/topics/ops/seal", "{\"memberId\":\"" + bobKeys.memberId()
                + "\",\"encryptedKey\":\"c2VhbGVk\",\"nonce\":\"bm9uY2U=\"}", bobKey).statusCode()).isEqualTo(403);
        HttpResponse<String> sealed = call("POST", "/api/v1/topics/ops/seal", "{\"memberId\":\"" + bobKeys.memberId()
                + "\",\"encryptedKey\":\"c2VhbGVk\",\"nonce\":\"bm9uY2U=\"}", aliceKey);
        assertThat(sealed.body()).matches("\\{\"topic\":\"ops\",\"topicId\":\"" + opsId + "\",\"memberId\":\""
                + bobKeys.memberId() + "\",\"sealedAt\":\"[^\"]+\"}");
        assertThat(call("GET", "/api/v1/topics/ops/key", null, bobKey).body()).contains("\"encryptedKey\":\"c2VhbGVk\"");
        assertThat(call("GET", "/api/v1/topics/ops/pending-seals", null, aliceKey).body()).contains("\"pending\":[]");
        Identities.MemberKeys carol = broker.addMember(mesh, "carol");
        assertThat(call("POST", "/api/v1/topics/ops/seal", "{\"memberId\":\"" + carol.memberId()
                + "\",\"encryptedKey\":\"eA==\",\"nonce\":\"eA==\"}", aliceKey).body())
                .isEqualTo("{\"error\":\"recipient_not_in_topic\"}");

        // a topic without a key (as the original's v1 topics): 409 and an empty pending list
        String legacy = "lg" + opsId.substring(2);
        sql("insert into mesh.topic (id, mesh_id, name, visibility) values ('" + legacy + "', '" + mesh
                + "', 'legacy', 'public')");
        assertThat(call("GET", "/api/v1/topics/legacy/key", null, aliceKey).body())
                .startsWith("{\"error\":\"topic_unencrypted\",\"topic\":\"legacy\",");
        assertThat(call("GET", "/api/v1/topics/legacy/key", null, aliceKey).statusCode()).isEqualTo(409);
        assertThat(call("GET", "/api/v1/topics/legacy/pending-seals", null, aliceKey).body())
                .isEqualTo("{\"pending\":[],\"senderPubkey\":null}");
        assertThat(call("POST", "/api/v1/topics/legacy/seal", "{\"memberId\":\"m\",\"encryptedKey\":\"k\",\"nonce\":"
                + "\"n\"}", aliceKey).statusCode()).isEqualTo(409);
    }

    @Test
    void shouldKeepPrivateTopicsToTheirSubscribers() throws Exception {
        createTopic(alice.ws(), "hidden", "private");
        String bobKey = secret(mintKey(bob.ws(), "[\"read\",\"send\"]", null));
        for (String tail : List.of("messages", "key", "pending-seals", "stream")) {
            HttpResponse<String> r = call("GET", "/api/v1/topics/hidden/" + tail, null, bobKey);
            assertThat(r.statusCode()).as(tail).isEqualTo(403);
            assertThat(r.body()).isEqualTo("{\"error\":\"not_subscribed\",\"topic\":\"hidden\"}");
        }
        assertThat(call("POST", "/api/v1/messages", "{\"topic\":\"hidden\",\"ciphertext\":\"aGk=\",\"nonce\":\"bg==\"}",
                bobKey).statusCode()).isEqualTo(403);
    }

    @Test
    void shouldListMembersNotificationsAndTheMeViews() throws Exception {
        String aliceKey = secret(mintKey(alice.ws(), "[\"read\",\"send\"]", null));
        String bobKey = secret(mintKey(bob.ws(), "[\"read\"]", null));
        call("POST", "/api/v1/messages", "{\"topic\":\"ops\",\"ciphertext\":\"cGluZyBAYm9i\",\"nonce\":\"bg==\"}",
                aliceKey);
        broker.addMember(mesh, "dave");

        String members = call("GET", "/api/v1/members", null, bobKey).body();
        assertThat(members).startsWith("{\"members\":[{\"memberId\":\"" + aliceKeys.memberId() + "\",\"pubkey\":\""
                + aliceKeys.pubkey() + "\",\"displayName\":\"alice\",\"role\":\"member\",\"isHuman\":false,\"joinedAt\":");
        assertThat(members).containsPattern("\"displayName\":\"alice\"[^}]*\"online\":true,\"status\":\"idle\","
                + "\"summary\":null}").containsPattern("\"displayName\":\"dave\"[^}]*\"online\":false,"
                + "\"status\":\"offline\",\"summary\":null}");

        String notes = call("GET", "/api/v1/notifications", null, bobKey).body();
        assertThat(notes).startsWith("{\"notifications\":[{\"id\":\"").contains("\"topicName\":\"ops\"")
                .contains("\"senderName\":\"alice\"").contains("\"ciphertext\":\"cGluZyBAYm9i\"")
                .contains("\"kind\":\"mention\",\"readAt\":null").contains("\"mentionedAs\":\"bob\"}");
        assertThat(call("GET", "/api/v1/notifications?unread=1&since=2000-01-01", null, bobKey).body())
                .contains("cGluZyBAYm9i");
        assertThat(call("GET", "/api/v1/notifications?since=yesterday", null, bobKey).body())
                .isEqualTo("{\"error\":\"invalid_since\"}");
        assertThat(call("GET", "/api/v1/notifications", null, aliceKey).body()).contains("\"notifications\":[]");

        String ws = call("GET", "/api/v1/me/workspace", null, bobKey).body();
        assertThat(ws).startsWith("{\"userId\":\"" + bobKeys.memberId() + "\",\"meshes\":[{\"meshId\":\"" + mesh
                + "\",\"slug\":\"rest\",\"name\":\"rest\",\"memberId\":\"" + bobKeys.memberId() + "\",\"myRole\":"
                + "\"member\",\"joinedAt\":").contains("\"totals\":{\"meshes\":1,");
        String topics = call("GET", "/api/v1/me/topics", null, bobKey).body();
        assertThat(topics).contains("\"name\":\"ops\"").contains("\"meshSlug\":\"rest\"").containsPattern(
                "\"unread\":[1-9]\\d*,\"lastMessageAt\":\"");
        assertThat(call("GET", "/api/v1/me/notifications", null, bobKey).body()).contains("\"snippet\":\"ping @bob\"")
                .contains("\"read\":false");
        assertThat(call("GET", "/api/v1/me/activity", null, bobKey).body()).contains("\"snippet\":\"ping @bob\"");
        assertThat(call("GET", "/api/v1/me/search?q=PING", null, bobKey).body()).contains("\"query\":\"PING\"")
                .contains("\"snippet\":\"ping @bob\"");
        assertThat(call("GET", "/api/v1/me/search?q=o", null, bobKey).body()).isEqualTo("{\"query\":\"o\","
                + "\"topics\":[],\"messages\":[],\"totals\":{\"topics\":0,\"messages\":0}}");
        for (String view : List.of("tasks", "state", "memory")) {
            HttpResponse<String> r = call("GET", "/api/v1/me/" + view, null, bobKey);
            assertThat(r.statusCode()).isEqualTo(400);
            assertThat(r.body()).isEqualTo("{\"error\":\"issuer_member_has_no_user\"}");
        }
    }

    private static void sql(String statement) throws Exception {
        try (Connection c = DriverManager.getConnection(broker.databaseUrl()); Statement s = c.createStatement()) {
            s.execute(statement);
        }
    }
}
