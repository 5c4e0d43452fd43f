package dev.claudemesh.broker.netty.it;

import dev.claudemesh.broker.core.crypto.Ed25519;
import dev.claudemesh.broker.core.testing.Identities;
import dev.claudemesh.broker.db.testing.Eventually;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.claudemesh.broker.netty.it.BrokerFixture.jsonField;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Presence and delivery over time (PROTOCOL §4.3, §5) with a shortened grace (1.5 s) and redelivery (1 s), so the
 * waits stay short; the durations are configuration, the code paths are the production ones. Nothing sleeps: a test
 * waits for the broker to have seen a socket close (its open-connection gauge), for an event, or for a
 * {@code list_peers} answer, which follows on its socket whatever the mesh sent that socket before.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PresenceIT {

    private static final String NONCE = "bm9uY2U=";
    private static final String CT = "b3JpZ2luYWwgYnl0ZXM=";

    private static final Duration WAIT = Duration.ofSeconds(5);

    private BrokerFixture broker;
    private final AtomicInteger reqIds = new AtomicInteger();

    @BeforeAll
    void start() throws Exception {
        broker = new BrokerFixture(Map.of("BROKER_GRACE_MS", "1500", "BROKER_REDELIVERY_MS", "1000",
                "SEND_RATE_LIMIT_PER_MIN", "0"));
    }

    @AfterAll
    void stop() {
        broker.close();
    }

    /** Every test closes its sockets: the next one starts once the broker has seen them all close. */
    @BeforeEach
    void earlierSocketsClosed() {
        awaitOpenSockets(0);
    }

    /**
     * Waits until the broker counts {@code n} open peer sockets. The gauge drops after the socket's close was handed
     * to its mesh loop, so work a test sends afterwards finds the lease in grace.
     */
    private void awaitOpenSockets(long n) {
        Eventually.await(WAIT, n + " open peer sockets",
                () -> broker.server().broker().metrics().connectionsActive.get() == n);
    }

    /** A {@code list_peers} round trip on {@code ws}: its answer follows whatever the mesh sent {@code ws} before. */
    private String roundTrip(WsClient ws) {
        String reqId = "rt-" + reqIds.incrementAndGet();
        ws.send("{\"type\":\"list_peers\",\"_reqId\":\"" + reqId + "\"}");
        return ws.await(s -> s.contains("\"_reqId\":\"" + reqId + "\""), 5_000);
    }

    @Test
    void shouldKeepLeaseInGraceThenEvictWithPeerLeft() throws Exception {
        String mesh = broker.createMesh("grace");
        BrokerFixture.Peer a = broker.session(broker.addMember(mesh, "alice"), "a");
        BrokerFixture.Peer b = broker.session(broker.addMember(mesh, "bob"), "b");
        String joined = a.ws().await("\"event\":\"peer_joined\"");
        assertThat(joined).contains("\"subtype\":\"system\"").contains("\"senderPubkey\":\"system\"")
                .contains("\"priority\":\"low\"").contains("\"nonce\":\"\"").contains("\"ciphertext\":\"\"")
                .contains("\"name\":\"n-b\"").contains("\"pubkey\":\"" + b.key() + "\"");
        b.ws().abort();
        awaitOpenSockets(1);
        // in grace: still listed
        assertThat(roundTrip(a.ws())).contains(b.key());
        String left = a.ws().await(s -> s.contains("\"event\":\"peer_left\""), 5_000);
        assertThat(left).contains("\"pubkey\":\"" + b.key() + "\"").contains("\"name\":\"n-b\"");
        a.ws().send("{\"type\":\"list_peers\"}");
        assertThat(a.ws().awaitType("peers_list")).doesNotContain(b.key());
        Sql.await(broker.databaseUrl(), "select count(*) from mesh.presence where id = '" + b.presenceId()
                + "' and disconnected_at is not null", 1);
        a.ws().close();
    }

    @Test
    void shouldDeliverQueuedDmOnReattachDuringGraceWithOriginalIdAndBytes() throws Exception {
        String mesh = broker.createMesh("reattach");
        BrokerFixture.Peer a = broker.session(broker.addMember(mesh, "alice"), "a");
        Identities.MemberKeys bob = broker.addMember(mesh, "bob");
        Ed25519.KeyPair bobKey = Ed25519.generate();
        BrokerFixture.Peer b = broker.session(bob, bobKey, "b", null);
        b.ws().abort();
        awaitOpenSockets(1);
        a.ws().send(Identities.send("q1", bobKey.publicKeyHex(), "next", NONCE, CT));
        String ack = a.ws().awaitType("ack");
        assertThat(ack).contains("\"queued\":true");
        String id = jsonField(ack, "messageId");
        BrokerFixture.Peer b2 = broker.session(bob, bobKey, "b-again", null);
        assertThat(b2.presenceId()).isEqualTo(b.presenceId());
        assertThat(b2.helloAck()).doesNotContain("memberProfile");
        String push = b2.ws().await("\"messageId\":\"" + id + "\"");
        assertThat(push).contains("\"nonce\":\"" + NONCE + "\"").contains("\"ciphertext\":\"" + CT + "\"");
        assertThat(a.ws().all("peer_left")).isEmpty();
        a.ws().close();
        b2.ws().close();
    }

    @Test
    void shouldDeliverQueuedDmAfterEvictionWhenRecipientReturns() throws Exception {
        String mesh = broker.createMesh("evicted");
        BrokerFixture.Peer a = broker.session(broker.addMember(mesh, "alice"), "a");
        Identities.MemberKeys bob = broker.addMember(mesh, "bob");
        Ed25519.KeyPair bobKey = Ed25519.generate();
        BrokerFixture.Peer b = broker.session(bob, bobKey, "b", null);
        b.ws().abort();
        awaitOpenSockets(1);
        a.ws().send(Identities.send("q2", bobKey.publicKeyHex(), "low", NONCE, CT));
        String id = jsonField(a.ws().awaitType("ack"), "messageId");
        a.ws().await(s -> s.contains("\"event\":\"peer_left\""), 5_000);
        BrokerFixture.Peer b2 = broker.session(bob, bobKey, "b-new", null);
        assertThat(b2.presenceId()).isNotEqualTo(b.presenceId());
        assertThat(b2.ws().await("\"messageId\":\"" + id + "\"")).contains("\"ciphertext\":\"" + CT + "\"");
        a.ws().close();
        b2.ws().close();
    }

    @Test
    void shouldCloseOlderSocketOfSameSessionKeyAndPushOnlyToNewest() throws Exception {
        String mesh = broker.createMesh("dup");
        BrokerFixture.Peer a = broker.session(broker.addMember(mesh, "alice"), "a");
        Identities.MemberKeys bob = broker.addMember(mesh, "bob");
        Ed25519.KeyPair bobKey = Ed25519.generate();
        BrokerFixture.Peer old = broker.session(bob, bobKey, "b", null);
        BrokerFixture.Peer fresh = broker.session(bob, bobKey, "b", null);
        assertThat(old.ws().awaitClose(5_000)).isEqualTo(1000);
        assertThat(old.ws().closeReason()).isEqualTo("session_replaced");
        assertThat(fresh.presenceId()).isEqualTo(old.presenceId());
        a.ws().send(Identities.send("d1", bobKey.publicKeyHex(), "now", NONCE, CT));
        String id = jsonField(a.ws().awaitType("ack"), "messageId");
        fresh.ws().await("\"messageId\":\"" + id + "\"");
        a.ws().send("{\"type\":\"list_peers\"}");
        String list = a.ws().awaitType("peers_list");
        assertThat(list.split(bobKey.publicKeyHex(), -1)).hasSize(2);
        a.ws().close();
        fresh.ws().close();
    }

    @Test
    void shouldReplaceLeaseWithSameSessionIdOfSameMember() throws Exception {
        String mesh = broker.createMesh("sid");
        Identities.MemberKeys bob = broker.addMember(mesh, "bob");
        BrokerFixture.Peer a = broker.session(broker.addMember(mesh, "alice"), "a");
        BrokerFixture.Peer first = broker.session(bob, "same-sid");
        BrokerFixture.Peer second = broker.session(bob, "same-sid");
        assertThat(first.ws().awaitClose(5_000)).isEqualTo(1000);
        assertThat(second.presenceId()).isNotEqualTo(first.presenceId());
        a.ws().send("{\"type\":\"list_peers\"}");
        String list = a.ws().awaitType("peers_list");
        assertThat(list).doesNotContain(first.key()).contains(second.key());
        // a peer_left from the dedup would have reached alice before this peers_list answer
        assertThat(a.ws().all("peer_left")).isEmpty();
        a.ws().close();
        second.ws().close();
    }

    @Test
    void shouldHoldByPriorityAndReleaseWhenStatusAllows() throws Exception {
        String mesh = broker.createMesh("gating");
        BrokerFixture.Peer a = broker.session(broker.addMember(mesh, "alice"), "a");
        BrokerFixture.Peer b = broker.session(broker.addMember(mesh, "bob"), "b");
        b.ws().send("{\"type\":\"set_status\",\"status\":\"working\"}");
        assertThat(roundTrip(b.ws())).contains("\"status\":\"working\"");
        a.ws().send(Identities.send("p-next", b.key(), "next", NONCE, CT));
        a.ws().send(Identities.send("p-low", b.key(), "low", NONCE, CT));
        a.ws().send(Identities.send("p-now", b.key(), "now", NONCE, CT));
        String next = jsonField(a.ws().awaitType("ack"), "messageId");
        String low = jsonField(a.ws().awaitType("ack"), "messageId");
        String now = jsonField(a.ws().awaitType("ack"), "messageId");
        b.ws().await("\"messageId\":\"" + now + "\"");
        // alice's sends are handled in order: a push of next or low would have reached bob before now's
        assertThat(b.ws().all(next)).isEmpty();
        assertThat(b.ws().all(low)).isEmpty();
        b.ws().send("{\"type\":\"set_status\",\"status\":\"idle\"}");
        String firstHeld = b.ws().await(s -> s.contains(next) || s.contains(low), 5_000);
        assertThat(firstHeld).contains(next);
        b.ws().await("\"messageId\":\"" + low + "\"");
        a.ws().close();
        b.ws().close();
    }

    @Test
    void shouldRedeliverWithoutClientAckButNotAfterIt() throws Exception {
        String mesh = broker.createMesh("redeliver");
        BrokerFixture.Peer a = broker.session(broker.addMember(mesh, "alice"), "a");
        BrokerFixture.Peer b = broker.session(broker.addMember(mesh, "bob"), "b");
        a.ws().send(Identities.send("r-unacked", b.key(), "now", NONCE, CT));
        a.ws().send(Identities.send("r-acked", b.key(), "now", NONCE, CT));
        String unacked = jsonField(a.ws().awaitType("ack"), "messageId");
        String acked = jsonField(a.ws().awaitType("ack"), "messageId");
        b.ws().await("\"messageId\":\"" + unacked + "\"");
        b.ws().await("\"messageId\":\"" + acked + "\"");
        b.ws().send("{\"type\":\"client_ack\",\"clientMessageId\":\"r-acked\",\"brokerMessageId\":\"" + acked + "\"}");
        // redelivery after 1 s (configured), and again 1 s later
        String again = b.ws().await(s -> s.contains("\"messageId\":\"" + unacked + "\""), 5_000);
        assertThat(again).contains("\"ciphertext\":\"" + CT + "\"");
        b.ws().await(s -> s.contains("\"messageId\":\"" + unacked + "\""), 5_000);
        // both were pushed together: the acked one's redelivery would have come a second before this one
        assertThat(b.ws().all("\"messageId\":\"" + acked + "\"")).hasSize(1);
        assertThat(b.ws().all("\"messageId\":\"" + unacked + "\"").size()).isGreaterThanOrEqualTo(3);
        a.ws().close();
        b.ws().close();
    }

    @Test
    void shouldNotAcceptClientAckForAnotherPeersMessage() throws Exception {
        String mesh = broker.createMesh("ackscope");
        BrokerFixture.Peer a = broker.session(broker.addMember(mesh, "alice"), "a");
        BrokerFixture.Peer b = broker.session(broker.addMember(mesh, "bob"), "b");
        BrokerFixture.Peer c = broker.session(broker.addMember(mesh, "carol"), "c");
        a.ws().send(Identities.send("x1", b.key(), "now", NONCE, CT));
        String id = jsonField(a.ws().awaitType("ack"), "messageId");
        c.ws().send("{\"type\":\"client_ack\",\"clientMessageId\":\"x1\",\"brokerMessageId\":\"" + id + "\"}");
        roundTrip(c.ws());
        // carol's ack has been handled; the DM is still queued for bob: it is pushed to him again
        int pushedBefore = b.ws().all("\"messageId\":\"" + id + "\"").size();
        Eventually.await(WAIT, "a redelivery to bob after carol's client_ack",
                () -> b.ws().all("\"messageId\":\"" + id + "\"").size() > pushedBefore);
        assertThat(Sql.count(broker.databaseUrl(), "select count(*) from mesh.message_queue_status where id = '" + id
                + "' and delivered_at is null")).isEqualTo(1);
        a.ws().close();
        b.ws().close();
        c.ws().close();
    }
}
