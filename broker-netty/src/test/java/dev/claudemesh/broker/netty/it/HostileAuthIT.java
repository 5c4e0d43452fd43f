package dev.claudemesh.broker.netty.it;

import dev.claudemesh.broker.core.crypto.Ed25519;
import dev.claudemesh.broker.core.testing.Identities;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.util.Map;

import static dev.claudemesh.broker.netty.it.BrokerFixture.jsonField;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Attacks on identity by peers that hold some keys but not the right ones: stale and replayed hellos, borrowed
 * attestations, signatures over another mesh, acks of other peers' DMs and hellos that reach for another member's
 * grace lease. Each is refused with the protocol's code (or has no effect), checked against the database where it
 * matters, and a bystander pair's DMs keep flowing.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HostileAuthIT {

    private static final String NONCE = "bm9uY2Vub25jZQ==";
    private static final String CT = "c2VjcmV0IGZvciB0aGUgdmljdGlt";

    private BrokerFixture broker;
    private Bystanders bystanders;

    @BeforeAll
    void start() throws Exception {
        broker = new BrokerFixture(Map.of("SEND_RATE_LIMIT_PER_MIN", "0"));
        bystanders = new Bystanders(broker);
    }

    @AfterEach
    void bystandersStillTalk() throws Exception {
        bystanders.assertUnaffected();
    }

    @AfterAll
    void stop() {
        bystanders.close();
        broker.close();
    }

    private static long now() {
        return System.currentTimeMillis();
    }

    private void expectRejected(String hello, String code, String kind) {
        try (WsClient ws = broker.ws()) {
            ws.send(hello);
            assertThat(ws.await(s -> s.contains("\"type\":\"error\"") || s.contains("hello_ack"), 5_000))
                    .isEqualTo("{\"type\":\"error\",\"code\":\"" + code + "\",\"message\":\"" + kind + " rejected: "
                            + code + "\"}");
            assertThat(ws.awaitClose(5_000)).isEqualTo(1008);
            assertThat(ws.closeReason()).isEqualTo(code);
        }
    }

    @Test
    void shouldRejectHellosOlderOrNewerThanTheSkewWindow() throws Exception {
        String mesh = broker.createMesh("replay");
        Identities.MemberKeys m = broker.addMember(mesh, "m");
        Ed25519.KeyPair session = Ed25519.generate();
        // a correctly signed hello captured 61 s ago, replayed now
        expectRejected(Identities.hello(m, null, "d", now() - 61_000, "m"), "timestamp_skew", "hello");
        expectRejected(Identities.hello(m, null, "d", now() + 61_000, "m"), "timestamp_skew", "hello");
        expectRejected(Identities.sessionHello(m, session, "s", now() - 61_000, 3_600_000 + 61_000, "m", null),
                "timestamp_skew", "session_hello");
        assertThat(broker.server().broker().metrics().connectionsRejected().get("timestamp_skew").sum())
                .isGreaterThanOrEqualTo(3);
        // non-ASCII digits are not hex (Character.digit accepted them, so fullwidth digits passed as a signature)
        String hello = Identities.hello(m, null, "d", now(), "m");
        String sig = jsonField(hello, "signature");
        String fullwidth = sig.replace('0', '\uFF10').replace('1', '\uFF11');
        if (!fullwidth.equals(sig)) {
            expectRejected(hello.replace(sig, fullwidth), "malformed", "hello");
        }
        // the same hello, untouched, is accepted: the checks above failed for the reasons given
        try (WsClient ws = broker.ws()) {
            ws.send(hello);
            assertThat(ws.awaitType("hello_ack")).contains("\"memberDisplayName\":\"m\"");
        }
    }

    @Test
    void shouldRejectSessionHellosWithAnotherMembersAttestation() throws Exception {
        String mesh = broker.createMesh("attest");
        Identities.MemberKeys alice = broker.addMember(mesh, "alice");
        Identities.MemberKeys mallory = broker.addMember(mesh, "mallory");
        Ed25519.KeyPair aliceSession = Ed25519.generate();
        Ed25519.KeyPair mallorySession = Ed25519.generate();
        long t = now();
        String alicesHello = Identities.sessionHello(alice, aliceSession, "a", t, 3_600_000, "alice", null);
        String alicesAttestation = alicesHello.substring(alicesHello.indexOf("\"parentAttestation\":"),
                alicesHello.indexOf("},\"displayName\"") + 1);

        // 1. Alice's captured attestation with Mallory's own session key: the keys no longer match
        String mine = Identities.sessionHello(alice, mallorySession, "m", t, 3_600_000, "mallory", null);
        String borrowed = mine.substring(0, mine.indexOf("\"parentAttestation\":")) + alicesAttestation
                + mine.substring(mine.indexOf("},\"displayName\"") + 1);
        expectRejected(borrowed, "attestation_mismatch", "session_hello");

        // 2. ...and with the attestation's session key edited to Mallory's: Alice's signature no longer verifies
        expectRejected(borrowed.replace("\"sessionPubkey\":\"" + aliceSession.publicKeyHex(),
                "\"sessionPubkey\":\"" + mallorySession.publicKeyHex()), "bad_signature", "session_hello");

        // 3. Alice's whole session_hello replayed by Mallory on a new socket needs Alice's session key: the replay
        //    is byte-identical, so it is the stable-identity reattach, which only the holder of that key can sign;
        //    a fresh timestamp without the session key's signature fails
        String replayedFresh = alicesHello.replace("\"timestamp\":" + t, "\"timestamp\":" + (t + 1));
        expectRejected(replayedFresh, "bad_signature", "session_hello");

        // 4. Mallory's attestation (signed by her member key) presented as Alice's: parent key and attestation differ
        String forged = Identities.sessionHello(mallory, mallorySession, "m", t, 3_600_000, "mallory", null)
                .replace("\"parentMemberPubkey\":\"" + mallory.pubkey(), "\"parentMemberPubkey\":\"" + alice.pubkey());
        expectRejected(forged, "bad_signature", "session_hello");

        // 5. Mallory's own valid session_hello naming Alice's member id: parent_member_id_mismatch
        expectRejected(Identities.sessionHello(mallory, mallorySession, "m", t, 3_600_000, "mallory", null)
                .replace("\"parentMemberId\":\"" + mallory.memberId(), "\"parentMemberId\":\"" + alice.memberId()),
                "parent_member_id_mismatch", "session_hello");

        // nothing of Alice's was created
        assertThat(Sql.count(broker.databaseUrl(), "select count(*) from mesh.presence where session_pubkey = '"
                + mallorySession.publicKeyHex() + "'")).isZero();
    }

    @Test
    void shouldRejectSignaturesOverAnotherMeshId() throws Exception {
        String meshA = broker.createMesh("mesh-a");
        String meshB = broker.createMesh("mesh-b");
        Identities.MemberKeys inA = broker.addMember(meshA, "alice");
        // the same key enrolled in mesh B too
        var r = broker.admin("POST", "/admin/meshes/" + meshB + "/members",
                "{\"pubkey\":\"" + inA.pubkey() + "\",\"displayName\":\"alice\"}");
        assertThat(r.statusCode()).isEqualTo(201);
        Identities.MemberKeys inB = new Identities.MemberKeys(meshB, jsonField(r.body(), "id"), inA.keys());
        long t = now();
        // hello for mesh A, signed over mesh B's canonical string (and the converse)
        String signedForB = Identities.hello(inB, null, "d", t, "alice");
        String sigB = jsonField(signedForB, "signature");
        String helloA = Identities.hello(inA, null, "d", t, "alice");
        expectRejected(helloA.replace(jsonField(helloA, "signature"), sigB), "bad_signature", "hello");
        // a valid hello for mesh A with its meshId edited to B (cross-mesh replay)
        expectRejected(helloA.replace("\"meshId\":\"" + meshA, "\"meshId\":\"" + meshB)
                .replace("\"memberId\":\"" + inA.memberId(), "\"memberId\":\"" + inB.memberId()), "bad_signature", "hello");
        // session_hello: the session key's signature covers the mesh id
        Ed25519.KeyPair s = Ed25519.generate();
        String sessionForA = Identities.sessionHello(inA, s, "s", t, 3_600_000, "alice", null);
        expectRejected(sessionForA.replace("\"meshId\":\"" + meshA, "\"meshId\":\"" + meshB)
                .replace("\"parentMemberId\":\"" + inA.memberId(), "\"parentMemberId\":\"" + inB.memberId()),
                "bad_signature", "session_hello");
    }

    @Test
    void shouldIgnoreClientAckOfAnotherPeersMessage() throws Exception {
        String mesh = broker.createMesh("ack-theft");
        BrokerFixture.Peer alice = broker.session(broker.addMember(mesh, "alice"), "alice");
        Identities.MemberKeys bobMember = broker.addMember(mesh, "bob");
        BrokerFixture.Peer bob = broker.session(bobMember, "bob");
        BrokerFixture.Peer mallory = broker.session(broker.addMember(mesh, "mallory"), "mallory");
        try {
            alice.ws().send(Identities.send("for-bob", bob.key(), "now", NONCE, CT));
            String messageId = jsonField(alice.ws().await("\"id\":\"for-bob\""), "messageId");
            bob.ws().await("\"messageId\":\"" + messageId + "\"");
            // by broker id, by client id, by both, and by the member key route: none is Mallory's to ack
            mallory.ws().send("{\"type\":\"client_ack\",\"brokerMessageId\":\"" + messageId + "\"}");
            mallory.ws().send("{\"type\":\"client_ack\",\"clientMessageId\":\"for-bob\"}");
            mallory.ws().send("{\"type\":\"client_ack\",\"clientMessageId\":\"for-bob\",\"brokerMessageId\":\""
                    + messageId + "\"}");
            // fence: frames are handled in order, and a later DM's durable ack means earlier writes are committed
            mallory.ws().send(Identities.send("fence", alice.key(), "now", NONCE, CT));
            mallory.ws().await("\"id\":\"fence\"");
            assertThat(Sql.count(broker.databaseUrl(), "select count(*) from mesh.message_queue_status where id = '"
                    + messageId + "' and delivered_at is null")).isEqualTo(1);
            // still Bob's: it is pushed to him again after his reconnect, and his own ack lands
            bob.ws().abort();
            WsClient again = broker.ws();
            again.send(Identities.sessionHello(bobMember, bob.sessionKeys(), "bob", now(), 3_600_000, "bob", null));
            again.awaitType("hello_ack");
            assertThat(again.await("\"messageId\":\"" + messageId + "\"")).contains("\"ciphertext\":\"" + CT + "\"");
            again.send("{\"type\":\"client_ack\",\"brokerMessageId\":\"" + messageId + "\"}");
            Sql.await(broker.databaseUrl(), "select count(*) from mesh.message_queue_status where id = '" + messageId
                    + "' and delivered_at is not null", 1);
            again.close();
        } finally {
            alice.ws().close();
            mallory.ws().close();
        }
    }

    @Test
    void shouldNotLetAHelloTakeOverAnotherMembersGraceLease() throws Exception {
        String mesh = broker.createMesh("lease-theft");
        Identities.MemberKeys victim = broker.addMember(mesh, "victim");
        Identities.MemberKeys mallory = broker.addMember(mesh, "mallory");
        BrokerFixture.Peer sender = broker.session(broker.addMember(mesh, "sender"), "sender");
        String victimSessionKey = Ed25519.generate().publicKeyHex();
        // the victim's daemon: a control-plane hello with an (unproven) session key and a session id
        WsClient daemon = broker.ws();
        daemon.send(Identities.hello(victim, victimSessionKey, "daemon-1", now(), "victim"));
        String presenceId = jsonField(daemon.awaitType("hello_ack"), "presenceId");
        daemon.abort();
        // in grace now: DMs to it queue
        sender.ws().send(Identities.send("held", victimSessionKey, "now", NONCE, CT));
        String messageId = jsonField(sender.ws().await("\"id\":\"held\""), "messageId");
        assertThat(sender.ws().all("\"id\":\"held\"").get(0)).contains("\"queued\":true");

        // Mallory claims the victim's session key: refused
        expectRejected(Identities.hello(mallory, victimSessionKey, "daemon-1", now(), "mallory"),
                "session_pubkey_in_use", "hello");
        // Mallory reuses the victim's session id: she gets a lease of her own, not the victim's
        WsClient m2 = broker.ws();
        m2.send(Identities.hello(mallory, null, "daemon-1", now(), "mallory"));
        String ack = m2.awaitType("hello_ack");
        assertThat(ack).contains("\"memberProfile\"").doesNotContain(presenceId);
        assertThat(m2.all("\"messageId\":\"" + messageId + "\"")).isEmpty();

        // the victim's grace lease is untouched: still listed, same presence, not live
        m2.send("{\"type\":\"list_peers\",\"_reqId\":\"check\"}");
        String peers = m2.await("\"_reqId\":\"check\"");
        assertThat(peers).contains("\"pubkey\":\"" + victimSessionKey + "\"");
        assertThat(Sql.count(broker.databaseUrl(), "select count(*) from mesh.presence where id = '" + presenceId
                + "' and disconnected_at is null")).isEqualTo(1);

        // the victim comes back within grace: same presence, and the held DM is delivered to it, not to Mallory
        WsClient back = broker.ws();
        back.send(Identities.hello(victim, victimSessionKey, "daemon-1", now(), "victim"));
        String reattach = back.awaitType("hello_ack");
        assertThat(jsonField(reattach, "presenceId")).isEqualTo(presenceId);
        assertThat(reattach).doesNotContain("memberProfile");
        assertThat(back.await("\"messageId\":\"" + messageId + "\"")).contains("\"ciphertext\":\"" + CT + "\"");
        // a round trip on Mallory's socket after the delivery: a push to her would have been written before this answer
        m2.send("{\"type\":\"list_peers\",\"_reqId\":\"after-delivery\"}");
        m2.await("\"_reqId\":\"after-delivery\"");
        assertThat(m2.all("\"messageId\":\"" + messageId + "\"")).isEmpty();
        back.close();
        m2.close();
        sender.ws().close();
    }
}
