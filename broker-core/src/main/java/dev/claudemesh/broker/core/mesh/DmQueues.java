package dev.claudemesh.broker.core.mesh;

import dev.claudemesh.broker.core.BrokerMetrics;
import dev.claudemesh.broker.core.model.StoredMessage;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * The DMs of one mesh that are not yet client-acked (PROTOCOL §4.3): one queue per target key (a session key or a
 * member key) in arrival order, their claims (pushed to a socket, waiting for its {@code client_ack}), redelivery of
 * claims older than the redelivery timeout, and expiry. <b>Thread:</b> the mesh loop only. Time comes in as
 * {@code nowMs} from the caller (one clock read per tick or frame).
 *
 * <p>Pushes go only to live leases, through their current socket; a claim is tied to the socket it was pushed to,
 * so a socket that dies or is replaced releases its claims ({@link #unclaimAll}) and the DMs are pushed again.</p>
 */
final class DmQueues {

    private final LeaseTable leases;
    private final BrokerMetrics metrics;
    private final long redeliveryMs;

    private final HashMap<String, LinkedHashMap<String, QueuedDm>> queueByTarget = new HashMap<>();
    private final HashMap<String, QueuedDm> dmById = new HashMap<>();
    /**
     * The last queue that emptied, kept for the next target that needs one: a recipient that acks each DM empties its
     * queue once per DM, and a new queue (map and table) per DM was ~140 bytes on the mesh loop. One per mesh.
     */
    private LinkedHashMap<String, QueuedDm> spareQueue;
    /** Pushed, not yet client-acked, in claim order (oldest first) for the redelivery sweep. */
    private final LinkedHashMap<String, QueuedDm> claimed = new LinkedHashMap<>();

    DmQueues(LeaseTable leases, BrokerMetrics metrics, long redeliveryMs) {
        this.leases = leases;
        this.metrics = metrics;
        this.redeliveryMs = redeliveryMs;
    }

    /** Adds a DM to its target's queue. */
    void enqueue(QueuedDm dm) {
        String id = dm.message.messageId();
        LinkedHashMap<String, QueuedDm> q = queueByTarget.get(dm.message.targetKey());
        if (q == null) {
            q = spareQueue != null ? spareQueue : new LinkedHashMap<>();
            spareQueue = null;
            queueByTarget.put(dm.message.targetKey(), q);
        }
        q.put(id, dm);
        dmById.put(id, dm);
        metrics.queueDepth.incrementAndGet();
    }

    /** Adds a DM reloaded from the database at boot, unless it is already held. */
    void restore(StoredMessage m) {
        if (!dmById.containsKey(m.messageId())) {
            enqueue(new QueuedDm(m));
        }
    }

    /** Number of undelivered DMs held. */
    int size() {
        return dmById.size();
    }

    /**
     * The arrival time of the oldest DM held (each target's queue is in arrival order, so it is the oldest of the
     * queues' heads); -1 when none is held.
     */
    long oldestCreatedAtMs() {
        long oldest = Long.MAX_VALUE;
        for (LinkedHashMap<String, QueuedDm> q : queueByTarget.values()) {
            QueuedDm head = q.values().iterator().next();
            oldest = Math.min(oldest, head.message.createdAtMs());
        }
        return oldest == Long.MAX_VALUE ? -1 : oldest;
    }

    /** Forgets every DM (the mesh was deleted with its rows), keeping the depth gauge right. */
    void clear() {
        metrics.queueDepth.addAndGet(-dmById.size());
        for (QueuedDm dm : dmById.values()) {
            dm.message.payload().release();
        }
        dmById.clear();
        queueByTarget.clear();
        claimed.clear();
    }

    /** Number of DMs pushed and waiting for their {@code client_ack}. */
    int claimedCount() {
        return claimed.size();
    }

    private void dequeue(QueuedDm dm) {
        String id = dm.message.messageId();
        if (dmById.remove(id) == null) {
            return;
        }
        LinkedHashMap<String, QueuedDm> q = queueByTarget.get(dm.message.targetKey());
        if (q != null) {
            q.remove(id);
            if (q.isEmpty()) {
                queueByTarget.remove(dm.message.targetKey());
                spareQueue = q;
            }
        }
        claimed.remove(id);
        metrics.queueDepth.decrementAndGet();
        // the queue's reference (Payload): nothing here reads the DM's bytes again
        dm.message.payload().release();
    }

    /** Pushes {@code dm} to the live lease {@code lease} and claims it for that lease's current socket. */
    void push(QueuedDm dm, Lease lease, long nowMs) {
        dm.claimedBy = lease;
        dm.claimedSession = lease.session;
        dm.claimedAtMs = nowMs;
        claimed.remove(dm.message.messageId());
        claimed.put(dm.message.messageId(), dm);
        dm.push(lease.session.conn);
        metrics.pushesTotal.increment();
    }

    /** Releases every claim of socket {@code s} (it closed or was replaced): those DMs are pushed again later. */
    void unclaimAll(PeerSession s) {
        if (claimed.isEmpty()) {
            return;
        }
        Iterator<QueuedDm> it = claimed.values().iterator();
        while (it.hasNext()) {
            QueuedDm dm = it.next();
            if (dm.claimedSession == s) {
                dm.claimedBy = null;
                dm.claimedSession = null;
                it.remove();
            }
        }
    }

    /**
     * Pushes what {@code l} may now receive: the held DMs addressed to its session key, then those addressed to its
     * member key through the member's preferred lease. Called when a lease arrives, comes back, or its status changes.
     */
    void drain(Lease l, long nowMs) {
        if (l.live && l.sessionPubkey != null) {
            drainQueue(queueByTarget.get(l.sessionPubkey), l, nowMs);
        }
        drainMember(l.member.pubkey(), nowMs);
    }

    /** Pushes the held DMs addressed to a member key to that member's preferred live lease. */
    void drainMember(String memberPubkey, long nowMs) {
        LinkedHashMap<String, QueuedDm> q = queueByTarget.get(memberPubkey);
        if (q == null) {
            return;
        }
        Lease preferred = leases.preferredLease(memberPubkey);
        if (preferred != null) {
            drainQueue(q, preferred, nowMs);
        }
    }

    private void drainQueue(LinkedHashMap<String, QueuedDm> q, Lease l, long nowMs) {
        if (q == null || q.isEmpty()) {
            return;
        }
        for (QueuedDm dm : q.values()) {
            if (dm.claimedBy == null && l.deliverable(dm.priority) && dm.message.expiresAtMs() > nowMs) {
                push(dm, l, nowMs);
            }
        }
    }

    /**
     * The recipient's {@code client_ack} (PROTOCOL §4.5): the DM is found by {@code brokerMessageId}, else by
     * {@code clientMessageId}, among the DMs addressed to {@code l}'s session key or member key only, and removed.
     * Returns it (to be marked delivered), or null when none matched.
     */
    QueuedDm ack(Lease l, String brokerMessageId, String clientMessageId) {
        QueuedDm dm = null;
        if (brokerMessageId != null) {
            QueuedDm c = dmById.get(brokerMessageId);
            if (c != null && addressedTo(c, l)) {
                dm = c;
            }
        }
        if (dm == null && clientMessageId != null) {
            dm = findByClientMessageId(l.sessionPubkey, clientMessageId);
            if (dm == null) {
                dm = findByClientMessageId(l.member.pubkey(), clientMessageId);
            }
        }
        if (dm != null) {
            dequeue(dm);
        }
        return dm;
    }

    private static boolean addressedTo(QueuedDm dm, Lease l) {
        String t = dm.message.targetKey();
        return t.equals(l.member.pubkey()) || (l.sessionPubkey != null && t.equals(l.sessionPubkey));
    }

    private QueuedDm findByClientMessageId(String key, String clientMessageId) {
        if (key == null) {
            return null;
        }
        LinkedHashMap<String, QueuedDm> q = queueByTarget.get(key);
        if (q == null) {
            return null;
        }
        for (QueuedDm dm : q.values()) {
            if (clientMessageId.equals(dm.message.clientMessageId())) {
                return dm;
            }
        }
        return null;
    }

    /**
     * Pushes again every claim older than the redelivery timeout: to the same lease for a session-key DM, to the
     * member's preferred lease for a member-key DM, when that lease is live and its status allows it; else the DM
     * waits unclaimed for the next drain.
     */
    void redeliver(long nowMs) {
        if (claimed.isEmpty()) {
            return;
        }
        List<QueuedDm> due = null;
        Iterator<QueuedDm> it = claimed.values().iterator();
        while (it.hasNext()) {
            QueuedDm dm = it.next();
            if (nowMs - dm.claimedAtMs < redeliveryMs) {
                break;
            }
            it.remove();
            if (due == null) {
                due = new ArrayList<>();
            }
            due.add(dm);
        }
        if (due == null) {
            return;
        }
        for (QueuedDm dm : due) {
            Lease l = dm.claimedBy;
            dm.claimedBy = null;
            dm.claimedSession = null;
            Lease to = l;
            if (l != null && dm.message.targetKey().equals(l.member.pubkey())) {
                to = leases.preferredLease(dm.message.targetKey());
            }
            if (to != null && to.live && !to.removed && to.deliverable(dm.priority)) {
                metrics.redeliveriesTotal.increment();
                push(dm, to, nowMs);
            }
        }
    }

    /** Drops every DM whose expiry has passed (PROTOCOL §4.3: 7 days). */
    void expire(long nowMs) {
        List<QueuedDm> expired = null;
        for (QueuedDm dm : dmById.values()) {
            if (dm.message.expiresAtMs() <= nowMs) {
                if (expired == null) {
                    expired = new ArrayList<>();
                }
                expired.add(dm);
            }
        }
        if (expired != null) {
            for (QueuedDm dm : expired) {
                dequeue(dm);
            }
        }
    }
}
