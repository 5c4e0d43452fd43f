package dev.claudemesh.broker.core.mesh;

import dev.claudemesh.broker.core.BrokerMetrics;
import dev.claudemesh.broker.core.model.Member;
import dev.claudemesh.broker.core.model.StoredMessage;
import dev.claudemesh.broker.core.testing.FakeConnection;
import dev.claudemesh.broker.core.testing.ManualClock;
import dev.claudemesh.broker.core.testing.ManualLoop;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** DM queues, claims, redelivery and expiry on their own: leases and sockets are plain objects, time is a number. */
class DmQueuesTest {

    private static final long REDELIVERY_MS = 30_000;
    private static final String BOB = "b".repeat(64);
    private static final String BOB_SESSION = "5".repeat(64);
    private static final String CAROL = "c".repeat(64);

    private final ManualLoop loop = new ManualLoop(new ManualClock(0));
    private final BrokerMetrics metrics = new BrokerMetrics();
    private final LeaseTable leases = new LeaseTable();
    private final DmQueues queues = new DmQueues(leases, metrics, REDELIVERY_MS);
    private int ids;

    private static Member member(String key) {
        return new Member("id-" + key.charAt(0), "mesh", "conf", key, "n", null, List.of(), Map.of(), "push", false);
    }

    /** A live lease with a fresh socket. */
    private Lease live(String memberKey, String sessionKey) {
        Lease l = new Lease("p" + (++ids), null, member(memberKey), PeerRole.SESSION, 0);
        l.sessionPubkey = sessionKey;
        attach(l);
        leases.add(l);
        return l;
    }

    private FakeConnection attach(Lease l) {
        FakeConnection c = new FakeConnection(loop);
        l.session = new PeerSession(null, c);
        l.live = true;
        return c;
    }

    private static FakeConnection conn(Lease l) {
        return (FakeConnection) l.session.conn;
    }

    private QueuedDm dm(String target, String priority, long createdAtMs) {
        String id = "m" + (++ids);
        QueuedDm dm = new QueuedDm(new StoredMessage(id, "mesh", "id-a", "a".repeat(64), "a".repeat(64), "alice",
                target, priority, "AA==".getBytes(), "AQ==".getBytes(), "c-" + id, null, createdAtMs,
                createdAtMs + 7L * 24 * 3600_000));
        queues.enqueue(dm);
        return dm;
    }

    private static List<String> pushedIds(FakeConnection c) {
        return c.framesContaining("\"type\":\"push\"").stream().map(f -> MeshHarness.field(f, "messageId")).toList();
    }

    @Test
    void shouldReuseAnEmptiedQueueForAnotherTargetWithoutMixingTheirDms() {
        Lease bob = live(BOB, BOB_SESSION);
        Lease carol = live(CAROL, "6".repeat(64));
        QueuedDm first = dm(BOB_SESSION, "now", 1);
        queues.drain(bob, 1);
        assertThat(queues.ack(bob, first.message.messageId(), null)).isSameAs(first); // bob's queue empties

        QueuedDm toCarol = dm(CAROL, "now", 2); // takes the emptied queue
        QueuedDm second = dm(BOB_SESSION, "now", 3); // bob gets a queue of his own again
        queues.drain(bob, 3);
        queues.drain(carol, 3);

        assertThat(pushedIds(conn(bob))).containsExactly(first.message.messageId(), second.message.messageId());
        assertThat(pushedIds(conn(carol))).containsExactly(toCarol.message.messageId());
        assertThat(queues.size()).isEqualTo(2);
        assertThat(queues.oldestCreatedAtMs()).isEqualTo(2);
    }

    @Test
    void shouldPushWhatTheStatusAllowsInArrivalOrderAndHoldTheRest() {
        Lease bob = live(BOB, BOB_SESSION);
        bob.status = Status.WORKING;
        QueuedDm next = dm(BOB_SESSION, "next", 1);
        QueuedDm now = dm(BOB_SESSION, "now", 2);
        QueuedDm low = dm(BOB, "low", 3);

        queues.drain(bob, 10);
        assertThat(pushedIds(conn(bob))).containsExactly(now.message.messageId());

        bob.status = Status.IDLE;
        queues.drain(bob, 20);
        assertThat(pushedIds(conn(bob))).containsExactly(now.message.messageId(), next.message.messageId(),
                low.message.messageId());
        assertThat(queues.claimedCount()).isEqualTo(3);
        assertThat(metrics.queueDepth.get()).isEqualTo(3);
    }

