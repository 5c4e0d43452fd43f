package dev.claudemesh.broker.netty.it;

import dev.claudemesh.broker.core.crypto.Ed25519;
import dev.claudemesh.broker.core.testing.Identities;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Every error and close code of PROTOCOL §3 against a real broker, socket and database. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AuthenticationIT {

    private BrokerFixture broker;
    private String mesh;
    private Identities.MemberKeys alice;
    private Identities.MemberKeys bob;

    @BeforeAll
    void start() throws Exception {
        broker = new BrokerFixture(Map.of("BROKER_HELLO_TIMEOUT_MS", "700"));
        mesh = broker.createMesh("auth");
        alice = broker.addMember(mesh, "alice");
        bob = broker.addMember(mesh, "bob");
    }

    @AfterAll
    void stop() {
        broker.close();
    }

    private static long now() {
        return System.currentTimeMillis();
    }

    /** Sends {@code hello}, expects exactly the rejection frame and the close code/reason. */
    private void expectRejected(String hello, String code, String prefix) {
        try (WsClient ws = broker.ws()) {
            ws.send(hello);
            String err = ws.awaitType("error");
            assertThat(err).isEqualTo("{\"type\":\"error\",\"code\":\"" + code + "\",\"message\":\"" + prefix
                    + " rejected: " + code + "\"}");
            assertThat(ws.awaitClose(5_000)).isEqualTo(1008);
            assertThat(ws.closeReason()).isEqualTo(code);
        }
    }

    private String helloWith(Identities.MemberKeys m, String field, String rawValue) {
        String h = Identities.hello(m, null, "d1", now(), "alice");
        return h.replaceFirst("\"" + field + "\":(\"[^\"]*\"|-?\\d+)", "\"" + field + "\":" + rawValue);
    }

    @Test
    void shouldAnswerNoHelloAndBadRequestBeforeAuthenticationWithoutClosing() {
        try (WsClient ws = broker.ws()) {
            ws.send("{\"type\":\"list_peers\",\"_reqId\":\"r1\"}");
            assertThat(ws.awaitType("error")).contains("\"code\":\"no_hello\"").contains("\"message\":\"must send hello first\"");
            ws.send("not json");
            assertThat(ws.awaitType("error")).contains("\"code\":\"bad_request\"");
            ws.send(Identities.hello(alice, null, "d-nh", now(), "alice"));
            assertThat(ws.awaitType("hello_ack")).contains("\"memberDisplayName\":\"alice\"");
        }
    }

    @Test
    void shouldRejectBadSessionPubkey() {
        expectRejected(Identities.hello(alice, "ABCD", "d1", now(), "alice"), "bad_session_pubkey", "hello");
    }

    @Test
    void shouldRejectTimestampSkew() {
        expectRejected(Identities.hello(alice, null, "d1", now() - 61_000, "alice"), "timestamp_skew", "hello");
        expectRejected(helloWith(alice, "timestamp", "\"x\""), "timestamp_skew", "hello");
    }

    @Test
    void shouldRejectMalformedKeysAndSignatures() {
        expectRejected(helloWith(alice, "signature", "\"abcd\""), "malformed", "hello");
        expectRejected(helloWith(alice, "pubkey", "\"12\""), "malformed", "hello");
    }

    @Test
    void shouldRejectBadSignature() {
        String h = Identities.hello(alice, null, "d1", now(), "alice");
        expectRejected(h.replaceAll("\"signature\":\"[0-9a-f]{4}", "\"signature\":\"0000"), "bad_signature", "hello");
    }

    @Test
    void shouldRejectUnknownMemberAsUnauthorized() {
        Identities.MemberKeys stranger = new Identities.MemberKeys(mesh, alice.memberId(), Ed25519.generate());
        expectRejected(Identities.hello(stranger, null, "d1", now(), "x"), "unauthorized", "hello");
    }

    @Test
    void shouldRejectMemberIdMismatch() {
        Identities.MemberKeys wrongId = new Identities.MemberKeys(mesh, bob.memberId(), alice.keys());
        expectRejected(Identities.hello(wrongId, null, "d1", now(), "alice"), "member_id_mismatch", "hello");
    }

    @Test
    void shouldRejectSessionPubkeyHeldByAnotherMember() {
        BrokerFixture.Peer bobSession = broker.session(bob, "bob-s1");
        expectRejected(Identities.hello(alice, bobSession.key(), "d-hijack", now(), "alice"),
                "session_pubkey_in_use", "hello");
        bobSession.ws().close();
    }

    @Test
    void shouldRejectRevokedMemberWith4002() throws Exception {
        Identities.MemberKeys carol = broker.addMember(mesh, "carol");
        BrokerFixture.Peer live = broker.session(carol, "carol-1");
        assertThat(broker.admin("POST", "/admin/meshes/" + mesh + "/members/" + carol.memberId() + "/revoke", "")
                .statusCode()).isEqualTo(200);
        assertThat(live.ws().awaitClose(5_000)).isEqualTo(4002);
        assertThat(live.ws().closeReason()).isEqualTo("banned");
        try (WsClient ws = broker.ws()) {
            ws.send(Identities.hello(carol, null, "d1", now(), "carol"));
            assertThat(ws.awaitType("error")).isEqualTo("{\"type\":\"error\",\"code\":\"revoked\",\"message\":"
                    + "\"You've been removed from \\\"auth\\\". Contact the mesh owner to rejoin.\"}");
            assertThat(ws.awaitClose(5_000)).isEqualTo(4002);
            assertThat(ws.closeReason()).isEqualTo("banned");
        }
    }

    @Test
    void shouldRejectSessionHelloChecksInOrder() {
        Ed25519.KeyPair s = Ed25519.generate();
        String ok = Identities.sessionHello(alice, s, "sid", now(), 3_600_000, "a", null);
        expectRejected(ok.replace("\"sessionPubkey\":\"" + s.publicKeyHex() + "\",\"parentAttestation\"",
                "\"sessionPubkey\":\"XYZ\",\"parentAttestation\""), "bad_session_pubkey", "session_hello");
        expectRejected(ok.replace("\"parentMemberPubkey\":\"" + alice.pubkey() + "\",\"sessionPubkey\"",
                "\"parentMemberPubkey\":\"" + alice.pubkey().toUpperCase() + "\",\"sessionPubkey\""),
                "bad_parent_pubkey", "session_hello");
        expectRejected(ok.replaceFirst("\"parentAttestation\":\\{\"sessionPubkey\":\"[0-9a-f]{64}\"",
                "\"parentAttestation\":{\"sessionPubkey\":\"" + Ed25519.generate().publicKeyHex() + "\""),
                "attestation_mismatch", "session_hello");
        expectRejected(Identities.sessionHello(alice, s, "sid", now(), -1_000, "a", null), "expired", "session_hello");
        expectRejected(Identities.sessionHello(alice, s, "sid", now(), 25L * 3600_000, "a", null), "ttl_too_long",
                "session_hello");
        expectRejected(ok.replaceFirst("\"expiresAt\":\\d+", "\"expiresAt\":\"soon\""), "malformed", "session_hello");
        // attestation signed by someone else
        Identities.MemberKeys forger = new Identities.MemberKeys(mesh, alice.memberId(), Ed25519.generate());
        String forged = Identities.sessionHello(forger, s, "sid", now(), 3_600_000, "a", null)
                .replace(forger.pubkey(), alice.pubkey());
        expectRejected(forged, "bad_signature", "session_hello");
        expectRejected(Identities.sessionHello(alice, s, "sid", now() - 120_000, 3_600_000, "a", null),
                "timestamp_skew", "session_hello");
        Identities.MemberKeys wrongParentId = new Identities.MemberKeys(mesh, bob.memberId(), alice.keys());
        expectRejected(Identities.sessionHello(wrongParentId, s, "sid", now(), 3_600_000, "a", null),
                "parent_member_id_mismatch", "session_hello");
        Identities.MemberKeys unknown = new Identities.MemberKeys(mesh, alice.memberId(), Ed25519.generate());
        expectRejected(Identities.sessionHello(unknown, s, "sid", now(), 3_600_000, "a", null), "unauthorized",
                "session_hello");
    }

    @Test
    void shouldRejectSignatureOverAnotherMeshId() {
        Identities.MemberKeys otherMesh = new Identities.MemberKeys("Z0000000000000000000000000000009",
                alice.memberId(), alice.keys());
        String h = Identities.hello(otherMesh, null, "d1", now(), "alice").replace("Z0000000000000000000000000000009", mesh);
        expectRejected(h, "bad_signature", "hello");
    }

    @Test
    void shouldAnswerAlreadyAuthenticatedAndKeepSocket() {
        BrokerFixture.Peer p = broker.session(alice, "aa-1");
        p.ws().send(Identities.hello(alice, null, "d1", now(), "alice"));
        assertThat(p.ws().awaitType("error")).contains("\"code\":\"already_authenticated\"");
        p.ws().send("{\"type\":\"list_peers\",\"_reqId\":7}");
        assertThat(p.ws().awaitType("peers_list")).contains("\"_reqId\":7");
        p.ws().close();
    }

    @Test
    void shouldCloseSilentSocketWithHelloTimeout() {
        try (WsClient ws = broker.ws()) {
            assertThat(ws.awaitClose(5_000)).isEqualTo(1008);
            assertThat(ws.closeReason()).isEqualTo("hello_timeout");
        }
    }

    @Test
    void shouldRejectOverCapacityCountingGraceLeases() throws Exception {
        try (BrokerFixture small = new BrokerFixture(Map.of("MAX_CONNECTIONS_PER_MESH", "3"))) {
            String mesh = small.createMesh("cap");
            Identities.MemberKeys m = small.addMember(mesh, "m");
            BrokerFixture.Peer p1 = small.session(m, "c1");
            BrokerFixture.Peer p2 = small.session(m, "c2");
            BrokerFixture.Peer p3 = small.session(m, "c3");
            p3.ws().abort();
            // p3's lease is in grace and still counts
            Thread.sleep(300);
            try (WsClient ws = small.ws()) {
                ws.send(Identities.sessionHello(m, Ed25519.generate(), "c4", now(), 3_600_000, "x", null));
                assertThat(ws.awaitType("error")).isEqualTo(
                        "{\"type\":\"error\",\"code\":\"capacity\",\"message\":\"session_hello rejected: capacity\"}");
                assertThat(ws.awaitClose(5_000)).isEqualTo(1008);
                assertThat(ws.closeReason()).isEqualTo("capacity");
            }
            // a reattach of the grace lease is not blocked by capacity
            BrokerFixture.Peer back = small.session(m, p3.sessionKeys(), "c3b", null);
            assertThat(back.presenceId()).isEqualTo(p3.presenceId());
            p1.ws().close();
            p2.ws().close();
            back.ws().close();
        }
    }

    @Test
    void shouldCloseFrameOverLimitWith1009() {
        BrokerFixture.Peer p = broker.session(alice, "big");
        String big = "{\"type\":\"send\",\"id\":\"x\",\"targetSpec\":\"*\",\"nonce\":\"\",\"ciphertext\":\""
                + "A".repeat(65536 + 16384 + 10) + "\"}";
        p.ws().raw().sendText(big, true);
        assertThat(p.ws().awaitClose(5_000)).isEqualTo(1009);
    }
}
