package dev.claudemesh.broker.core.port;

/**
 * A snapshot of the durable writer's figures, for metrics. With several writers (shards) the counters are sums
 * and the "last" figures the largest of the writers' last. Immutable.
 *
 * @param backlog                 ops waiting to be written
 * @param lastBatchSize           ops in the last committed batch
 * @param lastCommitLatencyMicros wall time of the last committed transaction (statements and commit)
 * @param committedOps            ops committed since start
 * @param committedBatches        transactions committed since start
 * @param failedAttempts          transactions rolled back and retried since start
 * @param callbackFailures        commit callbacks that threw (logged and skipped) since start
 */
public record WriterStats(int backlog, int lastBatchSize, long lastCommitLatencyMicros, long committedOps,
                          long committedBatches, long failedAttempts, long callbackFailures) {

    /** Figures of a writer that has done nothing, with {@code backlog} ops waiting. */
    public static WriterStats idle(int backlog) {
        return new WriterStats(backlog, 0, 0, 0, 0, 0, 0);
    }

    /** The figures of two writers together: sums, and the larger of the "last" figures. */
    public WriterStats plus(WriterStats o) {
        return new WriterStats(backlog + o.backlog, Math.max(lastBatchSize, o.lastBatchSize),
                Math.max(lastCommitLatencyMicros, o.lastCommitLatencyMicros), committedOps + o.committedOps,
                committedBatches + o.committedBatches, failedAttempts + o.failedAttempts,
                callbackFailures + o.callbackFailures);
    }
}
