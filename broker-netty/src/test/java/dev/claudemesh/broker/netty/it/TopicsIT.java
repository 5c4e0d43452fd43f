package dev.claudemesh.broker.netty.it;

import dev.claudemesh.broker.core.testing.Identities;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static dev.claudemesh.broker.netty.it.TopicSupport.createTopic;
import static dev.claudemesh.broker.netty.it.TopicSupport.request;
import static dev.claudemesh.broker.netty.it.TopicSupport.sync;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Topics over the WebSocket (PROTOCOL-MESH §8.2–§8.6, §8.12) against a real broker and PostgreSQL: reply shapes field
 * by field, live fan-out of {@code #topic} sends to every subscribed lease (§16 defect 8), history, private topics
 * (defect 2), request ids on errors (defect 14), {@code beforeId} and re-create (defect 18), mentions, limits.
 */
class TopicsIT {

    private static BrokerFixture broker;

    @BeforeAll
    static void start() throws Exception {
        broker = new BrokerFixture(Map.of("TOPICS_MAX_PER_MESH", "5", "SEND_RATE_LIMIT_PER_MIN", "0"));
    }

    @AfterAll
    static void stop() {
        broker.close();
    }

    @Test
    void shouldCreateOnceAndEchoTheStoredVisibilityWithoutSubscribingALaterCaller() throws Exception {
        String mesh = broker.createMesh("topics-create");
        BrokerFixture.Peer alice = broker.session(broker.addMember(mesh, "alice"), "s-a");
        BrokerFixture.Peer bob = broker.session(broker.addMember(mesh, "bob"), "s-b");

        String first = request(alice.ws(), "{\"type\":\"topic_create\",\"name\":\"deploys\",\"description\":"
                + "\"deploy + on-call\",\"visibility\":\"private\"");
        String id = BrokerFixture.jsonField(first, "id");
        assertThat(first).matches("\\{\"type\":\"topic_created\",\"topic\":\\{\"id\":\"[0-9A-Za-z]{32}\","
                + "\"name\":\"deploys\",\"visibility\":\"private\"},\"created\":true,\"_reqId\":\"q\\d+\"}");
        String again = request(bob.ws(), "{\"type\":\"topic_create\",\"name\":\"deploys\",\"visibility\":\"public\"");
        assertThat(again).contains("\"id\":\"" + id + "\"").contains("\"visibility\":\"private\"")
                .contains("\"created\":false");

        String list = request(alice.ws(), "{\"type\":\"topic_list\"");
        assertThat(list).matches("\\{\"type\":\"topic_list_response\",\"topics\":\\[\\{\"id\":\"" + id
                + "\",\"name\":\"deploys\",\"description\":\"deploy \\+ on-call\",\"visibility\":\"private\","
                + "\"memberCount\":1,\"createdAt\":\"\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z\"}],"
                + "\"_reqId\":\"q\\d+\"}");
        String members = request(alice.ws(), "{\"type\":\"topic_members\",\"topic\":\"deploys\"");
        assertThat(members).contains("\"topic\":\"deploys\"").contains("\"displayName\":\"alice\",\"role\":\"lead\"")
                .doesNotContain("bob");
        assertThat(Sql.count(broker.databaseUrl(), "select count(*) from mesh.topic_member_key where topic_id = '"
                + id + "'")).isEqualTo(1); // the creator's sealed copy

        String bad = request(alice.ws(), "{\"type\":\"topic_create\",\"name\":\"x\",\"visibility\":\"secret\"");
        assertThat(bad).isEqualTo("{\"type\":\"error\",\"code\":\"bad_request\",\"message\":\"visibility must be "
                + "public, private or dm\"," + bad.substring(bad.indexOf("\"_reqId\"")));
        String noName = request(alice.ws(), "{\"type\":\"topic_create\",\"name\":7");
        assertThat(noName).contains("\"code\":\"bad_request\"");
    }

    @Test
    void shouldPushATopicSendLiveToEveryLeaseOfEverySubscriberButTheSendersMember() throws Exception {
        String mesh = broker.createMesh("topics-fanout");
        Identities.MemberKeys aliceKeys = broker.addMember(mesh, "alice");
        Identities.MemberKeys bobKeys = broker.addMember(mesh, "bob");
        BrokerFixture.Peer alice = broker.session(aliceKeys, "s-a1");
        BrokerFixture.Peer alice2 = broker.session(aliceKeys, "s-a2");
        BrokerFixture.Peer bob1 = broker.session(bobKeys, "s-b1");
        BrokerFixture.Peer bob2 = broker.session(bobKeys, "s-b2");
        BrokerFixture.Peer carol = broker.session(broker.addMember(mesh, "carol"), "s-c");
        String topic = createTopic(alice.ws(), "ops", null);
        TopicSupport.fireAndSync(bob1.ws(), "{\"type\":\"topic_join\",\"topic\":\"ops\"}");

        alice.ws().send("{\"type\":\"send\",\"id\":\"m1\",\"client_message_id\":\"cm-1\",\"targetSpec\":\"#" + topic
                + "\",\"priority\":\"now\",\"nonce\":\"bm9uY2U=\",\"ciphertext\":\"aGVsbG8gQGNhcm9s\"}");
        String ack = alice.ws().awaitType("ack");
        assertThat(ack).contains("\"id\":\"m1\"").contains("\"queued\":true");
        String messageId = BrokerFixture.jsonField(ack, "messageId");

        for (BrokerFixture.Peer b : List.of(bob1, bob2)) {
            String push = b.ws().await(s -> s.contains("\"topic\":\"ops\""), 5_000);
            assertThat(push).matches("\\{\"type\":\"push\",\"messageId\":\"" + messageId + "\",\"meshId\":\"" + mesh
                    + "\",\"senderPubkey\":\"" + alice.key() + "\",\"senderMemberPubkey\":\"" + aliceKeys.pubkey()
                    + "\",\"senderMemberId\":\"" + aliceKeys.memberId() + "\",\"senderName\":\"alice\","
                    + "\"priority\":\"now\",\"nonce\":\"bm9uY2U=\",\"ciphertext\":\"aGVsbG8gQGNhcm9s\","
                    + "\"createdAt\":\"[0-9T:.Z-]{24}\",\"topic\":\"ops\"}");
        }
        // nobody else got it: the sender's own sessions and a member that is not subscribed
        for (BrokerFixture.Peer p : List.of(alice, alice2, carol)) {
            sync(p.ws());
            assertThat(p.ws().all("\"topic\":\"ops\"")).isEmpty();
        }
        String history = request(carol.ws(), "{\"type\":\"topic_history\",\"topic\":\"" + topic + "\"");
        assertThat(history).contains("\"messages\":[{\"id\":\"" + messageId + "\",\"senderPubkey\":\"" + alice.key()
                + "\",\"senderMemberId\":\"" + aliceKeys.memberId() + "\",\"senderName\":\"alice\",\"nonce\":"
                + "\"bm9uY2U=\",\"ciphertext\":\"aGVsbG8gQGNhcm9s\",\"bodyVersion\":1,\"createdAt\":");
        // the queue row is delivered already (no drain re-delivers it), and the @carol mention made a notification
        assertThat(Sql.count(broker.databaseUrl(), "select count(*) from mesh.message_queue where id = '" + messageId
                + "' and target_key = '#" + topic + "' and delivered_at is not null")).isEqualTo(1);
        assertThat(Sql.count(broker.databaseUrl(), "select count(*) from mesh.notification n join mesh.member m on "
                + "m.id = n.recipient_member_id where n.message_id = '" + messageId + "' and m.display_name = 'carol'"))
                .isEqualTo(1);

        // a repeat of the same client_message_id gets the first ack, not a second message
        alice.ws().send("{\"type\":\"send\",\"id\":\"m1b\",\"client_message_id\":\"cm-1\",\"targetSpec\":\"#" + topic
                + "\",\"nonce\":\"bm9uY2U=\",\"ciphertext\":\"aGVsbG8=\"}");
        assertThat(alice.ws().await(s -> s.contains("\"id\":\"m1b\""), 5_000)).contains(messageId);
        assertThat(Sql.count(broker.databaseUrl(), "select count(*) from mesh.topic_message where topic_id = '"
                + topic + "'")).isEqualTo(1);
    }

    @Test
    void shouldKeepAReplyReferenceOnlyWithinItsTopicAndCarryItOnThePush() throws Exception {
        String mesh = broker.createMesh("topics-reply");
        BrokerFixture.Peer alice = broker.session(broker.addMember(mesh, "alice"), "s-a");
        BrokerFixture.Peer bob = broker.session(broker.addMember(mesh, "bob"), "s-b");
        String t1 = createTopic(alice.ws(), "one", null);
        String t2 = createTopic(alice.ws(), "two", null);
        TopicSupport.fireAndSync(bob.ws(), "{\"type\":\"topic_join\",\"topic\":\"one\"}");
        String parent = send(alice, t1, "p1", null);
        String elsewhere = send(alice, t2, "p2", null);

        send(alice, t1, "r1", parent);
        String push = bob.ws().await(s -> s.contains("\"replyToId\""), 5_000);
        assertThat(push).endsWith(",\"topic\":\"one\",\"replyToId\":\"" + parent + "\"}");
        String other = send(alice, t1, "r2", elsewhere);
        String history = request(bob.ws(), "{\"type\":\"topic_history\",\"topic\":\"one\",\"limit\":1");
        assertThat(history).contains("\"id\":\"" + other + "\"").doesNotContain("replyToId");
    }

    /** Sends to {@code #topic} and returns the acked message id. */
    private static String send(BrokerFixture.Peer from, String topic, String id, String replyTo) {
        from.ws().send("{\"type\":\"send\",\"id\":\"" + id + "\",\"targetSpec\":\"#" + topic + "\",\"nonce\":"
                + "\"bm9uY2U=\",\"ciphertext\":\"aGk=\"" + (replyTo == null ? "" : ",\"replyToId\":\"" + replyTo + "\"")
                + "}");
        String ack = from.ws().await(s -> s.contains("\"type\":\"ack\"") && s.contains("\"id\":\"" + id + "\""), 5_000);
        assertThat(ack).as(ack).contains("\"queued\":true");
        return BrokerFixture.jsonField(ack, "messageId");
    }

    @Test
    void shouldRefuseSendsToATopicOfAnotherMeshOrToNoTopic() throws Exception {
        String meshA = broker.createMesh("topics-mesh-a");
        String meshB = broker.createMesh("topics-mesh-b");
        BrokerFixture.Peer alice = broker.session(broker.addMember(meshA, "alice"), "s-a");
        BrokerFixture.Peer mallory = broker.session(broker.addMember(meshB, "mallory"), "s-m");
        String topic = createTopic(alice.ws(), "ops", null);

        mallory.ws().send("{\"type\":\"send\",\"id\":\"x1\",\"targetSpec\":\"#" + topic + "\",\"nonce\":\"bm9uY2U=\","
                + "\"ciphertext\":\"QG1hbGxvcnk=\",\"mentions\":[\"alice\"]}");
        assertThat(mallory.ws().awaitType("ack")).isEqualTo("{\"type\":\"ack\",\"id\":\"x1\",\"messageId\":\"\","
                + "\"queued\":false,\"error\":\"bad_request: no topic " + topic + " in this mesh\"}");
        mallory.ws().send("{\"type\":\"send\",\"id\":\"x2\",\"targetSpec\":\"#\",\"nonce\":\"bm9uY2U=\","
                + "\"ciphertext\":\"aGk=\"}");
        assertThat(mallory.ws().await(s -> s.contains("\"id\":\"x2\""), 5_000)).contains("\"queued\":false")
                .contains("invalid: targetSpec");
        mallory.ws().send("{\"type\":\"send\",\"id\":\"x3\",\"targetSpec\":\"#" + topic + "\",\"bodyVersion\":3,"
                + "\"nonce\":\"bm9uY2U=\",\"ciphertext\":\"aGk=\"}");
        assertThat(mallory.ws().await(s -> s.contains("\"id\":\"x3\""), 5_000))
                .contains("\"error\":\"invalid: bodyVersion must be 1 or 2\"");
        assertThat(Sql.count(broker.databaseUrl(), "select count(*) from mesh.topic_message where topic_id = '"
                + topic + "'")).isZero();
        assertThat(Sql.count(broker.databaseUrl(), "select count(*) from mesh.notification where topic_id = '"
                + topic + "'")).isZero();
    }

    @Test
    void shouldEnforcePrivateTopics() throws Exception {
        String mesh = broker.createMesh("topics-private");
        Identities.MemberKeys bobKeys = broker.addMember(mesh, "bob");
        BrokerFixture.Peer alice = broker.session(broker.addMember(mesh, "alice"), "s-a");
        BrokerFixture.Peer bob = broker.session(bobKeys, "s-b");
        Identities.MemberKeys rootKeys = TopicSupport.adminMember(broker, mesh, "root");
        BrokerFixture.Peer admin = broker.session(rootKeys, "s-r");
        String topic = createTopic(alice.ws(), "secret", "private");
        send(alice, topic, "s1", null);

        // the CLI's topic join carries no _reqId and waits for nothing: refused in silence, since the CLI hands an
        // error frame it cannot match to the first of its other pending requests (PROTOCOL-MESH §0.3)
        TopicSupport.fireAndSync(bob.ws(), "{\"type\":\"topic_join\",\"topic\":\"secret\"}");
        assertThat(bob.ws().all("\"type\":\"error\"")).isEmpty();
        assertThat(request(bob.ws(), "{\"type\":\"topic_join\",\"topic\":\"secret\"")).matches("\\{\"type\":"
                + "\"error\",\"code\":\"forbidden\",\"message\":\"only a lead of this topic or a mesh admin can add "
                + "members to a private topic\",\"_reqId\":\"q\\d+\"}");
        String history = request(bob.ws(), "{\"type\":\"topic_history\",\"topic\":\"secret\"");
        assertThat(history).contains("\"code\":\"forbidden\"").contains("\"message\":\"this topic is private: "
                + "subscribers only\"");
        assertThat(request(bob.ws(), "{\"type\":\"topic_members\",\"topic\":\"" + topic + "\""))
                .contains("\"code\":\"forbidden\"");
        bob.ws().send("{\"type\":\"send\",\"id\":\"b1\",\"targetSpec\":\"#" + topic + "\",\"nonce\":\"bm9uY2U=\","
                + "\"ciphertext\":\"aGk=\"}");
        assertThat(bob.ws().await(s -> s.contains("\"id\":\"b1\""), 5_000))
                .contains("\"error\":\"forbidden: this topic is private, subscribe to send to it\"");

        // the lead invites bob; a mesh admin joins by itself
        TopicSupport.fireAndSync(alice.ws(), "{\"type\":\"topic_join\",\"topic\":\"secret\",\"member\":\""
                + bobKeys.pubkey() + "\"}");
        TopicSupport.fireAndSync(admin.ws(), "{\"type\":\"topic_join\",\"topic\":\"secret\",\"role\":\"observer\"}");
        assertThat(request(bob.ws(), "{\"type\":\"topic_history\",\"topic\":\"secret\""))
                .contains("\"type\":\"topic_history_response\"").contains("\"senderName\":\"alice\"");
        assertThat(send(bob, topic, "b2", null)).hasSize(32);
        assertThat(alice.ws().await(s -> s.contains("\"topic\":\"secret\""), 5_000)).contains("\"senderName\":\"bob\"");
        assertThat(request(admin.ws(), "{\"type\":\"topic_members\",\"topic\":\"secret\""))
                .contains("\"displayName\":\"root\",\"role\":\"observer\"");
        // a member that is not its lead cannot add others, even to a public topic
        request(bob.ws(), "{\"type\":\"topic_create\",\"name\":\"open\"");
        String byAlice = request(alice.ws(), "{\"type\":\"topic_join\",\"topic\":\"open\",\"member\":\""
                + rootKeys.memberId() + "\"");
        assertThat(byAlice).contains("\"code\":\"forbidden\"").contains("only a lead of this topic or a mesh admin "
                + "can add members\"");
    }

    @Test
    void shouldAnswerLookupFailuresWithTheRequestId() throws Exception {
        String mesh = broker.createMesh("topics-errors");
        BrokerFixture.Peer alice = broker.session(broker.addMember(mesh, "alice"), "s-a");
        for (String type : List.of("topic_history", "topic_members", "topic_join", "topic_leave", "topic_mark_read")) {
            alice.ws().send("{\"type\":\"" + type + "\",\"topic\":\"nope\",\"_reqId\":\"r-" + type + "\"}");
            assertThat(alice.ws().awaitType("error")).isEqualTo("{\"type\":\"error\",\"code\":\"topic_not_found\","
                    + "\"message\":\"topic \\\"nope\\\" not found\",\"_reqId\":\"r-" + type + "\"}");
        }
        alice.ws().send("{\"type\":\"apikey_create\",\"label\":\"\",\"capabilities\":[\"read\"],\"_reqId\":7}");
        assertThat(alice.ws().awaitType("error")).isEqualTo("{\"type\":\"error\",\"code\":\"invalid_args\","
                + "\"message\":\"label and at least one capability required\",\"_reqId\":7}");
        // fire-and-forget bad input, or an unknown topic, without a request id: silence (the next answer is the
        // marker's), since an error nobody asked for would resolve another pending request of the CLI (§0.3)
        TopicSupport.fireAndSync(alice.ws(), "{\"type\":\"topic_join\"}");
        for (String type : List.of("topic_join", "topic_leave", "topic_mark_read")) {
            TopicSupport.fireAndSync(alice.ws(), "{\"type\":\"" + type + "\",\"topic\":\"nope\"}");
        }
        assertThat(alice.ws().all("\"type\":\"error\"")).hasSize(6);
        // a blank name is bad input, not a topic
        assertThat(request(alice.ws(), "{\"type\":\"topic_create\",\"name\":\" \""))
                .contains("\"code\":\"bad_request\"");
    }

    @Test
    void shouldPageHistoryWithABeforeIdOfThatTopicAndClampTheLimit() throws Exception {
        String mesh = broker.createMesh("topics-history");
        BrokerFixture.Peer alice = broker.session(broker.addMember(mesh, "alice"), "s-a");
        String a = createTopic(alice.ws(), "a", null);
        String b = createTopic(alice.ws(), "b", null);
        String m1 = send(alice, a, "h1", null);
        String m2 = send(alice, a, "h2", null);
        String m3 = send(alice, a, "h3", null);
        String inB = send(alice, b, "h4", null);

        assertThat(ids(request(alice.ws(), "{\"type\":\"topic_history\",\"topic\":\"a\""))).containsExactly(m3, m2, m1);
        assertThat(ids(request(alice.ws(), "{\"type\":\"topic_history\",\"topic\":\"a\",\"beforeId\":\"" + m3 + "\"")))
                .containsExactly(m2, m1);
        assertThat(ids(request(alice.ws(), "{\"type\":\"topic_history\",\"topic\":\"a\",\"beforeId\":\"" + inB + "\"")))
                .isEmpty();
        assertThat(ids(request(alice.ws(), "{\"type\":\"topic_history\",\"topic\":\"a\",\"limit\":\"two\"")))
                .containsExactly(m3, m2, m1); // a non-numeric limit is the default, 50
        assertThat(ids(request(alice.ws(), "{\"type\":\"topic_history\",\"topic\":\"a\",\"limit\":0")))
                .containsExactly(m3); // clamped to 1
    }

    private static List<String> ids(String historyResponse) {
        return java.util.regex.Pattern.compile("\\{\"id\":\"([0-9A-Za-z]{32})\"").matcher(historyResponse).results()
                .map(m -> m.group(1)).toList();
    }

    @Test
    void shouldLeaveMarkReadAndRefuseTopicsOverTheMeshQuota() throws Exception {
        String mesh = broker.createMesh("topics-quota");
        BrokerFixture.Peer alice = broker.session(broker.addMember(mesh, "alice"), "s-a");
        BrokerFixture.Peer bob = broker.session(broker.addMember(mesh, "bob"), "s-b");
        createTopic(alice.ws(), "t0", null);
        bob.ws().send("{\"type\":\"topic_join\",\"topic\":\"t0\",\"role\":\"observer\"}");
        bob.ws().send("{\"type\":\"topic_mark_read\",\"topic\":\"t0\"}");
        sync(bob.ws());
        assertThat(request(alice.ws(), "{\"type\":\"topic_members\",\"topic\":\"t0\""))
                .containsPattern("\"displayName\":\"bob\",\"role\":\"observer\",\"joinedAt\":\"[^\"]+\","
                        + "\"lastReadAt\":\"[0-9T:.Z-]{24}\"");
        bob.ws().send("{\"type\":\"topic_leave\",\"topic\":\"t0\"}");
        sync(bob.ws());
        assertThat(request(alice.ws(), "{\"type\":\"topic_members\",\"topic\":\"t0\"")).doesNotContain("bob");

        for (int i = 1; i < 5; i++) {
            createTopic(alice.ws(), "t" + i, null);
        }
        assertThat(request(alice.ws(), "{\"type\":\"topic_create\",\"name\":\"t5\""))
                .contains("\"code\":\"limit_exceeded\"").contains("TOPICS_MAX_PER_MESH");
        assertThat(request(alice.ws(), "{\"type\":\"topic_create\",\"name\":\"t4\"")).contains("\"created\":false");
    }

    @Test
    void shouldKeepTopicsAndHistoryAcrossARestart() throws Exception {
        try (BrokerFixture own = new BrokerFixture()) {
            String mesh = own.createMesh("topics-restart");
            Identities.MemberKeys aliceKeys = own.addMember(mesh, "alice");
            BrokerFixture.Peer alice = own.session(aliceKeys, "s-a");
            String topic = createTopic(alice.ws(), "durable", null);
            String id = send(alice, topic, "d1", null);
            alice.ws().close();
            own.stop();
            own.start();
            BrokerFixture.Peer again = own.session(aliceKeys, "s-a2");
            assertThat(request(again.ws(), "{\"type\":\"topic_list\"")).contains("\"name\":\"durable\"");
            assertThat(ids(request(again.ws(), "{\"type\":\"topic_history\",\"topic\":\"durable\"")))
                    .containsExactly(id);
        }
    }
}
