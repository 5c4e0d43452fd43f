package dev.claudemesh.broker.db.writer;

import dev.claudemesh.broker.db.store.Rows;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.SQLException;
import java.util.List;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

/**
 * Commits one batch exactly once: plans it ({@link BatchPlan}), applies it ({@link BatchExecutor}), and on any
 * failure rolls the audit heads back ({@link AuditHeads}), marks the database unhealthy, waits as the
 * {@link RetryPolicy} says and tries the same batch again, until it commits. No op is dropped and no callback runs
 * here: the caller runs them once {@link #commit} returned true. A batch whose COMMIT failed is not applied again if
 * it turns out to have committed ({@link AuditHeads#committedEarlier}).
 *
 * <p>Confined to the writer thread. The clock ({@code System::nanoTime} in the broker) times commits for the
 * statistics.</p>
 */
final class BatchRunner {

    private static final Logger log = LoggerFactory.getLogger(BatchRunner.class);

    private final BatchExecutor executor;
    private final RetryPolicy retry;
    private final WriterStatus status;
    private final LongSupplier nanoClock;
    private final BooleanSupplier abandoned;
    private final IntSupplier backlog;
    private final AuditHeads heads = new AuditHeads();
    private final BatchPlan plan = new BatchPlan();

    /**
     * @param abandoned true once the writer is told to give up ({@link PgDurableLog#close()} could not drain)
     * @param backlog   ops waiting, for the log lines of a long outage
     */
    BatchRunner(BatchExecutor executor, RetryPolicy retry, WriterStatus status, LongSupplier nanoClock,
                BooleanSupplier abandoned, IntSupplier backlog) {
        this.executor = Objects.requireNonNull(executor, "executor");
        this.retry = Objects.requireNonNull(retry, "retry");
        this.status = Objects.requireNonNull(status, "status");
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
        this.abandoned = Objects.requireNonNull(abandoned, "abandoned");
        this.backlog = Objects.requireNonNull(backlog, "backlog");
    }

    /** Commits the ops of {@code batch} (markers skipped), retrying until they are; false when abandoned first. */
    boolean commit(List<Pending> batch) {
        return commit(batch, null);
    }

    /**
     * As {@link #commit}, for a batch whose first, pipelined attempt failed with {@code firstFailure} and was rolled
     * back; its audit heads are already put back (and the lost-commit check armed when its COMMIT failed). Counts that
     * failure and waits as after any other before trying again.
     */
    boolean commitAfterFailure(List<Pending> batch, Exception firstFailure) {
        return commit(batch, firstFailure);
    }

    private boolean commit(List<Pending> batch, Exception firstFailure) {
        int failures = 0;
        if (firstFailure != null && !failedAttempt(batch, ++failures, firstFailure)) {
            return false;
        }
        while (true) {
            heads.beginAttempt();
            long t0 = nanoClock.getAsLong();
            try {
                if (heads.committedEarlier(executor::chainHead)) {
                    status.setHealthy(true);
                    log.info("durable batch of {} ops had committed before its connection failed; not re-applied",
                            batch.size());
                    break;
                }
                if (applyOnce(batch)) {
                    status.commitLatency((nanoClock.getAsLong() - t0) / 1_000);
                    status.setHealthy(true);
                }
                break;
            } catch (Exception e) {
                heads.failed(e instanceof CommitOutcomeUnknownException);
                if (!failedAttempt(batch, ++failures, e)) {
                    return false;
                }
            }
        }
        heads.batchDone();
        if (failures > 0) {
            log.info("durable batch committed after {} attempts", failures + 1);
        }
        return true;
    }

    /** Counts and logs a failed attempt and waits before the next; false when the writer is abandoned. */
    private boolean failedAttempt(List<Pending> batch, int failures, Exception e) {
        status.attemptFailed();
        logFailure(batch.size(), failures, e instanceof CommitOutcomeUnknownException ? e.getCause() : e);
        status.setHealthy(false);
        if (abandoned.getAsBoolean()) {
            return false;
        }
        try {
            retry.pause(failures);
        } catch (InterruptedException ie) {
            return !abandoned.getAsBoolean();
        }
        return true;
    }

    private void logFailure(int ops, int failures, Throwable e) {
        if (status.healthy() || failures == 1) {
            log.warn("durable batch of {} ops failed, rolled back, retrying in {} ms: {}", ops,
                    retry.backoffMs(failures), Rows.describe(e));
        } else if (failures % 20 == 0) {
            log.warn("durable batch still failing after {} attempts, backlog {}: {}", failures, backlog.getAsInt(),
                    Rows.describe(e));
        }
    }

    /** One attempt in one transaction; false when the batch held only flush markers (nothing to write). */
    private boolean applyOnce(List<Pending> batch) throws SQLException {
        plan.clear();
        plan.addAll(batch);
        if (plan.isEmpty()) {
            return false;
        }
        try {
            executor.apply(plan, heads);
            return true;
        } finally {
            plan.clear();
        }
    }

    /** The audit heads (tests). */
    AuditHeads heads() {
        return heads;
    }
}
