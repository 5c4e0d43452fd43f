package dev.claudemesh.broker.db.writer;

import dev.claudemesh.broker.core.audit.AuditChain;
import dev.claudemesh.broker.core.port.DurableOp;
import dev.claudemesh.broker.core.port.WriterStats;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static dev.claudemesh.broker.db.writer.FakeExecutor.Outcome.COMMIT;
import static dev.claudemesh.broker.db.writer.FakeExecutor.Outcome.FAIL;
import static dev.claudemesh.broker.db.writer.FakeExecutor.Outcome.LOST_COMMIT_COMMITTED;
import static dev.claudemesh.broker.db.writer.FakeExecutor.Outcome.LOST_COMMIT_ROLLED_BACK;
import static org.assertj.core.api.Assertions.assertThat;

/** One batch, committed exactly once: retries, audit heads and the lost-commit check, on the test's thread. */
class BatchRunnerTest {

    private final FakeExecutor db = new FakeExecutor();
    private final SteppedSleeper sleeper = SteppedSleeper.instant();
    private final WriterStatus status = new WriterStatus();
    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    private final AtomicBoolean abandoned = new AtomicBoolean();
    private final List<Boolean> healthyWhileWaiting = new ArrayList<>();
    private final BatchRunner runner = new BatchRunner(db, new RetryPolicy(100, 2_000, ms -> {
        healthyWhileWaiting.add(status.healthy());
        sleeper.sleep(ms);
    }), status, nanos::get, abandoned::get, () -> 42);

    private static List<Pending> batch(DurableOp... ops) {
        List<Pending> out = new ArrayList<>();
        for (DurableOp op : ops) {
            out.add(Pending.of(op, null));
        }
        return out;
    }

    private static DurableOp.AppendAudit audit(String meshId, int n) {
        return TestAudits.audit(meshId, "message_sent", "m", Map.of("n", n), TestOps.NOW + n);
    }

    @Test
    void shouldRetryAFailedBatchWithGrowingWaitsUntilItCommits() {
        db.then(FAIL, FAIL, FAIL, FAIL, FAIL, FAIL, COMMIT);
        DurableOp.EnqueueMessage dm = TestOps.enqueue("mesh");

        assertThat(runner.commit(batch(dm))).isTrue();

        assertThat(sleeper.requestedMs()).containsExactly(100L, 200L, 400L, 800L, 1_600L, 2_000L);
        assertThat(healthyWhileWaiting).containsOnly(false);
        assertThat(status.healthy()).isTrue();
        assertThat(db.applies()).isEqualTo(7);
        assertThat(db.committedIds()).containsExactly(dm.message().messageId());
        assertThat(status.snapshot(0).failedAttempts()).isEqualTo(6);
    }

    @Test
    void shouldHashTheRetryFromThePreAttemptHeadsAfterAFailure() {
        db.storeHead("a", "stored-head");
        db.then(FAIL);

        assertThat(runner.commit(batch(audit("a", 1), audit("b", 2), audit("a", 3)))).isTrue();

        FakeExecutor.Committed c = db.committed().get(0);
        assertThat(db.committed()).hasSize(1);
        assertThat(c.auditMeshIds()).containsExactly("a", "b", "a");
        assertThat(c.auditPrevHashes()).containsExactly("stored-head", AuditChain.GENESIS, c.auditHashes().get(0));
        assertThat(runner.heads().cached("a")).isEqualTo(c.auditHashes().get(2));
    }

    @Test
    void shouldNotApplyAgainABatchThatCommittedBeforeItsCommitFailed() {
        db.then(LOST_COMMIT_COMMITTED);
        DurableOp.EnqueueMessage dm = TestOps.enqueue("a");

        assertThat(runner.commit(batch(dm, audit("a", 1), audit("b", 1)))).isTrue();

        assertThat(db.committed()).as("applied once").hasSize(1);
        assertThat(db.applies()).isEqualTo(1);
        assertThat(status.snapshot(0).failedAttempts()).isEqualTo(1);
        String lastOfA = db.committed().get(0).auditHashes().get(0);
        assertThat(runner.heads().cached("a")).isEqualTo(lastOfA);

        // The next batch continues the chains from the heads the lost commit left.
        assertThat(runner.commit(batch(audit("a", 2)))).isTrue();
        assertThat(db.committed().get(1).auditPrevHashes()).containsExactly(lastOfA);
    }

