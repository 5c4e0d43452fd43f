package dev.claudemesh.broker.netty.it;

import dev.claudemesh.broker.core.Ids;
import dev.claudemesh.broker.core.crypto.Ed25519;
import dev.claudemesh.broker.core.testing.Identities;
import dev.claudemesh.broker.db.testing.Eventually;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.claudemesh.broker.netty.it.BrokerFixture.jsonField;
import static dev.claudemesh.broker.netty.it.ControlPlane.hello;
import static dev.claudemesh.broker.netty.it.ControlPlane.request;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code message_status} (PROTOCOL-MESH §1) against a real broker and PostgreSQL: the reply field by field for a DM
 * by session key and by member key (the §1.5 [fix], §16 defect 16), a multicast (its sender's member and hidden leases
 * left out), a {@code #topic} send (the topic's subscribers), an offline target, prefixes, and every error code. The broker acks a DM after its row committed; a
 * multicast is acked at once and its record follows in the writer's next batch, so those tests wait for the row.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MessageStatusIT {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String NONCE = "bm9uY2U=";
    private static final String CT = "aGVsbG8=";
    private static final String ISO = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z";

    private BrokerFixture broker;
    private final List<WsClient> opened = new ArrayList<>();

    @BeforeAll
    void start() throws Exception {
        broker = new BrokerFixture(Map.of("SEND_RATE_LIMIT_PER_MIN", "0", "BROKER_GRACE_MS", "1000"));
    }

    @AfterAll
    void stop() {
        broker.close();
    }

    @BeforeEach
    void earlierSocketsClosed() {
        awaitOpenSockets();
    }

    @AfterEach
    void dropSockets() {
        opened.forEach(WsClient::abort);
        opened.clear();
        awaitOpenSockets();
    }

    private void awaitOpenSockets() {
        Eventually.await(WAIT, "no open peer sockets",
                () -> broker.server().broker().metrics().connectionsActive.get() == 0);
    }

    private BrokerFixture.Peer session(Identities.MemberKeys m, String sessionId, String groupsJson) {
        BrokerFixture.Peer p = broker.session(m, Ed25519.generate(), sessionId, groupsJson);
        opened.add(p.ws());
        return p;
    }

    private Map<String, Object> status(WsClient ws, String messageIdJson) {
        return request(ws, "{\"type\":\"message_status\",\"messageId\":" + messageIdJson);
    }

    private String send(BrokerFixture.Peer from, String clientId, String target) {
        from.ws().send(Identities.send(clientId, target, "now", NONCE, CT));
        String ack = from.ws().await("\"id\":\"" + clientId + "\"");
        assertThat(ack).contains("\"queued\":true");
        return jsonField(ack, "messageId");
    }

    private void awaitRow(String id, boolean delivered) throws Exception {
        Sql.await(broker.databaseUrl(), "select count(*) from mesh.message_queue_status where id = '" + id + "' and "
                + "delivered_at is " + (delivered ? "not null" : "null"), 1);
    }

    @Test
    void shouldReportADmBySessionKeyHeldThenDelivered() throws Exception {
        String mesh = broker.createMesh("ms-dm");
        BrokerFixture.Peer alice = session(broker.addMember(mesh, "alice"), "a", null);
        BrokerFixture.Peer bob = session(broker.addMember(mesh, "bob"), "b", null);
        String id = send(alice, "c1", bob.key());
        bob.ws().await("\"messageId\":\"" + id + "\"");

        alice.ws().send("{\"type\":\"message_status\",\"messageId\":\"" + id + "\",\"_reqId\":\"r1\"}");
        String reply = alice.ws().await("\"_reqId\":\"r1\"");
        assertThat(reply).isEqualTo("{\"type\":\"message_status_result\",\"messageId\":\"" + id + "\",\"targetSpec\":\""
                + bob.key() + "\",\"delivered\":false,\"deliveredAt\":null,\"recipients\":[{\"name\":\"n-b\","
                + "\"pubkey\":\"" + bob.key() + "\",\"status\":\"held\"}],\"_reqId\":\"r1\"}");

        bob.ws().send("{\"type\":\"client_ack\",\"clientMessageId\":\"c1\",\"brokerMessageId\":\"" + id + "\"}");
        awaitRow(id, true);
        Map<String, Object> after = status(bob.ws(), "\"" + id + "\""); // any member may ask
        assertThat(after).containsEntry("delivered", true)
                .containsEntry("recipients", List.of(Map.of("name", "n-b", "pubkey", bob.key(), "status",
                        "delivered")));
        assertThat((String) after.get("deliveredAt")).matches(ISO);
    }

    @Test
    void shouldReportADmToAMemberKeyWhoseLeasesAllHaveSessionKeys() throws Exception {
        // §16 defect 16 / §1.5 [fix]: the original looked for a row whose pubkey was the member key and, with only
        // session leases, answered "unknown"/"disconnected" for a DM that reached the member
        String mesh = broker.createMesh("ms-member-key");
        BrokerFixture.Peer alice = session(broker.addMember(mesh, "alice"), "a", null);
        Identities.MemberKeys bobKeys = broker.addMember(mesh, "bob");
        BrokerFixture.Peer bob = session(bobKeys, "b", null);
        String id = send(alice, "c1", bobKeys.pubkey());
        bob.ws().await("\"messageId\":\"" + id + "\"");

        Map<String, Object> r = status(alice.ws(), "\"" + id + "\"");

        assertThat(r).containsEntry("targetSpec", bobKeys.pubkey()).containsEntry("delivered", false)
                .containsEntry("recipients", List.of(Map.of("name", "n-b", "pubkey", bobKeys.pubkey(), "status",
                        "held")));
    }

    @Test
    void shouldReportATargetWithNoLeaseLeftAsDisconnected() throws Exception {
        String mesh = broker.createMesh("ms-gone");
        BrokerFixture.Peer alice = session(broker.addMember(mesh, "alice"), "a", null);
        BrokerFixture.Peer bob = session(broker.addMember(mesh, "bob"), "b", null);
        bob.ws().send("{\"type\":\"set_status\",\"status\":\"dnd\"}");
        ControlPlane.peers(bob.ws());
        alice.ws().send(Identities.send("c1", bob.key(), "next", NONCE, CT)); // held: bob is dnd
        String id = jsonField(alice.ws().await("\"id\":\"c1\""), "messageId");
        bob.ws().abort();
        ControlPlane.event(alice.ws(), "peer_left");

        Map<String, Object> r = status(alice.ws(), "\"" + id + "\"");

        assertThat(r).containsEntry("delivered", false).containsEntry("recipients", List.of(Map.of("name", "unknown",
                "pubkey", bob.key().substring(0, 16), "status", "disconnected")));
    }

    @Test
    void shouldReportAMulticastWithoutTheSendersMemberAndHiddenLeases() throws Exception {
        // §1.5 [fix]: the original listed every connected row, the sender's and hidden ones included
        String mesh = broker.createMesh("ms-multicast");
        Identities.MemberKeys aliceKeys = broker.addMember(mesh, "alice");
        BrokerFixture.Peer alice = session(aliceKeys, "a", "[{\"name\":\"be\"}]");
        BrokerFixture.Peer aliceSibling = session(aliceKeys, "a2", "[{\"name\":\"be\"}]");
        BrokerFixture.Peer bob = session(broker.addMember(mesh, "bob"), "b", "[{\"name\":\"be/api\"}]");
        BrokerFixture.Peer carol = session(broker.addMember(mesh, "carol"), "c", "[{\"name\":\"ops\"}]");
        BrokerFixture.Peer dave = session(broker.addMember(mesh, "dave"), "d", "[{\"name\":\"be\"}]");
        request(dave.ws(), "{\"type\":\"set_visible\",\"visible\":false");

        String all = send(alice, "m1", "*");
        String group = send(alice, "m2", "@be");
        awaitRow(all, true);
        awaitRow(group, true);

        Map<String, Object> r = status(carol.ws(), "\"" + all + "\"");
        assertThat(r.keySet()).containsExactly("type", "messageId", "targetSpec", "delivered", "deliveredAt",
                "recipients", "_reqId");
        assertThat(r).containsEntry("targetSpec", "*").containsEntry("delivered", true).containsEntry("recipients",
                List.of(Map.of("name", "n-b", "pubkey", bob.key(), "status", "delivered"),
                        Map.of("name", "n-c", "pubkey", carol.key(), "status", "delivered")));
        assertThat((String) r.get("deliveredAt")).matches(ISO);
        // @be: holders of be or a subgroup (as routing matches), not the sender's member, not hidden dave
        assertThat(status(aliceSibling.ws(), "\"" + group + "\"")).containsEntry("targetSpec", "@be")
                .containsEntry("recipients", List.of(Map.of("name", "n-b", "pubkey", bob.key(), "status",
                        "delivered")));
        // the record holds no payload
        assertThat(Sql.string(broker.databaseUrl(), "select nonce || ciphertext from mesh.message_queue where id = '"
                + all + "'")).isEmpty();
    }

    @Test
    void shouldReportATopicMessageWithTheTopicsSubscribers() throws Exception {
        // §1.5 [fix], §16 defect 16: the original answered one "unknown"/"disconnected" recipient for #topicId
        String mesh = broker.createMesh("ms-topic");
        Identities.MemberKeys aliceKeys = broker.addMember(mesh, "alice");
        Identities.MemberKeys bobKeys = broker.addMember(mesh, "bob");
        Identities.MemberKeys daveKeys = broker.addMember(mesh, "dave");
        BrokerFixture.Peer alice = session(aliceKeys, "a", null);
        BrokerFixture.Peer bob = session(bobKeys, "b", null);
        BrokerFixture.Peer carol = session(broker.addMember(mesh, "carol"), "c", null);
        BrokerFixture.Peer dave = session(daveKeys, "d", null);
        String topic = TopicSupport.createTopic(alice.ws(), "ops", null);
        TopicSupport.fireAndSync(bob.ws(), "{\"type\":\"topic_join\",\"topic\":\"ops\"}");
        TopicSupport.fireAndSync(dave.ws(), "{\"type\":\"topic_join\",\"topic\":\"ops\"}");
        dave.ws().close(); // a subscriber with no lease is still one of the topic's members

        String id = send(alice, "t1", "#" + topic);
        bob.ws().await("\"messageId\":\"" + id + "\"");
        awaitRow(id, true);
        Map<String, Object> r = status(carol.ws(), "\"" + id + "\""); // any member may ask, subscribed or not

        assertThat(r.keySet()).containsExactly("type", "messageId", "targetSpec", "delivered", "deliveredAt",
                "recipients", "_reqId");
        assertThat(r).containsEntry("messageId", id).containsEntry("targetSpec", "#" + topic)
                .containsEntry("delivered", true).containsEntry("recipients", List.of(
                        Map.of("name", "alice", "pubkey", aliceKeys.pubkey(), "status", "delivered"),
                        Map.of("name", "bob", "pubkey", bobKeys.pubkey(), "status", "delivered"),
                        Map.of("name", "dave", "pubkey", daveKeys.pubkey(), "status", "delivered")));
        assertThat((String) r.get("deliveredAt")).matches(ISO);
        // by prefix too
        assertThat(status(carol.ws(), "\"" + id.substring(0, 10) + "\"")).containsEntry("targetSpec", "#" + topic)
                .extractingByKey("recipients").asList().hasSize(3);
    }

    @Test
    void shouldFindByPrefixAndEchoThePrefix() throws Exception {
        String mesh = broker.createMesh("ms-prefix");
        BrokerFixture.Peer alice = session(broker.addMember(mesh, "alice"), "a", null);
        BrokerFixture.Peer bob = session(broker.addMember(mesh, "bob"), "b", null);
        String id = send(alice, "c1", bob.key());

        Map<String, Object> r = status(alice.ws(), "\"" + id.substring(0, 12) + "\"");

        assertThat(r).containsEntry("type", "message_status_result").containsEntry("messageId", id.substring(0, 12))
                .containsEntry("targetSpec", bob.key());
    }

    @Test
    void shouldAnswerEveryErrorCodeWithItsText() throws Exception {
        String mesh = broker.createMesh("ms-errors");
        String other = broker.createMesh("ms-errors-other");
        BrokerFixture.Peer alice = session(broker.addMember(mesh, "alice"), "a", null);
        BrokerFixture.Peer stranger = session(broker.addMember(other, "stranger"), "s", null);
        BrokerFixture.Peer strangerPeer = session(broker.addMember(other, "peer"), "p", null);
        String foreign = send(stranger, "c1", strangerPeer.key());

        assertThat(status(alice.ws(), "\"short\"")).containsEntry("type", "error")
                .containsEntry("code", "invalid_argument")
                .containsEntry("message", "messageId must be 8-32 base62 chars (got 5)");
        assertThat(status(alice.ws(), "\"abcdefgh!\"")).containsEntry("message",
                "messageId must be 8-32 base62 chars (got 9)");
        assertThat(status(alice.ws(), "\"" + "a".repeat(33) + "\"")).containsEntry("message",
                "messageId must be 8-32 base62 chars (got 33)");
        assertThat(status(alice.ws(), "null")).containsEntry("message", "messageId must be 8-32 base62 chars (got 0)");
        assertThat(request(alice.ws(), "{\"type\":\"message_status\"")).containsEntry("message",
                "messageId must be 8-32 base62 chars (got 0)");
        assertThat(status(alice.ws(), "{\"x\":1}")).containsEntry("message",
                "messageId must be 8-32 base62 chars (got 15)"); // String({}) is "[object Object]"

        assertThat(status(alice.ws(), "\"" + Ids.newId() + "\"")).containsEntry("code", "not_found")
                .containsEntry("message", "message not found");
        assertThat(status(alice.ws(), "12345678")).as("a number is read as its text").containsEntry("code",
                "not_found");
        assertThat(status(alice.ws(), "\"" + foreign + "\"")).as("another mesh's message").containsEntry("code",
                "not_found");
        assertThat(status(alice.ws(), "\"" + foreign.substring(0, 16) + "\"")).containsEntry("code", "not_found");

        // two rows of this mesh under one prefix (made in the same millisecond: written here directly)
        String prefix = Ids.newId().substring(0, 12);
        insertRow(prefix + "A".repeat(20), mesh);
        insertRow(prefix + "B".repeat(20), mesh);
        Map<String, Object> ambiguous = status(alice.ws(), "\"" + prefix + "\"");
        assertThat(ambiguous).containsEntry("code", "ambiguous_prefix")
                .containsEntry("message", "prefix matched 2 messages — use a longer id");
        assertThat(ambiguous.keySet()).containsExactly("type", "code", "message", "_reqId");

        // the cold path sends no _reqId: the reply has none
        alice.ws().send("{\"type\":\"message_status\",\"messageId\":\"x\"}");
        assertThat(alice.ws().await("\"invalid_argument\"")).doesNotContain("_reqId");
        assertThat(broker.server().broker().metrics().requestErrors().get("message_status"))
                .containsKeys("invalid_argument", "not_found", "ambiguous_prefix");
    }

    private void insertRow(String id, String meshId) throws Exception {
        try (Connection c = DriverManager.getConnection(broker.databaseUrl()); Statement s = c.createStatement()) {
            s.executeUpdate("insert into mesh.message_queue (id, mesh_id, target_key, priority, nonce, ciphertext, "
                    + "created_at, expires_at) values ('" + id + "', '" + meshId + "', '*', 'next', '', '', now(), "
                    + "now())");
        }
    }

    @Test
    void shouldAnswerAControlPlaneClientToo() throws Exception {
        String mesh = broker.createMesh("ms-daemon");
        Identities.MemberKeys aliceKeys = broker.addMember(mesh, "alice");
        ControlPlane.Hello daemon = hello(broker, aliceKeys, "daemon-1");
        opened.add(daemon.ws());
        BrokerFixture.Peer bob = session(broker.addMember(mesh, "bob"), "b", null);
        bob.ws().send(Identities.send("c1", aliceKeys.pubkey(), "now", NONCE, CT));
        String id = jsonField(bob.ws().await("\"id\":\"c1\""), "messageId");

        Map<String, Object> r = status(daemon.ws(), "\"" + id + "\"");

        // a DM to the member key reaches its daemon lease, whose routing key is the member key
        assertThat(r).containsEntry("recipients", List.of(Map.of("name", "d-daemon-1", "pubkey", aliceKeys.pubkey(),
                "status", "held")));
    }
}
