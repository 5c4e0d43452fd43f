package dev.claudemesh.broker.core.mesh;

import dev.claudemesh.broker.core.BrokerMetrics;
import dev.claudemesh.broker.core.BrokerSettings;
import dev.claudemesh.broker.core.crypto.Ed25519;
import dev.claudemesh.broker.core.model.Member;
import dev.claudemesh.broker.core.model.RecentSend;
import dev.claudemesh.broker.core.port.DurableOp;
import dev.claudemesh.broker.core.testing.FakeConnection;
import dev.claudemesh.broker.core.testing.FakeDirectory;
import dev.claudemesh.broker.core.testing.FakeDurableLog;
import dev.claudemesh.broker.core.testing.Identities;
import dev.claudemesh.broker.core.testing.ManualClock;
import dev.claudemesh.broker.core.testing.ManualLoop;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** Domain behaviour with a manual clock and loop: no sockets, no database, no sleeps. */
class BrokerTest {

    private static final String MESH = "M0000000000000000000000000000001";

    private ManualClock clock;
    private ManualLoop loop;
    private FakeDirectory directory;
    private FakeDurableLog durable;
    private Broker broker;
    private Identities.MemberKeys alice;
    private Identities.MemberKeys bob;

    @BeforeEach
    void setUp() {
        clock = new ManualClock(1_700_000_000_000L);
        loop = new ManualLoop(clock);
        directory = new FakeDirectory();
        durable = new FakeDurableLog();
        broker = new Broker(BrokerSettings.defaults(), clock, loop, directory, durable, new BrokerMetrics());
        alice = member("A0000000000000000000000000000001", "alice", Map.of());
        bob = member("B0000000000000000000000000000001", "bob", Map.of());
    }

    private Identities.MemberKeys member(String id, String name, Map<String, List<String>> grants) {
        Ed25519.KeyPair kp = Ed25519.generate();
        directory.put(new Member(id, MESH, "conf", kp.publicKeyHex(), name, null, List.of(), grants, "push", false));
        return new Identities.MemberKeys(MESH, id, kp);
    }

    private record Peer(FakeConnection conn, PeerSession session, Ed25519.KeyPair sessionKeys) { }

    private Peer connectSession(Identities.MemberKeys m, Ed25519.KeyPair sessionKeys, String sessionId) {
        FakeConnection c = new FakeConnection(loop);
        PeerSession s = broker.open(c);
        frame(s, Identities.sessionHello(m, sessionKeys, sessionId, clock.millis(), 3_600_000, "n-" + sessionId, null));
        loop.runAll();
        return new Peer(c, s, sessionKeys);
    }

    private static void frame(PeerSession s, String json) {
        byte[] b = json.getBytes(StandardCharsets.UTF_8);
        s.onFrame(b, 0, b.length);
    }

