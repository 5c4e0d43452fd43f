package dev.claudemesh.broker.db.writer;

import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A {@link BatchExecutor} without a database, for the writer's unit tests: it "commits" a plan by recording what the
 * statements would have written, keeps each mesh's stored chain head, and fails as the test scripts it. Thread-safe:
 * the writer thread applies, the test thread scripts and reads.
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

    @Override
    public void apply(BatchPlan plan, AuditHeads heads) throws SQLException {
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
        if (outcome == Outcome.LOST_COMMIT_ROLLED_BACK) {
            throw new CommitOutcomeUnknownException(new SQLException("injected: lost during commit", "08006"));
        }
        List<String> enqueued = new ArrayList<>();
        List<Long> folded = new ArrayList<>();
        for (BatchPlan.Enqueue e : plan.enqueues) {
            enqueued.add(e.message().messageId());
            folded.add(e.deliveredAtMs());
        }
        List<String> marked = plan.marks.stream().map(m -> m.messageId()).toList();
        committed.add(new Committed(enqueued, folded, marked, List.of(rows.meshIds()), List.of(rows.prevHashes()),
                List.of(rows.hashes())));
        for (int i = 0; i < rows.size(); i++) {
            storedHeads.put(rows.meshIds()[i], rows.hashes()[i]);
        }
        if (outcome == Outcome.LOST_COMMIT_COMMITTED) {
            throw new CommitOutcomeUnknownException(new SQLException("injected: lost during commit", "08006"));
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
}
