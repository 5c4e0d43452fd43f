package dev.claudemesh.broker.core.mesh;

import dev.claudemesh.broker.core.model.RecentSend;
import dev.claudemesh.broker.core.port.MeshLoop;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The sends of one mesh with a {@code client_message_id} from the last {@code windowMs} (PROTOCOL §4.1,
 * idempotency): a repeat from the same sender key gets the first send's ack instead of becoming a second message. At
 * most {@value #MAX_ENTRIES} entries, oldest dropped first.
 *
 * <p><b>Thread:</b> the mesh loop only, without a lock. A DM's entry becomes committed on the writer thread, after
 * the transaction that made it durable; the writer hands the entry to {@link #committedOnWriter}, the one method
 * that other threads may call, and the mesh loop marks it committed and sends the acks of repeats that arrived in
 * between. The hand-off is a queue drained by one loop task per burst of commits (not one task per DM).</p>
 */
final class IdempotencyWindow {

    /** Most entries kept per mesh. */
    static final int MAX_ENTRIES = 100_000;
    /**
     * Entries that left the window are dropped at most this often (and whenever the bound is passed): a sweep walks
     * the map with an iterator, an object per send when done on every one. {@link #lookup} checks the age itself, so
     * an entry kept a little longer is never found.
     */
    static final long SWEEP_EVERY_MS = 1_000;

    /** The outcome of a remembered send. Loop-confined. */
    static final class Entry {
        final String messageId;
        final long createdAtMs;
        private boolean committed;
        /** Acks of repeats that arrived before the commit, sent once it is known. */
        private List<Runnable> waiting;

        Entry(String messageId, long createdAtMs) {
            this.messageId = messageId;
            this.createdAtMs = createdAtMs;
        }

        boolean committed() {
            return committed;
        }
    }

    private final MeshLoop loop;
    private final long windowMs;
    private final LinkedHashMap<Key, Entry> byKey = new LinkedHashMap<>();
    /** Writer thread → loop: entries whose commit the loop has not applied yet. */
    private final ConcurrentLinkedQueue<Entry> committedElsewhere = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean drainScheduled = new AtomicBoolean();
    private final Runnable drainTask = this::drainCommitted;
    private long nextSweepAtMs = Long.MIN_VALUE;

    IdempotencyWindow(MeshLoop loop, long windowMs) {
        this.loop = loop;
        this.windowMs = windowMs;
    }

    /**
     * The key of a send: the sender's routing key and its {@code client_message_id}. A pair of the two Strings the
     * send already holds (24 bytes), not a concatenation of them (~120 bytes for a 64-hex key) per send.
     */
    record Key(String senderKey, String clientMessageId) {
    }

    static Key key(String senderKey, String clientMessageId) {
        return new Key(senderKey, clientMessageId);
    }

    /** The entry for {@code key} still inside the window at {@code nowMs}, or null (an expired one is dropped). */
    Entry lookup(Key key, long nowMs) {
        Entry e = byKey.get(key);
        if (e != null && nowMs - e.createdAtMs > windowMs) {
            byKey.remove(key);
            return null;
        }
        return e;
    }

    /**
     * Remembers a send under {@code key} (null: not remembered, returns null), uncommitted, and drops entries
     * that left the window or exceed {@link #MAX_ENTRIES}.
     */
    Entry remember(Key key, String messageId, long createdAtMs, long nowMs) {
        if (key == null) {
            return null;
        }
        Entry e = new Entry(messageId, createdAtMs);
        byKey.put(key, e);
        if (byKey.size() <= MAX_ENTRIES && nowMs < nextSweepAtMs) {
            return e;
        }
        nextSweepAtMs = nowMs + SWEEP_EVERY_MS;
        Iterator<Entry> it = byKey.values().iterator();
        while (it.hasNext()) {
            Entry old = it.next();
            if (byKey.size() > MAX_ENTRIES || nowMs - old.createdAtMs > windowMs) {
                it.remove();
            } else {
                break;
            }
        }
        return e;
    }

    /** Remembers a send committed before a restart, as committed, unless the window already holds its key. */
    void restore(RecentSend r, long nowMs) {
        Key k = key(r.senderKey(), r.clientMessageId());
        if (!byKey.containsKey(k)) {
            committed(remember(k, r.messageId(), r.createdAtMs(), nowMs));
        }
    }

    /**
     * Runs {@code ackRepeat} once {@code e} is committed: at once (returns false, the caller acks now) when it is
     * already; else later, on the loop (returns true).
     */
    boolean deferUntilCommitted(Entry e, Runnable ackRepeat) {
        if (e.committed) {
            return false;
        }
        if (e.waiting == null) {
            e.waiting = new ArrayList<>(1);
        }
        e.waiting.add(ackRepeat);
        return true;
    }

    /** Marks {@code e} (nullable) committed and acks the repeats that waited for it. Loop only. */
    void committed(Entry e) {
        if (e == null || e.committed) {
            return;
        }
        e.committed = true;
        List<Runnable> waiting = e.waiting;
        e.waiting = null;
        if (waiting != null) {
            for (Runnable r : waiting) {
                r.run();
            }
        }
    }

    /** From a writer callback (any thread): {@code e} (nullable) is durable; the loop applies it soon. */
    void committedOnWriter(Entry e) {
        if (e == null) {
            return;
        }
        committedElsewhere.add(e);
        if (drainScheduled.compareAndSet(false, true)) {
            loop.execute(drainTask);
        }
    }

    private void drainCommitted() {
        // cleared first: a commit handed over while this runs schedules the next drain instead of being missed
        drainScheduled.set(false);
        Entry e;
        while ((e = committedElsewhere.poll()) != null) {
            committed(e);
        }
    }

    /** Entries held (tests). */
    int size() {
        return byKey.size();
    }
}