    private static String field(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\":\"([^\"]*)\"").matcher(json);
        return m.find() ? m.group(1) : null;
    }

    /** The session_hello with the first byte of its attestation's signature changed. */
    private static String withAttestationSignatureChanged(String sessionHello) {
        Matcher m = Pattern.compile("\"expiresAt\":\\d+,\"signature\":\"([0-9a-f]{2})").matcher(sessionHello);
        assertThat(m.find()).isTrue();
        String changed = m.group(1).equals("00") ? "11" : "00";
        return sessionHello.substring(0, m.start(1)) + changed + sessionHello.substring(m.end(1));
    }

    @Test
    void shouldAckAfterCommitAndPushDmBeforeIt() {
        Peer a = connectSession(alice, Ed25519.generate(), "s-a");
        Peer b = connectSession(bob, Ed25519.generate(), "s-b");
        assertThat(a.conn.frames.get(0)).contains("\"type\":\"hello_ack\"").contains("memberProfile");
        frame(a.session, Identities.send("c1", b.sessionKeys.publicKeyHex(), "now", "bm9uY2U=", "Y2lwaGVy"));
        loop.runAll();
        assertThat(b.conn.framesContaining("\"type\":\"push\"")).hasSize(1);
        assertThat(a.conn.framesContaining("\"type\":\"ack\"")).isEmpty();
        durable.commitAll();
        String ack = a.conn.framesContaining("\"type\":\"ack\"").get(0);
        assertThat(ack).contains("\"queued\":true").contains("\"id\":\"c1\"");
        String push = b.conn.framesContaining("\"type\":\"push\"").get(0);
        assertThat(field(push, "messageId")).isEqualTo(field(ack, "messageId"));
        assertThat(push).contains("\"nonce\":\"bm9uY2U=\"").contains("\"ciphertext\":\"Y2lwaGVy\"")
                .contains("\"senderPubkey\":\"" + a.sessionKeys.publicKeyHex() + "\"");
    }

    @Test
    void shouldHoldNextPriorityWhileWorkingAndReleaseWhenIdle() {
        Peer a = connectSession(alice, Ed25519.generate(), "s-a");
        Peer b = connectSession(bob, Ed25519.generate(), "s-b");
        frame(b.session, "{\"type\":\"set_status\",\"status\":\"working\"}");
        loop.runAll();
        frame(a.session, Identities.send("c1", b.sessionKeys.publicKeyHex(), "next", "bm9uY2U=", "Y2lwaGVy"));
        loop.runAll();
        durable.commitAll();
        assertThat(b.conn.framesContaining("\"type\":\"push\",\"messageId\"")).isEmpty();
        frame(b.session, "{\"type\":\"set_status\",\"status\":\"idle\"}");
        loop.runAll();
        assertThat(b.conn.framesContaining("\"type\":\"push\",\"messageId\"")).hasSize(1);
    }

    @Test
    void shouldFlipWorkingToIdleAfterTtlAndReleaseHeldDm() {
        Peer a = connectSession(alice, Ed25519.generate(), "s-a");
        Peer b = connectSession(bob, Ed25519.generate(), "s-b");
        frame(b.session, "{\"type\":\"set_status\",\"status\":\"working\"}");
        frame(a.session, Identities.send("c1", b.sessionKeys.publicKeyHex(), "next", "bm9uY2U=", "Y2lwaGVy"));
        loop.runAll();
        loop.advance(50_000);
        assertThat(b.conn.framesContaining("\"type\":\"push\",\"messageId\"")).isEmpty();
        loop.advance(30_000);
        assertThat(b.conn.framesContaining("\"type\":\"push\",\"messageId\"")).hasSize(1);
    }

    @Test
    void shouldRedeliverWithoutClientAckAndNotAfterIt() {
        Peer a = connectSession(alice, Ed25519.generate(), "s-a");
        Peer b = connectSession(bob, Ed25519.generate(), "s-b");
        frame(a.session, Identities.send("c1", b.sessionKeys.publicKeyHex(), "now", "bm9uY2U=", "Y2lwaGVy"));
        frame(a.session, Identities.send("c2", b.sessionKeys.publicKeyHex(), "now", "bm9uY2U=", "Y2lwaGVy"));
        loop.runAll();
        durable.commitAll();
        List<String> pushes = b.conn.framesContaining("\"type\":\"push\",\"messageId\"");
        assertThat(pushes).hasSize(2);
        frame(b.session, "{\"type\":\"client_ack\",\"clientMessageId\":\"c1\",\"brokerMessageId\":\""
                + field(pushes.get(0), "messageId") + "\"}");
        loop.advance(31_000);
        List<String> after = b.conn.framesContaining("\"type\":\"push\",\"messageId\"");
        assertThat(after).hasSize(3);
        assertThat(field(after.get(2), "messageId")).isEqualTo(field(pushes.get(1), "messageId"));
        durable.commitAll();
        assertThat(durable.committed).anyMatch(op -> op instanceof DurableOp.MarkDelivered md
                && md.messageId().equals(field(pushes.get(0), "messageId")));
    }

    @Test
    void shouldReattachDuringGraceWithSamePresenceIdAndDeliverQueuedDm() {
        Peer a = connectSession(alice, Ed25519.generate(), "s-a");
        Ed25519.KeyPair bobSession = Ed25519.generate();
        Peer b = connectSession(bob, bobSession, "s-b");
        String presence = field(b.conn.frames.get(0), "presenceId");
        b.session.onClosed();
        loop.runAll();
        frame(a.session, Identities.send("c1", bobSession.publicKeyHex(), "now", "bm9uY2U=", "Y2lwaGVy"));
        loop.runAll();
        durable.commitAll();
        assertThat(a.conn.last()).contains("\"queued\":true");
        loop.advance(10_000);
        Peer b2 = connectSession(bob, bobSession, "s-b2");
        assertThat(b2.conn.frames.get(0)).contains("\"presenceId\":\"" + presence + "\"").doesNotContain("memberProfile");
        assertThat(b2.conn.framesContaining("\"type\":\"push\",\"messageId\"")).hasSize(1);
        assertThat(a.conn.framesContaining("peer_left")).isEmpty();
    }

    @Test
    void shouldEvictAfterGraceAndSendPeerLeft() {
        Peer a = connectSession(alice, Ed25519.generate(), "s-a");
        Peer b = connectSession(bob, Ed25519.generate(), "s-b");
        assertThat(a.conn.framesContaining("peer_joined")).hasSize(1);
        b.session.onClosed();
        loop.advance(89_000);
        assertThat(a.conn.framesContaining("peer_left")).isEmpty();
        loop.advance(2_000);
        assertThat(a.conn.framesContaining("peer_left")).hasSize(1);
        frame(a.session, Identities.send("c9", b.sessionKeys.publicKeyHex(), "now", "bm9uY2U=", "Y2lwaGVy"));
        loop.runAll();
        assertThat(a.conn.last()).contains("\"queued\":false").contains("no connected peer");
    }

    @Test
    void shouldReplaceOlderSocketWithSameSessionKey() {
        Ed25519.KeyPair key = Ed25519.generate();
        Peer a = connectSession(alice, Ed25519.generate(), "s-a");
        Peer b1 = connectSession(bob, key, "s-b");
        Peer b2 = connectSession(bob, key, "s-b");
        assertThat(b1.conn.closeCode).isEqualTo(1000);
        assertThat(b1.conn.closeReason).isEqualTo("session_replaced");
        assertThat(field(b2.conn.frames.get(0), "presenceId")).isEqualTo(field(b1.conn.frames.get(0), "presenceId"));
        b1.session.onClosed();
        loop.runAll();
        frame(a.session, Identities.send("c1", key.publicKeyHex(), "now", "bm9uY2U=", "Y2lwaGVy"));
        loop.runAll();
        assertThat(b2.conn.framesContaining("\"type\":\"push\",\"messageId\"")).hasSize(1);
        assertThat(b1.conn.framesContaining("\"type\":\"push\",\"messageId\"")).isEmpty();
    }

    @Test
    void shouldReturnFirstAckForRepeatedClientMessageId() {
        Peer a = connectSession(alice, Ed25519.generate(), "s-a");
        Peer b = connectSession(bob, Ed25519.generate(), "s-b");
        frame(a.session, Identities.send("c1", b.sessionKeys.publicKeyHex(), "now", "bm9uY2U=", "Y2lwaGVy"));
        loop.runAll();
        durable.commitAll();
        frame(a.session, Identities.send("c1", b.sessionKeys.publicKeyHex(), "now", "bm9uY2U=", "Y2lwaGVy"));
        loop.runAll();
        List<String> acks = a.conn.framesContaining("\"type\":\"ack\"");
        assertThat(acks).hasSize(2);
        assertThat(field(acks.get(1), "messageId")).isEqualTo(field(acks.get(0), "messageId"));
        assertThat(b.conn.framesContaining("\"type\":\"push\",\"messageId\"")).hasSize(1);
    }

    @Test
    void shouldReturnTheFirstAckForASendRepeatedAfterARestartWithinTheWindow() {
        Ed25519.KeyPair aKeys = Ed25519.generate();
        String before = "0123456789abcdefghijABCDEFGHIJxy";
        // What a broker restart reloads: the send c1 of alice's session, accepted 5 min ago; c-old 11 min ago.
        broker.restoreRecentSends(List.of(
                new RecentSend(MESH, aKeys.publicKeyHex(), "c-old", "0000000000abcdefghijABCDEFGHIJxy",
                        clock.millis() - 11 * 60_000),
                new RecentSend(MESH, aKeys.publicKeyHex(), "c1", before, clock.millis() - 5 * 60_000)));
        loop.runAll();
        Peer a = connectSession(alice, aKeys, "s-a");
        Peer b = connectSession(bob, Ed25519.generate(), "s-b");

        frame(a.session, Identities.send("c1", b.sessionKeys.publicKeyHex(), "now", "bm9uY2U=", "Y2lwaGVy"));
        frame(a.session, Identities.send("c-old", b.sessionKeys.publicKeyHex(), "now", "bm9uY2U=", "Y2lwaGVy"));
        loop.runAll();
        durable.commitAll();

        List<String> acks = a.conn.framesContaining("\"type\":\"ack\"");
        assertThat(acks).hasSize(2);
        assertThat(field(acks.get(0), "messageId")).isEqualTo(before);
        // Outside the 10-minute window the repeat is a new message.
        assertThat(field(acks.get(1), "messageId")).isNotEqualTo("0000000000abcdefghijABCDEFGHIJxy");
        assertThat(b.conn.framesContaining("\"type\":\"push\",\"messageId\"")).hasSize(1)
                .allSatisfy(push -> assertThat(push).contains("\"client_message_id\":\"c-old\""));
    }

    @Test
    void shouldRateLimitPerMemberWithBurst() {
        Peer a = connectSession(alice, Ed25519.generate(), "s-a");
        Peer b = connectSession(bob, Ed25519.generate(), "s-b");
        for (int i = 0; i < 11; i++) {
            frame(a.session, "{\"type\":\"send\",\"id\":\"r" + i + "\",\"targetSpec\":\"*\",\"nonce\":\"\",\"ciphertext\":\"\"}");
        }
        loop.runAll();
        List<String> acks = a.conn.framesContaining("\"type\":\"ack\"");
        assertThat(acks).hasSize(11);
        assertThat(acks.get(10)).contains("\"error\":\"rate_limit: max 60 msg/min (burst 10) — slow down\"");
        assertThat(b.conn.framesContaining("\"type\":\"push\",\"messageId\"")).hasSize(10);
    }

    @Test
    void shouldRejectHelloWithBadSignatureAndClose1008() {
        FakeConnection c = new FakeConnection(loop);
        PeerSession s = broker.open(c);
        String hello = Identities.hello(alice, null, "d-1", clock.millis(), "alice");
        hello = hello.replaceAll("\"signature\":\"[0-9a-f]{2}", "\"signature\":\"00");
        frame(s, hello);
        loop.runAll();
        assertThat(c.frames).containsExactly(
                "{\"type\":\"error\",\"code\":\"bad_signature\",\"message\":\"hello rejected: bad_signature\"}");
        assertThat(c.closeCode).isEqualTo(1008);
        assertThat(c.closeReason).isEqualTo("bad_signature");
    }

    @Test
    void shouldVerifyARememberedAttestationAgainWhenItsSignatureDiffers() {
        Ed25519.KeyPair keys = Ed25519.generate();
        String hello = Identities.sessionHello(alice, keys, "s-a", clock.millis(), 3_600_000, "a", null);
        Peer first = connectSession(alice, keys, "s-a");
        assertThat(first.conn.frames.get(0)).contains("hello_ack");

        FakeConnection c = new FakeConnection(loop);
        frame(broker.open(c), withAttestationSignatureChanged(hello));
        loop.runAll();

        assertThat(c.frames).containsExactly("{\"type\":\"error\",\"code\":\"bad_signature\","
                + "\"message\":\"session_hello rejected: bad_signature\"}");
        Peer again = connectSession(alice, keys, "s-a");
        assertThat(again.conn.frames.get(0)).contains("hello_ack");
    }

    @Test
    void shouldRejectARememberedAttestationOnceExpired() {
        Ed25519.KeyPair keys = Ed25519.generate();
        long expiresAt = clock.millis() + 3_600_000;
        Peer first = connectSession(alice, keys, "s-a");
        assertThat(first.conn.frames.get(0)).contains("hello_ack");
        loop.advance(3_600_000);

        // the same attestation (ed25519 signatures are deterministic) under a fresh hello signature
        FakeConnection c = new FakeConnection(loop);
        frame(broker.open(c), Identities.sessionHello(alice, keys, "s-a", clock.millis(), expiresAt - clock.millis(),
                "a", null));
        loop.runAll();

        assertThat(c.frames).containsExactly(
                "{\"type\":\"error\",\"code\":\"expired\",\"message\":\"session_hello rejected: expired\"}");
    }

    @Test
    void shouldAnswerNoHelloBeforeAuthentication() {
        FakeConnection c = new FakeConnection(loop);
        PeerSession s = broker.open(c);
        frame(s, "{\"type\":\"list_peers\"}");
        frame(s, "{nope");
        loop.runAll();
        assertThat(c.frames.get(0)).isEqualTo("{\"type\":\"error\",\"code\":\"no_hello\",\"message\":\"must send hello first\"}");
        assertThat(c.frames.get(1)).contains("\"code\":\"bad_request\"");
        assertThat(c.closeCode).isNull();
    }

    @Test
    void shouldExpireUndeliveredDmsAfterSevenDays() {
        Peer a = connectSession(alice, Ed25519.generate(), "s-a");
        Ed25519.KeyPair bobKey = Ed25519.generate();
        Peer b = connectSession(bob, bobKey, "s-b");
        b.session.onClosed();
        loop.runAll();
        frame(a.session, Identities.send("e1", bobKey.publicKeyHex(), "now", "bm9uY2U=", "Y2lwaGVy"));
        loop.runAll();
        durable.commitAll();
        assertThat(broker.queuedMessages()).isEqualTo(1);
        clock.advance(7L * 24 * 3600_000 + 1);
        loop.advance(61_000);
        assertThat(broker.queuedMessages()).isZero();
    }

    @Test
    void shouldKeepDndAgainstHooksAndRankHookAboveManualInsideWindow() {
        Peer b = connectSession(bob, Ed25519.generate(), "s-b");
        frame(b.session, "{\"type\":\"set_status\",\"status\":\"dnd\"}");
        loop.runAll();
        broker.hooks().setStatus("/w", 5150L, "working");
        loop.runAll();
        frame(b.session, "{\"type\":\"list_peers\"}");
        loop.runAll();
        assertThat(b.conn.last()).contains("\"status\":\"dnd\"");
        frame(b.session, "{\"type\":\"set_status\",\"status\":\"idle\"}");
        loop.runAll();
        broker.hooks().setStatus("/w", 5150L, "working");
        loop.runAll();
        frame(b.session, "{\"type\":\"set_status\",\"status\":\"idle\"}");
        frame(b.session, "{\"type\":\"list_peers\"}");
        loop.runAll();
        assertThat(b.conn.last()).contains("\"status\":\"working\"");
        loop.advance(31_000);
        frame(b.session, "{\"type\":\"set_status\",\"status\":\"idle\"}");
        frame(b.session, "{\"type\":\"list_peers\"}");
        loop.runAll();
        assertThat(b.conn.last()).contains("\"status\":\"idle\"");
    }

    @Test
    void shouldLetProvenSessionKeyOwnerEvictAnUnprovenHelloClaim() {
        Ed25519.KeyPair bobKey = Ed25519.generate();
        Peer b = connectSession(bob, bobKey, "s-b");
        b.session.onClosed();
        loop.advance(91_000);
        // alice's daemon claims bob's (now free) session key with a plain hello, which proves nothing about it
        FakeConnection squatter = new FakeConnection(loop);
        PeerSession sq = broker.open(squatter);
        frame(sq, Identities.hello(alice, bobKey.publicKeyHex(), "d-1", clock.millis(), "alice"));
        loop.runAll();
        assertThat(squatter.frames.get(0)).contains("hello_ack");
        Peer back = connectSession(bob, bobKey, "s-b2");
        assertThat(back.conn.frames.get(0)).contains("hello_ack");
        assertThat(squatter.closeCode).isEqualTo(1008);
        assertThat(squatter.closeReason).isEqualTo("session_pubkey_in_use");
    }
}
