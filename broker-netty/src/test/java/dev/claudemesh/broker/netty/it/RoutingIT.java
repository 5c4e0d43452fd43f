package dev.claudemesh.broker.netty.it;

import dev.claudemesh.broker.core.testing.Identities;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.util.Map;

import static dev.claudemesh.broker.netty.it.BrokerFixture.jsonField;
import static org.assertj.core.api.Assertions.assertThat;

/** Every ack outcome of PROTOCOL §4 plus fan-out and grants, against a real broker and database. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RoutingIT {

    private static final String NONCE = "bm9uY2Vub25jZW5vbmNlbm9uY2U=";
    private static final String CT = "Y2lwaGVydGV4dA==";

    private BrokerFixture broker;

    @BeforeAll
    void start() throws Exception {
        // three durable writers, so that this class's meshes land on different ones (a 2-core machine has one)
        broker = new BrokerFixture(Map.of("BROKER_WRITER_THREADS", "3", "MAX_MESSAGE_BYTES", "2048",
                "SEND_RATE_LIMIT_PER_MIN", "600", "SEND_RATE_BURST", "20"));
    }

    @AfterAll
    void stop() {
        broker.close();
    }

    private static String send(String id, String target, String priority) {
        return Identities.send(id, target, priority, NONCE, CT);
    }

    @Test
    void shouldAckDurablyAndPushDmWithExactBytes() throws Exception {
        String mesh = broker.createMesh("dm");
        BrokerFixture.Peer a = broker.session(broker.addMember(mesh, "alice"), "a");
        BrokerFixture.Peer b = broker.session(broker.addMember(mesh, "bob"), "b");
        a.ws().send("{\"type\":\"send\",\"id\":\"c1\",\"client_message_id\":\"cm1\",\"request_fingerprint\":\"ab12\","
                + "\"targetSpec\":\"" + b.key() + "\",\"priority\":\"now\",\"nonce\":\"" + NONCE + "\",\"ciphertext\":\""
                + CT + "\"}");
        String ack = a.ws().awaitType("ack");
        assertThat(ack).contains("\"id\":\"c1\"").contains("\"queued\":true");
        String messageId = jsonField(ack, "messageId");
        assertThat(messageId).matches("[0-9A-Za-z]{32}");
        String push = b.ws().await("\"messageId\":\"" + messageId + "\"");
        assertThat(push).startsWith("{\"type\":\"push\",").contains("\"meshId\":\"" + mesh + "\"")
                .contains("\"senderPubkey\":\"" + a.key() + "\"").contains("\"priority\":\"now\"")
                .contains("\"nonce\":\"" + NONCE + "\"").contains("\"ciphertext\":\"" + CT + "\"")
                .contains("\"client_message_id\":\"cm1\"").contains("\"request_fingerprint\":\"ab12\"")
                .contains("\"senderName\":\"n-a\"");
        assertThat(jsonField(push, "createdAt")).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");
        // durable: the queue row exists before the ack was sent
        assertThat(Sql.count(broker.databaseUrl(), "select count(*) from mesh.message_queue where id = '" + messageId + "'"))
                .isEqualTo(1);
        b.ws().send("{\"type\":\"client_ack\",\"clientMessageId\":\"cm1\",\"brokerMessageId\":\"" + messageId + "\"}");
        Sql.await(broker.databaseUrl(), "select count(*) from mesh.message_queue_status where id = '" + messageId
                + "' and delivered_at is not null", 1);
        a.ws().close();
        b.ws().close();
    }

    @Test
    void shouldDeliverMemberKeyDmToControlPlaneFirst() throws Exception {
        String mesh = broker.createMesh("memberkey");
        Identities.MemberKeys alice = broker.addMember(mesh, "alice");
        Identities.MemberKeys bob = broker.addMember(mesh, "bob");
        BrokerFixture.Peer a = broker.session(alice, "a");
        BrokerFixture.Peer bobSession = broker.session(bob, "b-s");
        WsClient daemon = broker.ws();
        daemon.send(Identities.hello(bob, null, "bob-daemon", System.currentTimeMillis(), "bob"));
        assertThat(daemon.awaitType("hello_ack")).contains("memberProfile");
        a.ws().send(send("m1", bob.pubkey(), "now"));
        String id = jsonField(a.ws().awaitType("ack"), "messageId");
        daemon.await("\"messageId\":\"" + id + "\"");
        roundTrip(bobSession.ws());
        assertThat(bobSession.ws().all(id)).isEmpty();
        daemon.close();
        a.ws().close();
        bobSession.ws().close();
    }

    @Test
    void shouldFailEachInvalidSendWithExactlyOneAck() throws Exception {
        String mesh = broker.createMesh("invalid");
        BrokerFixture.Peer a = broker.session(broker.addMember(mesh, "alice"), "a");
        BrokerFixture.Peer b = broker.session(broker.addMember(mesh, "bob"), "b");
        String[][] cases = {
                {"{\"type\":\"send\",\"id\":\"i1\",\"targetSpec\":\"\",\"nonce\":\"" + NONCE + "\",\"ciphertext\":\"" + CT + "\"}", "invalid: missing targetSpec"},
                {"{\"type\":\"send\",\"id\":\"i2\",\"nonce\":\"" + NONCE + "\",\"ciphertext\":\"" + CT + "\"}", "invalid: missing targetSpec"},
                {"{\"type\":\"send\",\"id\":\"i3\",\"targetSpec\":\"" + b.key() + "\",\"priority\":\"urgent\",\"nonce\":\"" + NONCE + "\",\"ciphertext\":\"" + CT + "\"}", "invalid: unknown priority"},
                {"{\"type\":\"send\",\"id\":\"i4\",\"targetSpec\":\"" + b.key() + "\",\"nonce\":\"not base64!\",\"ciphertext\":\"" + CT + "\"}", "invalid: nonce is not base64"},
                {"{\"type\":\"send\",\"id\":\"i5\",\"targetSpec\":\"" + b.key() + "\",\"nonce\":\"" + NONCE + "\",\"ciphertext\":\"abc\"}", "invalid: ciphertext is not base64"},
                {"{\"type\":\"send\",\"targetSpec\":\"" + b.key() + "\",\"nonce\":\"" + NONCE + "\",\"ciphertext\":\"" + CT + "\"}", "invalid: missing id"},
                {"{\"type\":\"send\",\"id\":\"i7\",\"targetSpec\":\"" + b.key() + "\",\"ciphertext\":\"" + CT + "\"}", "invalid: missing nonce"},
                {"{\"type\":\"send\",\"id\":\"i8\",\"targetSpec\":\"" + b.key() + "\",\"nonce\":\"" + NONCE + "\"}", "invalid: missing ciphertext"},
                {"{\"type\":\"send\",\"id\":\"i9\",\"targetSpec\":\"nobody\",\"nonce\":\"" + NONCE + "\",\"ciphertext\":\"" + CT + "\"}", "invalid: targetSpec"},
                {"{\"type\":\"send\",\"id\":\"i10\",\"targetSpec\":\"" + "0".repeat(64) + "\",\"nonce\":\"" + NONCE + "\",\"ciphertext\":\"" + CT + "\"}",
                        "no connected peer for target (not online, or targetSpec is your own key without another session)"},
                {"{\"type\":\"send\",\"id\":\"i11\",\"targetSpec\":\"" + a.key() + "\",\"nonce\":\"" + NONCE + "\",\"ciphertext\":\"" + CT + "\"}",
                        "no connected peer for target"},
                {"{\"type\":\"send\",\"id\":\"i12\",\"targetSpec\":\"" + b.key() + "\",\"nonce\":\"" + NONCE + "\",\"ciphertext\":\"" + "QUFB".repeat(600) + "\"}",
                        "payload_too_large: 2492 bytes > MAX_MESSAGE_BYTES=2048"},
        };
        for (String[] c : cases) {
            a.ws().send(c[0]);
            String ack = a.ws().awaitType("ack");
            assertThat(ack).as(c[0]).contains("\"queued\":false").contains("\"messageId\":\"\"")
                    .contains("\"error\":\"" + c[1]);
        }
        roundTrip(a.ws());
        roundTrip(b.ws());
        assertThat(a.ws().all("\"type\":\"ack\"")).hasSize(cases.length);
        assertThat(b.ws().all("\"type\":\"push\",\"messageId\"")).isEmpty();
        a.ws().close();
        b.ws().close();
    }

    @Test
    void shouldBlockDmWithoutGrantAndSkipMulticastWithoutBroadcast() throws Exception {
        String mesh = broker.createMesh("grants");
        Identities.MemberKeys alice = broker.addMember(mesh, "alice");
        Identities.MemberKeys bob = broker.addMember(mesh, "bob",
                "\"peerGrants\":{\"" + alice.pubkey() + "\":[\"read\"]}");
        Identities.MemberKeys carol = broker.addMember(mesh, "carol");
        BrokerFixture.Peer a = broker.session(alice, "a");
        BrokerFixture.Peer b = broker.session(bob, "b");
        BrokerFixture.Peer c = broker.session(carol, "c");
        a.ws().send(send("g1", b.key(), "now"));
        assertThat(a.ws().awaitType("ack")).contains("\"queued\":false")
                .contains("\"error\":\"blocked by recipient grants (sender lacks dm capability)\"");
        a.ws().send(send("g2", "*", "next"));
        String ack = a.ws().awaitType("ack");
        assertThat(ack).contains("\"queued\":true");
        String id = jsonField(ack, "messageId");
        c.ws().await("\"messageId\":\"" + id + "\"");
        roundTrip(b.ws());
        assertThat(b.ws().all(id)).isEmpty();
        a.ws().close();
        b.ws().close();
        c.ws().close();
    }

    @Test
    void shouldFanOutBroadcastAndGroupsWithSubgroupsExceptOwnMember() throws Exception {
        String mesh = broker.createMesh("fanout");
        Identities.MemberKeys alice = broker.addMember(mesh, "alice");
        BrokerFixture.Peer a = broker.session(alice, dev.claudemesh.broker.core.crypto.Ed25519.generate(), "a", "[{\"name\":\"be\"}]");
        BrokerFixture.Peer a2 = broker.session(alice, dev.claudemesh.broker.core.crypto.Ed25519.generate(), "a2", "[{\"name\":\"be\"}]");
        BrokerFixture.Peer be = broker.session(broker.addMember(mesh, "bob"), dev.claudemesh.broker.core.crypto.Ed25519.generate(), "b", "[{\"name\":\"be\",\"role\":\"lead\"}]");
        BrokerFixture.Peer beApi = broker.session(broker.addMember(mesh, "carol"), dev.claudemesh.broker.core.crypto.Ed25519.generate(), "c", "[{\"name\":\"be/api\"}]");
        BrokerFixture.Peer fe = broker.session(broker.addMember(mesh, "dave"), dev.claudemesh.broker.core.crypto.Ed25519.generate(), "d", "[{\"name\":\"fe\"}]");
        BrokerFixture.Peer bee = broker.session(broker.addMember(mesh, "erin"), dev.claudemesh.broker.core.crypto.Ed25519.generate(), "e", "[{\"name\":\"bee\"}]");

        a.ws().send(send("grp", "@be", "low"));
        String gid = jsonField(a.ws().awaitType("ack"), "messageId");
        String gp = be.ws().await("\"messageId\":\"" + gid + "\"");
        assertThat(gp).contains("\"senderMemberPubkey\":\"" + alice.pubkey() + "\"")
                .contains("\"senderMemberId\":\"" + alice.memberId() + "\"").contains("\"senderName\":\"n-a\"");
        beApi.ws().await("\"messageId\":\"" + gid + "\"");

        a.ws().send(send("all", "@all", "next"));
        String bid = jsonField(a.ws().awaitType("ack"), "messageId");
        for (BrokerFixture.Peer p : new BrokerFixture.Peer[] {be, beApi, fe, bee}) {
            p.ws().await("\"messageId\":\"" + bid + "\"");
        }
        for (BrokerFixture.Peer p : new BrokerFixture.Peer[] {fe, bee, a2}) {
            roundTrip(p.ws());
        }
        assertThat(fe.ws().all(gid)).isEmpty();
        assertThat(bee.ws().all(gid)).isEmpty();
        assertThat(a2.ws().all(gid)).isEmpty();
        assertThat(a2.ws().all(bid)).isEmpty();
        for (BrokerFixture.Peer p : new BrokerFixture.Peer[] {a, a2, be, beApi, fe, bee}) {
            p.ws().close();
        }
    }

    @Test
    void shouldRateLimitPerMemberAcrossSessions() throws Exception {
        try (BrokerFixture limited = new BrokerFixture(Map.of("SEND_RATE_LIMIT_PER_MIN", "60", "SEND_RATE_BURST", "3"))) {
            String mesh = limited.createMesh("rate");
            Identities.MemberKeys alice = limited.addMember(mesh, "alice");
            BrokerFixture.Peer a1 = limited.session(alice, "a1");
            BrokerFixture.Peer a2 = limited.session(alice, "a2");
            limited.session(limited.addMember(mesh, "bob"), "b");
            a1.ws().send(send("r1", "*", "now"));
            a2.ws().send(send("r2", "*", "now"));
            a1.ws().send(send("r3", "*", "now"));
            assertThat(a1.ws().awaitType("ack")).contains("\"queued\":true");
            assertThat(a1.ws().awaitType("ack")).contains("\"queued\":true");
            assertThat(a2.ws().awaitType("ack")).contains("\"queued\":true");
            a2.ws().send(send("r4", "*", "now"));
            assertThat(a2.ws().awaitType("ack")).contains("\"queued\":false")
                    .contains("\"error\":\"rate_limit: max 60 msg/min (burst 3) — slow down\"");
        }
    }

    @Test
    void shouldNotDeliverRepeatedClientMessageIdTwice() throws Exception {
        String mesh = broker.createMesh("idem");
        BrokerFixture.Peer a = broker.session(broker.addMember(mesh, "alice"), "a");
        BrokerFixture.Peer b = broker.session(broker.addMember(mesh, "bob"), "b");
        a.ws().send(send("dup", b.key(), "now"));
        String first = jsonField(a.ws().awaitType("ack"), "messageId");
        a.ws().send(send("dup", b.key(), "now"));
        String second = jsonField(a.ws().awaitType("ack"), "messageId");
        assertThat(second).isEqualTo(first);
        b.ws().await("\"messageId\":\"" + first + "\"");
        roundTrip(b.ws());
        assertThat(b.ws().all("\"messageId\":\"" + first + "\"")).hasSize(1);
        a.ws().close();
        b.ws().close();
    }

    @Test
    void shouldAnswerUnknownTypeAndBadRequestsWithErrors() throws Exception {
        String mesh = broker.createMesh("misc");
        BrokerFixture.Peer a = broker.session(broker.addMember(mesh, "alice"), "a");
        a.ws().send("{\"type\":\"dance\",\"_reqId\":\"q1\"}");
        assertThat(a.ws().awaitType("error")).contains("\"code\":\"unknown_message_type\"").contains("\"_reqId\":\"q1\"");
        a.ws().send("{\"type\":\"set_status\",\"status\":\"sleeping\"}");
        assertThat(a.ws().awaitType("error")).contains("\"code\":\"bad_request\"");
        a.ws().send("{\"type\":\"set_summary\",\"summary\":\"" + "x".repeat(1025) + "\"}");
        assertThat(a.ws().awaitType("error")).contains("\"code\":\"bad_request\"");
        a.ws().send("{\"type\":\"join_group\"}");
        assertThat(a.ws().awaitType("error")).contains("\"code\":\"bad_request\"");
        a.ws().send("{\"type\":\"set_summary\",\"summary\":\"fixing tests\"}");
        a.ws().send("{\"type\":\"join_group\",\"name\":\"ops\",\"role\":\"lead\"}");
        a.ws().send("{\"type\":\"set_status\",\"status\":\"dnd\"}");
        a.ws().send("{\"type\":\"list_peers\",\"_reqId\":\"l1\"}");
        String list = a.ws().awaitType("peers_list");
        assertThat(list).contains("\"_reqId\":\"l1\"").contains("\"summary\":\"fixing tests\"")
                .contains("{\"name\":\"ops\",\"role\":\"lead\"}").contains("\"status\":\"dnd\"")
                .contains("\"peerRole\":\"session\"").contains("\"pubkey\":\"" + a.key() + "\"");
        a.ws().close();
    }

    /**
     * A {@code list_peers} round trip on {@code ws}: the mesh handles frames in order, so its answer follows anything
     * the mesh sent {@code ws} for work handled before; "nothing more arrived" is then a fact, not a guess.
     */
    private static void roundTrip(WsClient ws) {
        String reqId = "rt-" + System.nanoTime();
        ws.send("{\"type\":\"list_peers\",\"_reqId\":\"" + reqId + "\"}");
        ws.await(s -> s.contains("\"_reqId\":\"" + reqId + "\""), 5_000);
    }
}
