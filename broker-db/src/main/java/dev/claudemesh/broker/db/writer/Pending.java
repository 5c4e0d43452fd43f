package dev.claudemesh.broker.db.writer;

import dev.claudemesh.broker.core.port.DurableOp;

/**
 * A queued op, checked on the submitting thread, or — {@code op} null — a marker whose callback completes a {@link PgDurableLog#flush}. Immutable.
 *
 * @param callback what runs after the commit (nullable)
 */
record Pending(DurableOp op, Runnable callback) {

    /** The marker that stops the writer thread. */
    static final Pending STOP = new Pending(null, null);

    /** A marker without a callback: wakes the writer thread when a pipelined commit failed (compared by identity). */
    static final Pending WAKE = new Pending(null, null);

    /** {@code op}, checked on the calling thread ({@link OpKind#check}). */
    static Pending of(DurableOp op, Runnable callback) {
        OpKind.of(op).check(op);
        return new Pending(op, callback);
    }

    /** A flush marker: no op, {@code callback} runs once everything queued before it has committed. */
    static Pending marker(Runnable callback) {
        return new Pending(null, callback);
    }

    boolean isMarker() {
        return op == null;
    }
}
