package dev.claudemesh.broker.core.port;

import java.util.List;
import java.util.function.Consumer;

/**
 * The single, batched writer of durable state (DESIGN "Data flow" step 5). {@link #submit} never blocks
 * and never drops work: when the database is slow or down, work waits in memory (and is retried) while
 * {@link #aboveHighWater()} tells the transport to stop reading from peers.
 *
 * <p>Thread-safety: every method may be called from any thread. Callbacks run on the writer thread,
 * after the commit that made the op durable; they must be short and must not block.</p>
 */
public interface DurableLog {

    /** Queues {@code op}; {@code onCommitted} (nullable) runs after the transaction holding it committed. */
    void submit(DurableOp op, Runnable onCommitted);

    /** Convenience for fire-and-forget ops (presence rows, delivery marks, audit). */
    default void submit(DurableOp op) {
        submit(op, null);
    }

    /** True while the backlog is above its high-water mark (stop reading); false once drained below low-water. */
    boolean aboveHighWater();

    /**
     * Registers a listener told {@code true} when the backlog crosses the high-water mark and {@code false}
     * when it falls below the low-water mark. Called on the writer thread or the submitting thread.
     */
    void onPressureChange(Consumer<Boolean> listener);

    /** True when the last attempt to reach the database succeeded. */
    boolean databaseHealthy();

    /** Number of ops waiting to be written. */
    int backlog();

    /** Loads every undelivered, unexpired DM (boot only; blocking; not on an event loop), oldest first. */
    List<dev.claudemesh.broker.core.model.StoredMessage> loadUndelivered(long nowMs);

    /**
     * Loads the DM sends with a {@code client_message_id} created after {@code sinceMs}, delivered or not, oldest
     * first (boot only; blocking; not on an event loop), to restore the idempotency window across a restart. The
     * default knows none.
     */
    default List<dev.claudemesh.broker.core.model.RecentSend> loadRecentSends(long sinceMs) {
        return List.of();
    }

    /**
     * Blocks until everything submitted so far is committed or {@code timeoutMs} passes; returns true when
     * drained. For shutdown only.
     */
    boolean flush(long timeoutMs);
}
