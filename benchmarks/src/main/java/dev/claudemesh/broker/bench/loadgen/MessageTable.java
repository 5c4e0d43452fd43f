package dev.claudemesh.broker.bench.loadgen;

import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * One row per message the generator sent, indexed by the number carried in its {@code client_message_id}: when it
 * was meant to be sent, by whom, to whom, how many pushes it should produce, and what came back. This is what lets
 * the generator check every message id (each acked DM pushed exactly once to its recipient; redeliveries of the
 * same broker message counted apart from duplicates).
 *
 * <p>Threads: a row is written by its sender's event loop before the frame is written, and published by the
 * release store of {@link #intendedNanos}; receivers on any loop read that first (acquire). Push counters and
 * multicast recipient sets are atomic. {@link #ackState} and {@link #ackHash} are written only by the sender's loop
 * (acks arrive on the sender's socket); the final accounting reads everything after the loops are quiescent.</p>
 */
final class MessageTable {

    static final byte ACK_NONE = 0;
    static final byte ACK_QUEUED = 1;
    static final byte ACK_FAILED = 2;

    private static final int SHIFT = 16;
    private static final int SIZE = 1 << SHIFT;
    private static final int MASK = SIZE - 1;

    /** One block of rows. */
    static final class Chunk {
        final AtomicLongArray intendedNanos = new AtomicLongArray(SIZE);
        final int[] sender = new int[SIZE];
        /** DM / relay recipient peer index; -1 for multicast. */
        final int[] target = new int[SIZE];
        /** Pushes expected: 1 for a DM, the number of eligible recipients for a multicast. */
        final int[] expected = new int[SIZE];
        final boolean[] measured = new boolean[SIZE];
        /** Distinct recipients that got it (multicast) or number of pushes of the first broker id (DM). */
        final AtomicIntegerArray delivered = new AtomicIntegerArray(SIZE);
        /** Events (ack + expected pushes) still missing before the sender's window slot is released. */
        final AtomicIntegerArray remaining = new AtomicIntegerArray(SIZE);
        final byte[] ackState = new byte[SIZE];
        final long[] ackHash = new long[SIZE];
        /** Digest of the broker message id of the first push (DM); written by the recipient's loop. */
        final AtomicLongArray pushHash = new AtomicLongArray(SIZE);
        /** Multicast: bit per recipient peer index. */
        final AtomicReferenceArray<long[]> recipients = new AtomicReferenceArray<>(SIZE);
    }

    private final AtomicLong next = new AtomicLong();
    private volatile Chunk[] chunks = new Chunk[16];

    /** Reserves a row index. Any thread. */
    long allocate() {
        long i = next.getAndIncrement();
        if (i > Integer.MAX_VALUE) {
            throw new IllegalStateException("too many messages");
        }
        int c = (int) (i >>> SHIFT);
        Chunk[] cs = chunks;
        if (c >= cs.length || cs[c] == null) {
            grow(c);
        }
        return i;
    }

    private synchronized void grow(int c) {
        Chunk[] cs = chunks;
        if (c >= cs.length) {
            Chunk[] n = new Chunk[Math.max(cs.length * 2, c + 1)];
            System.arraycopy(cs, 0, n, 0, cs.length);
            cs = n;
        }
        if (cs[c] == null) {
            cs[c] = new Chunk();
        }
        chunks = cs;
    }

    /** Fills row {@code i} and publishes it. Called by the sender's loop before the frame is written. */
    void publish(long i, long intendedNanos, int sender, int target, int expected, boolean measured, int remaining) {
        Chunk c = chunk(i);
        int o = (int) (i & MASK);
        c.sender[o] = sender;
        c.target[o] = target;
        c.expected[o] = expected;
        c.measured[o] = measured;
        c.remaining.set(o, remaining);
        c.intendedNanos.setRelease(o, intendedNanos == 0 ? 1 : intendedNanos);
    }

    /** The chunk holding row {@code i}, or null when {@code i} is out of range (a frame from another run). */
    Chunk chunkOrNull(long i) {
        if (i < 0 || i >= next.get()) {
            return null;
        }
        Chunk[] cs = chunks;
        int c = (int) (i >>> SHIFT);
        return c < cs.length ? cs[c] : null;
    }

    Chunk chunk(long i) {
        return chunks[(int) (i >>> SHIFT)];
    }

    static int offset(long i) {
        return (int) (i & MASK);
    }

    /** Number of rows allocated. */
    long size() {
        return next.get();
    }

    /** Marks {@code peer} as a recipient of multicast row {@code i}; false when it already was (a duplicate). */
    static boolean addRecipient(Chunk c, int o, int peer, int peers) {
        long[] bits = c.recipients.get(o);
        if (bits == null) {
            long[] fresh = new long[(peers + 63) >>> 6];
            bits = c.recipients.compareAndSet(o, null, fresh) ? fresh : c.recipients.get(o);
        }
        long bit = 1L << (peer & 63);
        synchronized (bits) {
            long w = bits[peer >>> 6];
            if ((w & bit) != 0) {
                return false;
            }
            bits[peer >>> 6] = w | bit;
            return true;
        }
    }
}