    @Test
    void shouldRedeliverAClaimOnlyAfterTheTimeoutAndOnlyToALiveLease() {
        Lease bob = live(BOB, BOB_SESSION);
        QueuedDm m = dm(BOB_SESSION, "now", 1);
        queues.drain(bob, 1_000);

        queues.redeliver(1_000 + REDELIVERY_MS - 1);
        assertThat(pushedIds(conn(bob))).hasSize(1);
        queues.redeliver(1_000 + REDELIVERY_MS);
        assertThat(pushedIds(conn(bob))).containsExactly(m.message.messageId(), m.message.messageId());
        assertThat(metrics.redeliveriesTotal.sum()).isEqualTo(1);

        // in grace: the claim times out and is released, nothing is pushed to a lease without a socket
        FakeConnection before = conn(bob);
        bob.live = false;
        queues.redeliver(1_000 + 3 * REDELIVERY_MS);
        assertThat(pushedIds(before)).hasSize(2);
        assertThat(queues.claimedCount()).isZero();
        // back: the held DM goes to the new socket
        FakeConnection after = attach(bob);
        queues.drain(bob, 1_000 + 3 * REDELIVERY_MS);
        assertThat(pushedIds(after)).containsExactly(m.message.messageId());
    }

    @Test
    void shouldReleaseTheClaimsOfASocketThatClosed() {
        Lease bob = live(BOB, BOB_SESSION);
        QueuedDm m = dm(BOB_SESSION, "now", 1);
        queues.drain(bob, 5);
        PeerSession old = bob.session;

        queues.unclaimAll(old);
        FakeConnection replacement = attach(bob);
        queues.drain(bob, 6);

        assertThat(pushedIds(replacement)).containsExactly(m.message.messageId());
        assertThat(queues.claimedCount()).isEqualTo(1);
    }

    @Test
    void shouldSendMemberKeyDmsToThePreferredLeaseAndRedeliverThereToo() {
        Lease session = live(BOB, BOB_SESSION);
        QueuedDm m = dm(BOB, "next", 1);
        queues.drainMember(BOB, 2);
        assertThat(pushedIds(conn(session))).containsExactly(m.message.messageId());

        Lease daemon = live(BOB, null);
        queues.redeliver(2 + REDELIVERY_MS);
        assertThat(pushedIds(conn(daemon))).containsExactly(m.message.messageId());
    }

    @Test
    void shouldAckOnlyDmsAddressedToTheAckingLease() {
        Lease bob = live(BOB, BOB_SESSION);
        Lease carol = live(CAROL, null);
        QueuedDm toBob = dm(BOB_SESSION, "now", 1);
        QueuedDm toBobMember = dm(BOB, "now", 2);

        assertThat(queues.ack(carol, toBob.message.messageId(), null)).isNull();
        assertThat(queues.ack(carol, null, toBob.message.clientMessageId())).isNull();
        assertThat(queues.ack(bob, toBob.message.messageId(), "whatever")).isSameAs(toBob);
        assertThat(queues.ack(bob, toBob.message.messageId(), null)).isNull();
        // by client message id, among the member-key queue too
        assertThat(queues.ack(bob, "unknown", toBobMember.message.clientMessageId())).isSameAs(toBobMember);
        assertThat(queues.size()).isZero();
        assertThat(metrics.queueDepth.get()).isZero();
    }

    @Test
    void shouldExpireUndeliveredDmsAndNeverPushExpiredOnes() {
        Lease bob = live(BOB, BOB_SESSION);
        bob.status = Status.WORKING;
        QueuedDm m = dm(BOB_SESSION, "next", 0);
        long expiry = m.message.expiresAtMs();

        bob.status = Status.IDLE;
        queues.drain(bob, expiry);
        assertThat(pushedIds(conn(bob))).isEmpty();
        queues.expire(expiry - 1);
        assertThat(queues.size()).isEqualTo(1);
        queues.expire(expiry);
        assertThat(queues.size()).isZero();
    }
}