    @Test
    void shouldApplyAgainABatchWhoseCommitFailedWithoutCommitting() {
        db.storeHead("a", "stored-head");
        db.then(LOST_COMMIT_ROLLED_BACK);

        assertThat(runner.commit(batch(audit("a", 1)))).isTrue();

        assertThat(db.applies()).isEqualTo(2);
        assertThat(db.committed()).hasSize(1);
        assertThat(db.committed().get(0).auditPrevHashes()).containsExactly("stored-head");
    }

    @Test
    void shouldAskWhetherALostCommitCommittedUntilTheDatabaseAnswers() {
        db.then(LOST_COMMIT_COMMITTED);
        List<Long> waits = new ArrayList<>();
        BatchRunner downAfterCommit = new BatchRunner(db, new RetryPolicy(10, 1_000, ms -> {
            waits.add(ms);
            db.down(waits.size() < 3);
        }), status, nanos::get, abandoned::get, () -> 1);

        assertThat(downAfterCommit.commit(batch(audit("a", 1)))).isTrue();

        assertThat(waits).as("the lost commit, then two failed reads of the head").containsExactly(10L, 20L, 40L);
        assertThat(db.committed()).hasSize(1);
        assertThat(db.applies()).isEqualTo(1);
    }

    @Test
    void shouldApplyAgainABatchWithoutAuditRowsWhoseCommitFailed() {
        db.then(LOST_COMMIT_COMMITTED);
        DurableOp.EnqueueMessage dm = TestOps.enqueue("a");

        assertThat(runner.commit(batch(dm))).isTrue();

        assertThat(db.committedIds()).as("idempotent statements, applied twice")
                .containsExactly(dm.message().messageId(), dm.message().messageId());
        assertThat(db.headReads()).isZero();
    }

    @Test
    void shouldGiveUpOnlyWhenAbandoned() {
        db.down(true);
        BatchRunner closing = new BatchRunner(db, new RetryPolicy(10, 10, ms -> {
            if (sleeper.requestedMs().size() == 4) {
                abandoned.set(true);
            }
            sleeper.sleep(ms);
        }), status, nanos::get, abandoned::get, () -> 1);

        assertThat(closing.commit(batch(TestOps.enqueue("a")))).isFalse();

        assertThat(db.applies()).isEqualTo(6);
        assertThat(db.committed()).isEmpty();
        assertThat(status.healthy()).isFalse();
    }

    @Test
    void shouldTimeTheCommitWithItsClock() {
        db.duringApply(() -> nanos.addAndGet(1_234_000));

        assertThat(runner.commit(batch(TestOps.enqueue("a")))).isTrue();

        WriterStats stats = status.snapshot(0);
        assertThat(stats.lastCommitLatencyMicros()).isEqualTo(1_234);
    }

    @Test
    void shouldWriteNothingForABatchOfFlushMarkers() {
        assertThat(runner.commit(List.of(Pending.marker(() -> { }), Pending.marker(() -> { })))).isTrue();

        assertThat(db.applies()).isZero();
        assertThat(status.snapshot(0)).isEqualTo(WriterStats.idle(0));
    }

    @Test
    void shouldFoldADeliveryMarkIntoItsEnqueueOfTheSameBatch() {
        DurableOp.EnqueueMessage dm = TestOps.enqueue("a");
        String id = dm.message().messageId();

        assertThat(runner.commit(batch(new DurableOp.MarkDelivered("a", "older", 5), dm,
                new DurableOp.MarkDelivered("a", id, 7)))).isTrue();

        FakeExecutor.Committed c = db.committed().get(0);
        assertThat(c.enqueuedIds()).containsExactly(id);
        assertThat(c.foldedDeliveredAtMs()).containsExactly(7L);
        assertThat(c.markedIds()).containsExactly("older");
    }
}
