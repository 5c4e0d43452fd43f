package dev.claudemesh.broker.db.writer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Pipelined batches ({@link WriterConfig#pipelineDepth()} above 1): the writer thread executes batch N+1's statements
 * in its own transaction, on its own connection, while a commit thread commits batch N. What the serial writer
 * promises still holds:
 * <ul>
 *   <li><b>Order.</b> The commit thread takes the executed batches in submission order and commits one only after the
 *       one before it committed; then it runs that batch's callbacks ({@code afterCommit}), so commits and callbacks
 *       are in submission order. At most {@code depth} transactions are open at once (a semaphore), so at most
 *       {@code depth} connections per writer.</li>
 *   <li><b>Visibility.</b> An UPDATE does not see rows another transaction inserted but has not committed, so a batch
 *       whose presence disconnects touch rows that a batch still in flight inserts waits, past its inserts, audit
 *       rows and delivery marks (appended, V11), until that batch committed ({@link BatchPlan#dependsOn}, the
 *       executor's barrier).
 *       Inserts that conflict with an uncommitted row wait in PostgreSQL for it; nothing waits the other way (the
 *       commit thread only commits), so there is no deadlock.</li>
 *   <li><b>Failure.</b> When a commit fails, every later batch in flight is rolled back, never committed ahead of it
 *       (the pipeline is <i>poisoned</i> until the writer thread has recovered). The writer thread then waits for
 *       everything in flight, puts the audit heads back to what they were before the failed batch (each rolled-back
 *       batch's pre-batch heads, latest first; a failed COMMIT arms the lost-commit check with the heads the batch
 *       would have left) and commits the failed batch and those after it one by one with {@link BatchRunner}, the
 *       serial writer's retry, before it pipelines again. So a batch is applied exactly once, and each mesh's audit
 *       chain continues from the last committed row.</li>
 * </ul>
 *
 * <p>Threads: {@link #send}, {@link #settleFailures}, {@link #drain} and {@link #stop} on the writer thread only (as
 * is the shared {@link BatchRunner} and its {@link AuditHeads}); the commit thread only commits or rolls back what it
 * is handed and runs {@code afterCommit}. {@code afterCommit} thus runs on one thread or the other, never on both at
 * once (the writer thread commits by itself only once everything in flight is done).</p>
 */
final class BatchPipeline {

    private static final Logger log = LoggerFactory.getLogger(BatchPipeline.class);

    /** A batch handed to the commit thread: executed, not yet committed. */
    private static final class InFlight {
        final List<Pending> batch;
        /** Null for a batch of flush markers only (nothing to commit, callbacks to run in order). */
        final BatchPlan plan;
        final long startNanos;
        BatchExecutor.OpenBatch tx;
        Map<String, String> headsBefore = Map.of();
        Map<String, String> headsAfter = Map.of();
        /** Written by the commit thread before {@link #settled} counts down. */
        volatile boolean committed;
        /** The failure of its execute (writer thread) or COMMIT (commit thread); null when rolled back behind one. */
        volatile Exception failure;
        /** Counts down once its commit outcome is known. */
        final CountDownLatch settled = new CountDownLatch(1);
        /** Counts down once its callbacks ran, or it is known not to commit. */
        final CountDownLatch done = new CountDownLatch(1);

        InFlight(List<Pending> batch, BatchPlan plan, long startNanos) {
            this.batch = batch;
            this.plan = plan;
            this.startNanos = startNanos;
        }
    }

    private static final InFlight STOP = new InFlight(List.of(), null, 0);

    private final BatchExecutor executor;
    private final BatchRunner runner;
    private final WriterStatus status;
    private final LongSupplier nanoClock;
    private final BooleanSupplier abandoned;
    private final Consumer<List<Pending>> afterCommit;
    private final Runnable wake;
    private final Semaphore openTransactions;
    private final LinkedBlockingQueue<InFlight> handoff = new LinkedBlockingQueue<>();
    /** Handed to the commit thread and not yet known done, oldest first. Writer thread only. */
    private final ArrayDeque<InFlight> inFlight = new ArrayDeque<>();
    private final Thread committer;
    /** A transaction slot taken by {@link #reserve} for the next batch. Writer thread only. */
    private boolean reserved;
    /** Set by the commit thread when a commit failed; cleared by the writer thread once it recovered. */
    private volatile boolean poisoned;

    /**
     * @param afterCommit runs a committed batch's bookkeeping and callbacks (on either thread, never on both at once)
     * @param wake        tells the writer thread that a commit failed (it may be waiting for new work)
     * @param depth       most transactions open at once (at least 2)
     */
    BatchPipeline(BatchExecutor executor, BatchRunner runner, WriterStatus status, LongSupplier nanoClock,
                  BooleanSupplier abandoned, Consumer<List<Pending>> afterCommit, Runnable wake, int depth,
                  String threadName, ThreadFactory threads) {
        if (depth < 2) {
            throw new IllegalArgumentException("depth: " + depth + " (expected: >= 2)");
        }
        this.executor = Objects.requireNonNull(executor, "executor");
        this.runner = Objects.requireNonNull(runner, "runner");
        this.status = Objects.requireNonNull(status, "status");
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
        this.abandoned = Objects.requireNonNull(abandoned, "abandoned");
        this.afterCommit = Objects.requireNonNull(afterCommit, "afterCommit");
        this.wake = Objects.requireNonNull(wake, "wake");
        this.openTransactions = new Semaphore(depth);
        this.committer = threads.newThread(this::commitLoop);
        this.committer.setName(Objects.requireNonNull(threadName, "threadName"));
        this.committer.setDaemon(true);
    }

    void start() {
        committer.start();
    }

    boolean isCommitThread() {
        return Thread.currentThread() == committer;
    }

    /**
     * Executes {@code batch} and hands it to the commit thread (a batch of flush markers is handed on as it is, so that
     * its callbacks run after everything before it committed). Recovers first when a batch in flight failed. False
     * when the writer was abandoned.
     */
    boolean send(List<Pending> batch) {
        if (!settleFailures()) {
            return false;
        }
        boolean ops = false;
        boolean callbacks = false;
        for (Pending p : batch) {
            ops |= !p.isMarker();
            callbacks |= p.callback() != null;
        }
        if (!ops) {
            if (reserved) {
                reserved = false;
                openTransactions.release();
            }
            if (callbacks) {
                hand(new InFlight(batch, null, 0));
            }
            return true;
        }
        if (!reserved && !reserve()) {
            return false;
        }
        reserved = false;
        BatchPlan plan = new BatchPlan();
        plan.addAll(batch);
        InFlight f = new InFlight(batch, plan, nanoClock.getAsLong());
        AuditHeads heads = runner.heads();
        heads.beginAttempt();
        try {
            f.tx = executor.execute(plan, heads, () -> awaitEarlier(plan));
        } catch (Exception e) {
            openTransactions.release();
            f.headsBefore = heads.attemptBefore();
            f.failure = e;
            return recover(f);
        }
        f.headsBefore = heads.attemptBefore();
        f.headsAfter = heads.current(f.headsBefore.keySet());
        hand(f);
        return true;
    }

    /**
     * Waits for a free transaction slot and holds it for the next {@link #send}. The writer thread calls it with the
     * first op of a batch in hand and drains the queue only afterwards, so a batch takes in everything that arrived
     * while the transactions in flight committed: fewer, larger transactions under load, and no wait when a slot is
     * free. False when abandoned while waiting.
     */
    boolean reserve() {
        if (reserved) {
            return true;
        }
        while (true) {
            try {
                openTransactions.acquire();
                reserved = true;
                return true;
            } catch (InterruptedException e) {
                if (abandoned.getAsBoolean()) {
                    return false;
                }
            }
        }
    }

    private void hand(InFlight f) {
        inFlight.addLast(f);
        handoff.add(f);
    }

    /** The barrier: waits until the last batch in flight that {@code plan} depends on committed. */
    private void awaitEarlier(BatchPlan plan) throws SQLException {
        InFlight last = null;
        for (InFlight f : inFlight) {
            if (f.plan != null && plan.dependsOn(f.plan)) {
                last = f;
            }
        }
        if (last == null) {
            return;
        }
        try {
            last.settled.await();
        } catch (InterruptedException e) {
            throw new SQLException("interrupted while waiting for an earlier batch", "57014");
        }
        if (!last.committed) {
            throw new SQLException("an earlier batch in flight did not commit", "40000");
        }
    }

    /** Forgets the batches at the head that are done; recovers when one of them failed. False when abandoned. */
    boolean settleFailures() {
        while (!inFlight.isEmpty() && inFlight.peekFirst().done.getCount() == 0) {
            if (!inFlight.peekFirst().committed) {
                return recover(null);
            }
            inFlight.pollFirst();
        }
        return true;
    }

    /** True when a batch handed over is still being committed (or its callbacks run). */
    boolean busy() {
        for (InFlight f : inFlight) {
            if (f.done.getCount() > 0) {
                return true;
            }
        }
        return false;
    }

    /** True when nothing is in flight (after {@link #settleFailures}). */
    boolean idle() {
        return inFlight.isEmpty();
    }

    /** Waits until everything handed over is committed and its callbacks ran; false when abandoned first. */
    boolean drain() {
        return awaitAllDone() && settleFailures();
    }

    /** Tells the commit thread to stop once it has settled what it was handed. */
    void stop() {
        handoff.add(STOP);
    }

    /**
     * A batch in flight or {@code failedHere} (executed here, rolled back) did not commit: waits for the rest, puts the
     * audit heads back to before the first batch that did not commit, and commits it and every later one serially.
     */
    private boolean recover(InFlight failedHere) {
        if (!awaitAllDone()) {
            return false;
        }
        List<InFlight> failed = new ArrayList<>();
        for (InFlight f : inFlight) {
            if (!f.committed) {
                failed.add(f);
            }
        }
        inFlight.clear();
        if (failedHere != null) {
            failed.add(failedHere);
        }
        poisoned = false;
        if (failed.isEmpty()) {
            return true;
        }
        AuditHeads heads = runner.heads();
        for (int i = failed.size() - 1; i >= 0; i--) {
            heads.undo(failed.get(i).headsBefore);
        }
        InFlight first = failed.get(0);
        if (first.failure instanceof CommitOutcomeUnknownException) {
            heads.expectLostCommit(first.headsAfter);
        }
        log.info("pipelined batch failed; committing it and the {} batches behind it one by one", failed.size() - 1);
        for (InFlight f : failed) {
            boolean ok = f == first ? runner.commitAfterFailure(f.batch, f.failure) : runner.commit(f.batch);
            if (!ok) {
                return false;
            }
            afterCommit.accept(f.batch);
        }
        return true;
    }

    private boolean awaitAllDone() {
        for (InFlight f : inFlight) {
            while (true) {
                try {
                    f.done.await();
                    break;
                } catch (InterruptedException e) {
                    if (abandoned.getAsBoolean()) {
                        return false;
                    }
                }
            }
        }
        return true;
    }

    // ------------------------------------------------------------------------------------------ commit thread

    private void commitLoop() {
        try {
            while (true) {
                InFlight f;
                try {
                    f = handoff.take();
                } catch (InterruptedException e) {
                    continue;
                }
                if (f == STOP) {
                    return;
                }
                settle(f);
            }
        } catch (RuntimeException | Error e) {
            log.error("durable commit thread died; nothing more will be committed", e);
            status.setHealthy(false);
            throw e;
        }
    }

    /** Commits {@code f} (or rolls it back behind a failed one), then runs its callbacks. */
    private void settle(InFlight f) {
        boolean ok = false;
        try {
            if (f.tx == null) {
                ok = !poisoned;
            } else if (poisoned) {
                f.tx.rollback();
                openTransactions.release();
            } else {
                try {
                    f.tx.commit();
                    ok = true;
                    status.commitLatency((nanoClock.getAsLong() - f.startNanos) / 1_000);
                    status.setHealthy(true);
                } catch (SQLException | RuntimeException e) {
                    f.failure = e;
                    poisoned = true;
                }
                openTransactions.release();
            }
            f.committed = ok;
            f.settled.countDown();
            if (ok) {
                afterCommit.accept(f.batch);
            }
        } finally {
            f.settled.countDown();
            f.done.countDown();
        }
        if (f.failure != null) {
            wake.run();
        }
    }
}
