package dev.claudemesh.broker.db.writer;

import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A {@link BatchExecutor} without a database, for the writer's unit tests: it "commits" a plan by recording what the
 * statements would have written, keeps each mesh's stored chain head, and fails as the test scripts it (the outcome
 * is drawn when a batch's statements run, in the order they run). The test may hold each COMMIT until it lets it go,
 * to see what the writer does meanwhile. Thread-safe: the writer thread executes, the writer or its commit thread
 * commits, the test thread scripts and reads.
 */
final class FakeExecutor implements BatchExecutor {

    /** What the next attempt does. */
    enum Outcome {
        /** Commits. */
        COMMIT,
        /** Fails inside the transaction, after the audit rows were hashed; rolled back. */
        FAIL,
        /** The COMMIT fails after the server committed: the client never hears the outcome. */
        LOST_COMMIT_COMMITTED,
        /** The COMMIT fails and the transaction is rolled back. */
        LOST_COMMIT_ROLLED_BACK
    }

    /** One committed transaction: the ids of its queue rows and delivery marks, and its audit rows. */
    record Committed(List<String> enqueuedIds, List<Long> foldedDeliveredAtMs, List<String> markedIds,
                     List<String> auditMeshIds, List<String> auditPrevHashes, List<String> auditHashes) {
    }

    private final Deque<Outcome> script = new ArrayDeque<>();
    private final Map<String, String> storedHeads = new ConcurrentHashMap<>();
    private final List<Committed> committed = new CopyOnWriteArrayList<>();
    private final AtomicInteger applies = new AtomicInteger();
    private final AtomicInteger headReads = new AtomicInteger();
    private volatile boolean down;
    private volatile Runnable duringApply = () -> { };
    private volatile CountDownLatch entered;
    private volatile CountDownLatch release;
    private volatile boolean commitsHeld;
    private final Semaphore commitEntered = new Semaphore(0);
    private final Semaphore commitPermits = new Semaphore(0);
    private final AtomicInteger rolledBack = new AtomicInteger();
    /** Ids inserted by transactions not committed (yet): invisible to another transaction's UPDATE. */
    private final Set<String> uncommittedIds = new HashSet<>();
    private final List<String> invisibleUpdates = new ArrayList<>();
    private final Semaphore atBarrier = new Semaphore(0);
    private int open;
    private int maxOpen;
    private int executed;

    /** The next attempts do these, in order; after them every attempt commits. */
    synchronized FakeExecutor then(Outcome... outcomes) {
        script.addAll(List.of(outcomes));
        return this;
    }

    /** While down, every call fails at once (no connection). */
    void down(boolean now) {
        down = now;
    }

    /** Runs {@code r} inside every apply, before the outcome (a test moves its clock there). */
    void duringApply(Runnable r) {
        duringApply = r;
    }

    /** Makes the next apply wait, once entered, until {@link #release()}. */
    void holdNextApply() {
        entered = new CountDownLatch(1);
        release = new CountDownLatch(1);
    }

    /** Waits (bounded) until the writer is held inside apply. */
    void awaitHeld(Duration timeout) throws InterruptedException {
        assertThat(entered.await(timeout.toMillis(), TimeUnit.MILLISECONDS)).as("the writer entered apply").isTrue();
    }

    void release() {
        release.countDown();
    }

    void storeHead(String meshId, String hash) {
        storedHeads.put(meshId, hash);
    }

    /** From now on every COMMIT waits, once entered, until {@link #releaseCommit()} lets one through. */
    void holdCommits() {
        commitsHeld = true;
    }

    /** Waits (bounded) until a COMMIT is held. */
    void awaitCommitHeld(Duration timeout) throws InterruptedException {
        assertThat(commitEntered.tryAcquire(timeout.toMillis(), TimeUnit.MILLISECONDS)).as("a COMMIT is held").isTrue();
    }

    /** Waits (bounded) until {@code total} batches' statements ran (transactions opened, not failed). */
    synchronized void awaitExecuted(int total, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (executed < total) {
            long leftMs = (deadline - System.nanoTime()) / 1_000_000;
            assertThat(leftMs).as("%s batches executed within %s", total, timeout).isPositive();
            wait(leftMs);
        }
    }

    /** Waits (bounded) until a batch reached the barrier before its presence disconnects. */
    void awaitBarrier(Duration timeout) throws InterruptedException {
        assertThat(atBarrier.tryAcquire(timeout.toMillis(), TimeUnit.MILLISECONDS)).as("a batch at its barrier")
                .isTrue();
    }

    /** Lets one held COMMIT (or the next one) through. */
    void releaseCommit() {
        commitPermits.release();
    }

    /** Stops holding COMMITs. */
    void releaseCommits() {
        commitsHeld = false;
        commitPermits.release(1_000_000);
    }

