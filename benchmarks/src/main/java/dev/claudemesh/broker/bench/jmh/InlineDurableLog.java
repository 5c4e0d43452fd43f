package dev.claudemesh.broker.bench.jmh;

import dev.claudemesh.broker.core.port.DurableLog;
import dev.claudemesh.broker.core.port.DurableOp;
import dev.claudemesh.broker.core.port.PressureListener;
import dev.claudemesh.broker.core.port.WriterStats;

/**
 * The durable log of the mesh-loop benchmarks: does what {@code PgDurableLog.submit} does on the caller's thread
 * (checks the op; an audit event's canonical JSON is the writer thread's), then "commits" at once, releasing an
 * enqueued DM's payload and running the callback. Remembers the last enqueued DM's id (for a {@code client_ack})
 * and counts the ops. Keeps nothing else.
 */
public final class InlineDurableLog implements DurableLog {

    public String lastMessageId;
    public int ops;

    @Override
    public void submit(DurableOp op, Runnable onCommitted) {
        ops++;
        if (op instanceof DurableOp.EnqueueMessage e) {
            lastMessageId = e.message().messageId();
            // what the real log does once the DM's transaction committed (DurableLog): its payload reference goes
            e.message().payload().release();
        } else if (op instanceof DurableOp.AppendAudit a) {
            ops += a.event().type().length();
        }
        if (onCommitted != null) {
            onCommitted.run();
        }
    }

    @Override
    public boolean aboveHighWater() {
        return false;
    }

    @Override
    public void addPressureListener(PressureListener listener) {
    }

    @Override
    public boolean databaseHealthy() {
        return true;
    }

    @Override
    public WriterStats stats() {
        return WriterStats.idle(0);
    }

    @Override
    public boolean flush(long timeoutMs) {
        return true;
    }
}
