package dev.claudemesh.broker.core.testing;

import dev.claudemesh.broker.core.port.DurableLog;
import dev.claudemesh.broker.core.port.DurableOp;
import dev.claudemesh.broker.core.port.PressureListener;
import dev.claudemesh.broker.core.port.WriterStats;

import java.util.ArrayList;
import java.util.List;

/** Records ops; "commits" them when the test calls {@link #commitAll}, running callbacks then. */
public final class FakeDurableLog implements DurableLog {

    public final List<DurableOp> committed = new ArrayList<>();
    /** What {@link #databaseHealthy()} answers; tests flip it. */
    public volatile boolean healthy = true;
    private final List<DurableOp> pending = new ArrayList<>();
    private final List<Runnable> callbacks = new ArrayList<>();

    @Override
    public synchronized void submit(DurableOp op, Runnable onCommitted) {
        pending.add(op);
        if (onCommitted != null) {
            callbacks.add(onCommitted);
        }
    }

    public void commitAll() {
        List<Runnable> run;
        synchronized (this) {
            for (DurableOp op : pending) {
                if (op instanceof DurableOp.EnqueueMessage e) {
                    e.message().payload().release(); // the log's reference, as the real one does (DurableLog)
                }
            }
            committed.addAll(pending);
            pending.clear();
            run = new ArrayList<>(callbacks);
            callbacks.clear();
        }
        run.forEach(Runnable::run);
    }

    public synchronized int pendingCount() {
        return pending.size();
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
        return healthy;
    }

    /** Ops submitted and not yet "committed". */
    public synchronized int backlog() {
        return pending.size();
    }

    @Override
    public synchronized WriterStats stats() {
        return WriterStats.idle(pending.size());
    }

    @Override
    public boolean flush(long timeoutMs) {
        commitAll();
        return true;
    }
}