    @Override
    public OpenBatch execute(BatchPlan plan, AuditHeads heads, Barrier barrier) throws SQLException {
        CountDownLatch in = entered;
        CountDownLatch out = release;
        if (in != null && in.getCount() > 0) {
            entered.countDown();
            try {
                out.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SQLException("interrupted", "57014");
            }
        }
        applies.incrementAndGet();
        duringApply.run();
        if (down) {
            throw new SQLException("injected: connection refused", "08001");
        }
        Outcome outcome;
        synchronized (this) {
            outcome = script.isEmpty() ? Outcome.COMMIT : script.poll();
        }
        BatchStatements.AuditRows rows = heads.chain(plan.audits, this::storedHead);
        if (outcome == Outcome.FAIL) {
            throw new SQLException("injected: audit insert failed", "P0001");
        }
        List<String> enqueued = new ArrayList<>();
        List<Long> folded = new ArrayList<>();
        for (BatchPlan.Enqueue e : plan.enqueues) {
            enqueued.add(e.message().messageId());
            folded.add(e.deliveredAtMs());
        }
        // as PgBatchExecutor: marks are appended (V11), so only presence disconnects (UPDATEs) wait at the barrier
        if (!plan.disconnectAtMsByPresenceId.isEmpty()) {
            atBarrier.release();
            barrier.await();
        }
        List<String> marked = plan.marks.stream().map(m -> m.messageId()).toList();
        synchronized (this) {
            for (String id : plan.disconnectAtMsByPresenceId.keySet()) {
                if (uncommittedIds.contains(id)) {
                    invisibleUpdates.add(id);
                }
            }
            uncommittedIds.addAll(enqueued);
            uncommittedIds.addAll(plan.upserts.keySet());
            maxOpen = Math.max(maxOpen, ++open);
            executed++;
            notifyAll();
        }
        Committed c = new Committed(enqueued, folded, marked, List.of(rows.meshIds()), List.of(rows.prevHashes()),
                List.of(rows.hashes()));
        return new FakeOpen(c, outcome, List.copyOf(plan.upserts.keySet()));
    }

    /** A transaction whose statements "ran": the COMMIT makes its rows visible. */
    private final class FakeOpen implements OpenBatch {
        private final Committed rows;
        private final Outcome outcome;
        private final List<String> upsertedPresenceIds;

        FakeOpen(Committed rows, Outcome outcome, List<String> upsertedPresenceIds) {
            this.rows = rows;
            this.outcome = outcome;
            this.upsertedPresenceIds = upsertedPresenceIds;
        }

        @Override
        public void commit() throws SQLException {
            if (commitsHeld) {
                commitEntered.release();
                commitPermits.acquireUninterruptibly();
            }
            if (down || outcome == Outcome.LOST_COMMIT_ROLLED_BACK) {
                close();
                throw new CommitOutcomeUnknownException(new SQLException("injected: lost during commit", "08006"));
            }
            committed.add(rows);
            for (int i = 0; i < rows.auditMeshIds().size(); i++) {
                storedHeads.put(rows.auditMeshIds().get(i), rows.auditHashes().get(i));
            }
            close();
            if (outcome == Outcome.LOST_COMMIT_COMMITTED) {
                throw new CommitOutcomeUnknownException(new SQLException("injected: lost during commit", "08006"));
            }
        }

        @Override
        public void rollback() {
            rolledBack.incrementAndGet();
            close();
        }

        private void close() {
            synchronized (FakeExecutor.this) {
                open--;
                uncommittedIds.removeAll(rows.enqueuedIds());
                uncommittedIds.removeAll(upsertedPresenceIds);
            }
        }
    }

    private String storedHead(String meshId) {
        headReads.incrementAndGet();
        return storedHeads.get(meshId);
    }

    @Override
    public String chainHead(String meshId) throws SQLException {
        if (down) {
            throw new SQLException("injected: connection refused", "08001");
        }
        return storedHead(meshId);
    }

    @Override
    public void probe() throws SQLException {
        if (down) {
            throw new SQLException("injected: connection refused", "08001");
        }
    }

    /** Transactions committed so far, in order. */
    List<Committed> committed() {
        return List.copyOf(committed);
    }

    /** Ids of every committed queue row, in order. */
    List<String> committedIds() {
        return committed.stream().flatMap(c -> c.enqueuedIds().stream()).toList();
    }

    int applies() {
        return applies.get();
    }

    int headReads() {
        return headReads.get();
    }

    /** Transactions rolled back after their statements ran (a pipelined batch behind a failed one). */
    int rolledBack() {
        return rolledBack.get();
    }

    /** Most transactions open at once so far. */
    synchronized int maxOpen() {
        return maxOpen;
    }

    /** Delivery marks that ran while their row's insert was not committed (an UPDATE would have missed them). */
    /** Presence ids a disconnect UPDATE ran for before the batch that upserted them committed (it would miss). */
    synchronized List<String> invisibleUpdates() {
        return List.copyOf(invisibleUpdates);
    }
}
