package dev.claudemesh.broker.core.port;

/**
 * The batched writer of durable state (DESIGN "Data flow" step 5). {@link #submit} never blocks and never drops
 * work: when the database is slow or down, work waits in memory (and is retried) while {@link #aboveHighWater()}
 * tells the transport to stop reading from peers. Reads done once at boot are a separate port,
 * {@link RecoveryStore}.
 *
 * <p>Thread-safety: every method may be called from any thread. Callbacks run on the writer thread, after the
 * commit that made the op durable; they must be short, must not block, and must not touch mesh state (hop onto the
 * mesh's loop with {@link MeshLoop#execute} for that). Ops of one mesh are committed, and their callbacks run, in
 * submission order.</p>
 *
 * <p>An {@link DurableOp.EnqueueMessage} hands over one reference to its message's
 * {@link dev.claudemesh.broker.core.model.Payload}: the log releases it once it no longer needs the bytes, after the
 * transaction that wrote them committed (a retried batch reads them again).</p>
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

    /** Registers a listener told when the backlog crosses the water marks (see {@link PressureListener}). */
    void addPressureListener(PressureListener listener);

    /** True when the last attempt to reach the database succeeded. */
    boolean databaseHealthy();

    /** The writer's current figures (metrics). */
    WriterStats stats();

    /**
     * Blocks until everything submitted so far is committed or {@code timeoutMs} passes; returns true when
     * drained. For shutdown only.
     */
    boolean flush(long timeoutMs);
}
