package dev.claudemesh.broker.netty.it;

import dev.claudemesh.broker.core.crypto.Ed25519;
import dev.claudemesh.broker.core.envelope.BinaryWire;
import dev.claudemesh.broker.core.testing.Identities;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.util.Arrays;
import java.util.Base64;
import java.util.Map;
import java.util.Random;

import static dev.claudemesh.broker.netty.it.BrokerFixture.jsonField;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The binary subprotocol ({@code docs/BINARY-PROTOCOL.md}) against a real broker and PostgreSQL, with JSON and binary
 * peers in one mesh: hellos, DMs both ways with byte-identical nonce and ciphertext, broadcast and {@code @group} to a
 * mixed mesh, acks, client acks, bad frames, and the JSON protocol's bytes unchanged.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BinaryProtocolIT {

    private static final Random RANDOM = new Random(15);
    private BrokerFixture broker;

    @BeforeAll
    void start() throws Exception {
        broker = new BrokerFixture(Map.of("SEND_RATE_LIMIT_PER_MIN", "0"));
    }

    @AfterAll
    void stop() {
        broker.close();
    }

    private record BinPeer(BinaryWsClient ws, String key) {
    }

    private BinPeer binarySession(Identities.MemberKeys m, String sessionId, String groupsJson) {
        BinaryWsClient ws = new BinaryWsClient(broker.port());
        assertThat(ws.subprotocol()).isEqualTo(BinaryWire.SUBPROTOCOL);
        Ed25519.KeyPair keys = Ed25519.generate();
        ws.send(Identities.sessionHello(m, keys, sessionId, System.currentTimeMillis(), 3_600_000, "n-" + sessionId,
                groupsJson));
        BinaryWsClient.Frame ack = ws.awaitType("hello_ack");
        assertThat(ack.type()).as("the compact hello_ack").isEqualTo(BinaryWire.HELLO_ACK);
        return new BinPeer(ws, keys.publicKeyHex());
    }

    private static byte[] random(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }

    private static String b64(byte[] b) {
        return Base64.getEncoder().encodeToString(b);
    }

    @Test
    void shouldCarryADmFromBinaryToJsonAndBackWithIdenticalBytes() throws Exception {
        String mesh = broker.createMesh("bin-dm");
        BinPeer bin = binarySession(broker.addMember(mesh, "alice"), "a", null);
        BrokerFixture.Peer json = broker.session(broker.addMember(mesh, "bob"), "b");
        byte[] nonce = random(24);
        byte[] ciphertext = random(300);

        bin.ws().send(Identities.send("c1", json.key(), "now", b64(nonce), b64(ciphertext)));
        BinaryWsClient.Frame ack = bin.ws().awaitType("ack");
        assertThat(ack.type()).isEqualTo(BinaryWire.ACK);
        assertThat(ack.json()).contains("\"id\":\"c1\"").contains("\"queued\":true");
        String messageId = jsonField(ack.json(), "messageId");
        assertThat(Sql.count(broker.databaseUrl(), "select count(*) from mesh.message_queue where id = '"
                + messageId + "'")).as("durable before the ack").isEqualTo(1);
        String push = json.ws().await("\"messageId\":\"" + messageId + "\"");
        assertThat(push).startsWith("{\"type\":\"push\",").contains("\"senderPubkey\":\"" + bin.key() + "\"")
                .contains("\"nonce\":\"" + b64(nonce) + "\"").contains("\"ciphertext\":\"" + b64(ciphertext) + "\"");

        byte[] nonce2 = random(24);
        byte[] ciphertext2 = random(1000);
        json.ws().send(Identities.send("j1", bin.key(), "now", b64(nonce2), b64(ciphertext2)));
        String jsonAck = json.ws().awaitType("ack");
        String id2 = jsonField(jsonAck, "messageId");
        BinaryWsClient.Frame binPush = bin.ws().await(s -> s.contains("\"messageId\":\"" + id2 + "\""));
        assertThat(binPush.type()).as("the compact push").isEqualTo(BinaryWire.PUSH);
        assertThat(contains(binPush.raw(), nonce2)).as("raw nonce in the frame").isTrue();
        assertThat(contains(binPush.raw(), ciphertext2)).as("raw ciphertext in the frame").isTrue();
        assertThat(binPush.raw().length).as("smaller than the JSON push").isLessThan(binPush.json().length() * 4 / 5);
        assertThat(binPush.json()).contains("\"senderPubkey\":\"" + json.key() + "\"").contains("\"senderName\":\"n-b\"");

        bin.ws().send("{\"type\":\"client_ack\",\"clientMessageId\":\"j1\",\"brokerMessageId\":\"" + id2 + "\"}");
        Sql.await(broker.databaseUrl(), "select count(*) from mesh.message_queue_status where id = '" + id2
                + "' and delivered_at is not null", 1);
        bin.ws().close();
        json.ws().close();
    }

    private static boolean contains(byte[] haystack, byte[] needle) {
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            if (Arrays.equals(haystack, i, i + needle.length, needle, 0, needle.length)) {
                return true;
            }
        }
        return false;
    }

    @Test
    void shouldFanOutBroadcastAndGroupSendsToAMixedMesh() throws Exception {
        String mesh = broker.createMesh("bin-multi");
        BinPeer binSender = binarySession(broker.addMember(mesh, "alice"), "a", null);
        BinPeer binBe = binarySession(broker.addMember(mesh, "bob"), "b", "[{\"name\":\"be\"}]");
        BrokerFixture.Peer jsonBe = broker.session(broker.addMember(mesh, "carol"), Ed25519.generate(), "c",
                "[{\"name\":\"be\"}]");
        BrokerFixture.Peer jsonOther = broker.session(broker.addMember(mesh, "dave"), "d");
        byte[] payload = random(64);

        binSender.ws().send(Identities.send("m1", "*", null, "", b64(payload)));
        String id = jsonField(binSender.ws().awaitType("ack").json(), "messageId");
        BinaryWsClient.Frame binPush = binBe.ws().await(s -> s.contains(id));
        assertThat(binPush.type()).isEqualTo(BinaryWire.PUSH);
        assertThat(binPush.json()).contains("\"senderMemberPubkey\"").contains("\"ciphertext\":\"" + b64(payload) + "\"");
        assertThat(jsonBe.ws().await(id)).contains("\"ciphertext\":\"" + b64(payload) + "\"");
        assertThat(jsonOther.ws().await(id)).contains("\"senderMemberId\"");

        jsonOther.ws().send(Identities.send("g1", "@be", "low", "", b64(payload)));
        String gid = jsonField(jsonOther.ws().awaitType("ack"), "messageId");
        assertThat(binBe.ws().await(s -> s.contains(gid)).json()).contains("\"priority\":\"low\"");
        assertThat(jsonBe.ws().await(gid)).contains("\"priority\":\"low\"");
        // a round trip on the sender's socket before asserting that it got nothing of its own multicast
        binSender.ws().send("{\"type\":\"list_peers\",\"_reqId\":\"after\"}");
        BinaryWsClient.Frame peers = binSender.ws().awaitType("peers_list");
        assertThat(peers.type()).isEqualTo(BinaryWire.PEERS_LIST);
        assertThat(peers.json()).contains("\"_reqId\":\"after\"").contains(binBe.key()).contains(jsonBe.key());
        assertThat(binSender.ws().all(s -> s.startsWith("{\"type\":\"push\"") && (s.contains(id) || s.contains(gid))))
                .as("the sender gets neither its own multicast nor the group send it is not in").isEmpty();
    }

    @Test
    void shouldAnswerBadFramesAndKeepTheSocket() throws Exception {
        String mesh = broker.createMesh("bin-bad");
        BinPeer bin = binarySession(broker.addMember(mesh, "alice"), "a", null);
        bin.ws().sendRaw(new byte[] {1, 0x03, 0, 0, 9});
        assertThat(bin.ws().awaitType("error").json()).contains("\"code\":\"bad_request\"")
                .contains("binary: ");
        bin.ws().sendText("{\"type\":\"list_peers\"}");
        assertThat(bin.ws().awaitType("error").json()).contains("text frame on a claudemesh.bin.1 connection");
        bin.ws().send("{\"type\":\"send\",\"targetSpec\":\"*\",\"nonce\":\"\",\"ciphertext\":\"\"}");
        assertThat(bin.ws().awaitType("ack").json()).contains("\"queued\":false").contains("invalid: ");
        bin.ws().send("{\"type\":\"get_state\",\"key\":\"nope\",\"_reqId\":\"s1\"}");
        BinaryWsClient.Frame state = bin.ws().await(s -> s.contains("\"_reqId\":\"s1\""));
        assertThat(state.type()).as("Part II replies travel as 0x7F").isEqualTo(BinaryWire.JSON);
        bin.ws().close();
    }

    @Test
    void shouldLeaveTheJsonProtocolByteForByteUnchanged() throws Exception {
        String mesh = broker.createMesh("json-only");
        BrokerFixture.Peer a = broker.session(broker.addMember(mesh, "alice"), "a");
        BrokerFixture.Peer b = broker.session(broker.addMember(mesh, "bob"), "b");
        a.ws().send("{\"type\":\"send\",\"id\":7,\"client_message_id\":\"x1\",\"targetSpec\":\"" + b.key()
                + "\",\"nonce\":\"AAAA\",\"ciphertext\":\"QUJD\"}");
        String ack = a.ws().awaitType("ack");
        String id = jsonField(ack, "messageId");
        assertThat(ack).isEqualTo("{\"type\":\"ack\",\"id\":7,\"client_message_id\":\"x1\",\"messageId\":\"" + id
                + "\",\"queued\":true}");
        String push = b.ws().await(id);
        assertThat(push).isEqualTo("{\"type\":\"push\",\"messageId\":\"" + id + "\",\"meshId\":\"" + mesh
                + "\",\"senderPubkey\":\"" + a.key() + "\",\"priority\":\"next\",\"nonce\":\"AAAA\","
                + "\"ciphertext\":\"QUJD\",\"createdAt\":\"" + jsonField(push, "createdAt")
                + "\",\"client_message_id\":\"x1\",\"senderName\":\"n-a\"}");
        a.ws().send("{\"type\":\"nope\",\"_reqId\":3}");
        assertThat(a.ws().awaitType("error")).startsWith("{\"type\":\"error\",\"code\":\"unknown_message_type\"")
                .endsWith(",\"_reqId\":3}");
        a.ws().close();
        b.ws().close();
    }
}
