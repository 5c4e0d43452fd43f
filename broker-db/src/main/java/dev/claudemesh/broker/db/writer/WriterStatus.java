package dev.claudemesh.broker.db.writer;

import dev.claudemesh.broker.core.port.WriterStats;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One writer's health and figures. Written by one thread at a time (the writer thread, or a pipelined writer's commit
 * thread while the writer thread does not commit: hence plain volatile fields, no atomics), read
 * from any thread as a {@link WriterStats} snapshot; several writers' snapshots add up with {@link WriterStats#plus},
 * which is all {@link ShardedDurableLog} does with them.
 */
final class WriterStatus {

    private static final Logger log = LoggerFactory.getLogger(WriterStatus.class);

    private volatile boolean healthy = true;
    private volatile int lastBatchSize;
    private volatile long lastCommitLatencyMicros;
    private volatile long committedOps;
    private volatile long committedBatches;
    private volatile long failedAttempts;
    private volatile long callbackFailures;

    /** True when the last attempt to reach the database succeeded. */
    boolean healthy() {
        return healthy;
    }

    /** Records the outcome of an attempt to reach the database; logs the way back. */
    void setHealthy(boolean now) {
        if (healthy != now) {
            healthy = now;
            if (now) {
                log.info("database reachable again");
            }
        }
    }

    /** A transaction of a batch committed after {@code micros} (statements and commit). */
    void commitLatency(long micros) {
        lastCommitLatencyMicros = micros;
    }

    /** A batch of {@code ops} ops (flush markers not counted) is committed. */
    void committed(int ops) {
        if (ops > 0) {
            lastBatchSize = ops;
            committedOps += ops;
            committedBatches++;
        }
    }

    void attemptFailed() {
        failedAttempts++;
    }

    void callbackFailed() {
        callbackFailures++;
    }

    /** The figures now, with {@code backlog} ops waiting. */
    WriterStats snapshot(int backlog) {
        return new WriterStats(backlog, lastBatchSize, lastCommitLatencyMicros, committedOps, committedBatches,
                failedAttempts, callbackFailures);
    }
}
