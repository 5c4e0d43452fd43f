package dev.claudemesh.broker.db.writer;

import dev.claudemesh.broker.core.audit.AuditChain;
import dev.claudemesh.broker.core.model.StoredMessage;
import dev.claudemesh.broker.core.port.DurableOp;
import dev.claudemesh.broker.db.testing.Eventually;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.claudemesh.broker.db.writer.FakeExecutor.Outcome.FAIL;
import static dev.claudemesh.broker.db.writer.FakeExecutor.Outcome.LOST_COMMIT_COMMITTED;
import static dev.claudemesh.broker.db.writer.FakeExecutor.Outcome.LOST_COMMIT_ROLLED_BACK;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The pipelined writer ({@code pipelineDepth} 2) over a {@link FakeExecutor} whose COMMITs the test holds and lets
 * go: the next batch executes while the previous one commits, yet commits and callbacks stay in submission order,
 * a failure rolls back what is in flight behind it, the audit chain stays unbroken, and close drains. No waiting on
 * time: the writer is held in the executor and the test lets it go.
 */
class PgDurableLogPipelineTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    private final FakeExecutor db = new FakeExecutor();
    private final List<String> submitted = new ArrayList<>();
    private final List<String> callbacks = new CopyOnWriteArrayList<>();
    private final List<String> calledBeforeItsCommit = new CopyOnWriteArrayList<>();
    private PgDurableLog log;

    private PgDurableLog start(WriterConfig.Builder config) {
        log = PgDurableLog.start(db, config.pipelineDepth(2).healthProbeIntervalMs(3_600_000).build(),
                SteppedSleeper.instant(), System::nanoTime);
        return log;
    }

    @AfterEach
    void tearDown() {
        db.releaseCommits();
        if (log != null) {
            log.close();
        }
    }

    /** Submits a DM whose callback records its id, and whether its row was committed by then. */
    private String dm(String meshId) {
        StoredMessage m = TestOps.dm(meshId);
        submitted.add(m.messageId());
        log.submit(new DurableOp.EnqueueMessage(m), () -> {
            callbacks.add(m.messageId());
            if (!db.committedIds().contains(m.messageId())) {
                calledBeforeItsCommit.add(m.messageId());
            }
        });
        return m.messageId();
    }

    private void audit(String meshId, int n) {
        String label = "audit-" + meshId + "-" + n;
        submitted.add(label);
        log.submit(TestAudits.audit(meshId, "message_sent", "m", Map.of("n", n), TestOps.NOW + n),
                () -> callbacks.add(label));
    }

    /** Every mesh's committed audit rows link up from genesis, each hash once. */
    private void assertChainsUnbroken() {
        Map<String, String> head = new HashMap<>();
        List<String> hashes = new ArrayList<>();
        for (FakeExecutor.Committed c : db.committed()) {
            for (int i = 0; i < c.auditMeshIds().size(); i++) {
                String mesh = c.auditMeshIds().get(i);
                assertThat(c.auditPrevHashes().get(i)).as("prev of row %s of %s", hashes.size(), mesh)
                        .isEqualTo(head.getOrDefault(mesh, AuditChain.GENESIS));
                head.put(mesh, c.auditHashes().get(i));
                hashes.add(c.auditHashes().get(i));
            }
        }
        assertThat(hashes).as("no audit row twice").doesNotHaveDuplicates();
    }

    @Test
    void shouldExecuteTheNextBatchWhileThePreviousCommitsAndKeepSubmissionOrder() throws Exception {
        start(WriterConfig.builder().maxBatchOps(4));
        db.holdCommits();
        dm("mesh");
        db.awaitCommitHeld(WAIT);

        for (int i = 0; i < 20; i++) {
            dm("mesh");
        }
        db.awaitExecuted(2, WAIT);

        assertThat(db.committed()).as("the second batch ran its statements while the first one commits").isEmpty();
        db.releaseCommits();
        assertThat(log.flush(WAIT.toMillis())).isTrue();
        assertThat(db.committedIds()).containsExactlyElementsOf(submitted);
        assertThat(callbacks).containsExactlyElementsOf(submitted);
        assertThat(calledBeforeItsCommit).isEmpty();
        assertThat(db.maxOpen()).as("transactions open at once").isEqualTo(2);
        assertThat(log.stats().committedOps()).isEqualTo(21);
        assertThat(log.stats().backlog()).isZero();
    }

    @Test
    void shouldGatherWhatArrivesWhileEverySlotIsBusyIntoOneBatch() throws Exception {
        start(WriterConfig.builder());
        db.holdCommits();
        dm("mesh");
        db.awaitCommitHeld(WAIT);
        dm("mesh");
        db.awaitExecuted(2, WAIT); // both transactions open: the writer waits for a slot with the next op in hand

        dm("mesh");
        Eventually.await(WAIT, "the writer took the op", () -> log.queued() == 0);
        for (int i = 0; i < 9; i++) {
            dm("mesh");
        }
        db.releaseCommits();
        assertThat(log.flush(WAIT.toMillis())).isTrue();

        assertThat(db.committed()).extracting(c -> c.enqueuedIds().size())
                .as("the ten that came while both slots were busy went in one batch, taken once a slot was free")
                .containsExactly(1, 1, 10);
        assertThat(db.committedIds()).containsExactlyElementsOf(submitted);
        assertThat(callbacks).containsExactlyElementsOf(submitted);
    }

    @Test
    void shouldLingerWithNothingInFlightUntilASmallBatchFillsUp() {
        start(WriterConfig.builder().lingerMicros(WriterConfig.MAX_LINGER_MICROS));
        List<StoredMessage> dms = new ArrayList<>();
        for (int i = 0; i < WriterConfig.LINGER_OPS; i++) {
            dms.add(TestOps.dm("mesh"));
        }
        // the writer takes the first and waits up to 100 ms for the batch to fill; the rest come within microseconds
        // (without the linger: [1, 63])
        for (StoredMessage m : dms) {
            log.submit(new DurableOp.EnqueueMessage(m));
        }
        assertThat(log.flush(WAIT.toMillis())).isTrue();

        assertThat(db.committed()).extracting(c -> c.enqueuedIds().size())
                .as("one transaction for the lot, not one for the first op and one for the rest")
                .containsExactly(WriterConfig.LINGER_OPS);
    }

    @Test
    void shouldStopLingeringForAFlushAndCommitWhatItHas() {
        start(WriterConfig.builder().lingerMicros(WriterConfig.MAX_LINGER_MICROS));
        dm("mesh");
        assertThat(log.flush(WAIT.toMillis())).isTrue();
        dm("mesh");
        assertThat(log.flush(WAIT.toMillis())).isTrue();

        assertThat(db.committed()).extracting(c -> c.enqueuedIds().size()).containsExactly(1, 1);
        assertThat(callbacks).containsExactlyElementsOf(submitted);
    }

    @Test
    void shouldNotHoldADeliveryMarkForTheBatchThatInsertsItsRow() throws Exception {
        start(WriterConfig.builder());
        db.holdCommits();
        String id = dm("mesh");
        db.awaitCommitHeld(WAIT);

        // appended (V11), the mark needs no committed row: its batch executes while the DM's commit is held
        log.submit(new DurableOp.MarkDelivered("mesh", id, TestOps.NOW + 5));
        dm("mesh");
        db.awaitExecuted(2, WAIT);
        db.releaseCommits();

        assertThat(log.flush(WAIT.toMillis())).isTrue();
        assertThat(db.committed().get(0).enqueuedIds()).containsExactly(id);
        assertThat(db.committed().get(1).markedIds()).containsExactly(id);
        assertThat(callbacks).containsExactlyElementsOf(submitted);
    }

    @Test
    void shouldHoldAPresenceDisconnectUntilTheBatchThatUpsertsItsRowCommitted() throws Exception {
        start(WriterConfig.builder());
        db.holdCommits();
        log.submit(TestOps.upsertPresence("mesh", "p1"));
        db.awaitCommitHeld(WAIT);

        log.submit(new DurableOp.DisconnectPresence("mesh", "p1", TestOps.NOW + 5));
        dm("mesh");
        db.awaitBarrier(WAIT);
        db.releaseCommits();

        assertThat(log.flush(WAIT.toMillis())).isTrue();
        assertThat(db.invisibleUpdates()).as("no disconnect ran before its row was committed").isEmpty();
        assertThat(callbacks).containsExactlyElementsOf(submitted);
    }

    @Test
    void shouldRollBackTheBatchBehindAFailedCommitAndCommitItOnlyAfterTheRetriedOne() throws Exception {
        start(WriterConfig.builder().retry(10, 10));
        db.then(LOST_COMMIT_ROLLED_BACK);
        db.holdCommits();
        audit("a", 1);
        dm("a");
        db.awaitCommitHeld(WAIT);
        audit("a", 2);
        audit("b", 3);
        dm("a");
        db.awaitExecuted(2, WAIT);

        db.releaseCommits();

        assertThat(log.flush(WAIT.toMillis())).isTrue();
        assertThat(db.rolledBack()).as("the batch in flight behind the failed commit").isPositive();
        assertThat(callbacks).containsExactlyElementsOf(submitted);
        assertThat(db.committedIds()).as("each DM once, in order").containsExactlyElementsOf(
                submitted.stream().filter(s -> !s.startsWith("audit-")).toList());
        assertThat(db.committed().stream().mapToInt(c -> c.auditMeshIds().size()).sum()).isEqualTo(3);
        assertChainsUnbroken();
        assertThat(log.stats().failedAttempts()).isEqualTo(1);
        assertThat(log.databaseHealthy()).isTrue();
    }

    @Test
    void shouldNotApplyAgainALostCommitThatCommittedWhileTheNextBatchWasInFlight() throws Exception {
        start(WriterConfig.builder().retry(10, 10));
        db.then(LOST_COMMIT_COMMITTED);
        db.holdCommits();
        audit("a", 1);
        db.awaitCommitHeld(WAIT);
        audit("a", 2);
        audit("c", 3);
        db.awaitExecuted(2, WAIT);

        db.releaseCommits();

        assertThat(log.flush(WAIT.toMillis())).isTrue();
        assertThat(db.rolledBack()).isPositive();
        assertThat(db.committed().stream().mapToInt(c -> c.auditMeshIds().size()).sum())
                .as("three audit rows, none twice").isEqualTo(3);
        assertChainsUnbroken();
        assertThat(callbacks).containsExactlyElementsOf(submitted);
    }

    @Test
    void shouldRetryABatchWhoseStatementsFailedAfterThePreviousOneCommitted() throws Exception {
        start(WriterConfig.builder().retry(10, 10));
        db.then(FakeExecutor.Outcome.COMMIT, FAIL);
        db.holdCommits();
        audit("a", 1);
        db.awaitCommitHeld(WAIT);
        audit("a", 2);
        dm("a");

        db.releaseCommits();

        assertThat(log.flush(WAIT.toMillis())).isTrue();
        assertThat(callbacks).containsExactlyElementsOf(submitted);
        assertThat(db.committed().stream().mapToInt(c -> c.auditMeshIds().size()).sum()).isEqualTo(2);
        assertChainsUnbroken();
        assertThat(log.stats().failedAttempts()).isEqualTo(1);
    }

    @Test
    void shouldKeepAtMostDepthTransactionsOpenAndTurnPressureOnAndOff() throws Exception {
        start(WriterConfig.builder().maxBatchOps(2).waterMarks(10, 5));
        List<Boolean> heard = new CopyOnWriteArrayList<>();
        log.addPressureListener(heard::add);
        db.holdCommits();
        dm("mesh");
        db.awaitCommitHeld(WAIT);

        for (int i = 0; i < 30; i++) {
            dm("mesh");
        }
        db.awaitExecuted(2, WAIT);

        assertThat(log.aboveHighWater()).isTrue();
        assertThat(db.maxOpen()).isEqualTo(2);
        db.releaseCommits();
        assertThat(log.flush(WAIT.toMillis())).isTrue();
        assertThat(db.maxOpen()).as("never more than the depth").isEqualTo(2);
        assertThat(heard).containsExactly(true, false);
        assertThat(callbacks).containsExactlyElementsOf(submitted);
    }

    @Test
    void shouldCommitEverythingInFlightBeforeCloseReturns() throws Exception {
        start(WriterConfig.builder().maxBatchOps(3).closeTimeoutMs(30_000));
        db.holdCommits();
        dm("mesh");
        db.awaitCommitHeld(WAIT);
        for (int i = 0; i < 10; i++) {
            dm("mesh");
        }
        db.awaitExecuted(2, WAIT);

        Thread closer = new Thread(log::close, "closer");
        closer.start();
        db.releaseCommits();
        closer.join(WAIT.toMillis());

        assertThat(closer.isAlive()).isFalse();
        assertThat(callbacks).containsExactlyElementsOf(submitted);
        assertThat(db.committedIds()).containsExactlyElementsOf(submitted);
        assertThat(log.stats().backlog()).isZero();
    }
}
