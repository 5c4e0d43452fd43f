package dev.claudemesh.broker.db.writer;

import dev.claudemesh.broker.core.model.Payload;
import dev.claudemesh.broker.core.model.StoredMessage;
import dev.claudemesh.broker.core.port.DurableOp;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The writer's thread, drain, back-pressure and callbacks over a {@link FakeExecutor}: no database, and no waiting
 * on time (the writer is held in the executor or in its sleeper, and the test lets it go). Runs with the default
 * pipeline depth; {@link PgDurableLogSerialTest} runs the same with the serial writer.
 */
class PgDurableLogTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    private final FakeExecutor db = new FakeExecutor();
    private final SteppedSleeper sleeper = SteppedSleeper.gated();
    private PgDurableLog log;

    /** The writer's pipeline depth in these tests. */
    int depth() {
        return WriterConfig.defaults().pipelineDepth();
    }

    private PgDurableLog start(WriterConfig.Builder config) {
        log = PgDurableLog.start(db, config.healthProbeIntervalMs(3_600_000).pipelineDepth(depth()).build(), sleeper,
                System::nanoTime);
        return log;
    }

    @AfterEach
    void tearDown() {
        db.down(false);
        sleeper.open();
        if (log != null) {
            log.close();
        }
    }

    @Test
    void shouldRunCallbacksAfterTheCommitInSubmissionOrder() {
        start(WriterConfig.builder().maxBatchOps(8));
        List<String> submitted = new ArrayList<>();
        List<String> order = Collections.synchronizedList(new ArrayList<>());
        List<Boolean> committedBeforeCallback = new CopyOnWriteArrayList<>();
        for (int i = 0; i < 100; i++) {
            StoredMessage m = TestOps.dm("mesh");
            submitted.add(m.messageId());
            log.submit(new DurableOp.EnqueueMessage(m), () -> {
                order.add(m.messageId());
                committedBeforeCallback.add(db.committedIds().contains(m.messageId()));
            });
        }

        assertThat(log.flush(WAIT.toMillis())).isTrue();

        assertThat(order).containsExactlyElementsOf(submitted);
        assertThat(committedBeforeCallback).hasSize(100).containsOnly(true);
        assertThat(db.committedIds()).containsExactlyElementsOf(submitted);
        assertThat(db.committed()).allSatisfy(c -> assertThat(c.enqueuedIds()).hasSizeBetween(1, 8));
        assertThat(log.stats().committedOps()).isEqualTo(100);
        assertThat(log.stats().committedBatches()).isEqualTo(db.committed().size());
        assertThat(log.stats().backlog()).isZero();
    }

    @Test
    void shouldTurnPressureOnAtTheCrossingSubmitAndOffOnceTheCommitDrainsBelowTheLowMark() throws Exception {
        start(WriterConfig.builder().maxBatchOps(100).waterMarks(10, 5));
        List<String> heard = new CopyOnWriteArrayList<>();
        log.addPressureListener(on -> heard.add(on + "@" + Thread.currentThread().getName()
                + "/backlog=" + log.stats().backlog()));
        db.holdNextApply();
        log.submit(TestOps.enqueue("mesh"));
        db.awaitHeld(WAIT);

        for (int i = 0; i < 10; i++) {
            log.submit(TestOps.enqueue("mesh"));
            assertThat(log.aboveHighWater()).isEqualTo(i == 9);
        }

        assertThat(heard).containsExactly("true@" + Thread.currentThread().getName() + "/backlog=11");
        db.release();
        assertThat(log.flush(WAIT.toMillis())).isTrue();
        assertThat(log.aboveHighWater()).isFalse();
        assertThat(heard).hasSize(2);
        assertThat(heard.get(1)).as("lifted by the commit of the other 10, on the writer's (commit) thread")
                .isEqualTo(depth() == 1 ? "false@broker-db-writer/backlog=0" : "false@broker-db-writer-commit/backlog=0");
    }

    @Test
    void shouldHoldWorkAndCallbacksWhileTheDatabaseIsDownAndRetryWithGrowingWaits() throws Exception {
        start(WriterConfig.builder().retry(20, 80));
        AtomicInteger acked = new AtomicInteger();
        db.down(true);
        for (int i = 0; i < 3; i++) {
            log.submit(TestOps.enqueue("mesh"), acked::incrementAndGet);
        }

        for (int failures = 1; failures <= 4; failures++) {
            sleeper.awaitRequest(WAIT);
            assertThat(log.databaseHealthy()).isFalse();
            assertThat(log.stats().failedAttempts()).isEqualTo(failures);
            assertThat(acked).hasValue(0);
            assertThat(log.stats().backlog()).isEqualTo(3);
            if (failures == 4) {
                db.down(false);
            }
            sleeper.step();
        }

        assertThat(log.flush(WAIT.toMillis())).isTrue();
        assertThat(sleeper.requestedMs()).containsExactly(20L, 40L, 80L, 80L);
        assertThat(acked).hasValue(3);
        assertThat(log.databaseHealthy()).isTrue();
        assertThat(log.stats().failedAttempts()).isEqualTo(4);
        assertThat(db.committedIds()).as("each held op committed once").hasSize(3).doesNotHaveDuplicates();
    }

    @Test
    void shouldMakeItsThreadsWithTheConfiguredFactoryAndNameThem() {
        List<Thread> made = new CopyOnWriteArrayList<>();
        start(WriterConfig.builder().threadName("w-test").threadFactory(r -> {
            Thread t = new Thread(r);
            made.add(t);
            return t;
        }));
        log.submit(TestOps.enqueue("mesh"));
        assertThat(log.flush(WAIT.toMillis())).isTrue();

        List<String> expected = depth() == 1 ? List.of("w-test") : List.of("w-test", "w-test-commit");
        assertThat(made).extracting(Thread::getName).containsExactlyInAnyOrderElementsOf(expected);
        assertThat(made).allSatisfy(t -> assertThat(t.isDaemon()).isTrue());
    }

    /** A payload that counts its references; a release past zero is recorded, not swallowed. */
    static final class CountedPayload extends Payload {
        final AtomicInteger refs = new AtomicInteger(1);
        final AtomicInteger overReleased = new AtomicInteger();

        @Override
        public int nonceLength() {
            return 0;
        }

        @Override
        public int ciphertextLength() {
            return 0;
        }

        @Override
        public void getNonce(byte[] dst, int at) {
        }

        @Override
        public void getCiphertext(byte[] dst, int at) {
        }

        @Override
        public Payload retain() {
            refs.incrementAndGet();
            return this;
        }

        @Override
        public void release() {
            if (refs.decrementAndGet() < 0) {
                overReleased.incrementAndGet();
            }
        }
    }

    @Test
    void shouldReleaseADmsPayloadOnceAfterItsCommitAndNotWhileItsBatchIsRetried() throws Exception {
        start(WriterConfig.builder().retry(20, 80));
        db.down(true);
        List<CountedPayload> payloads = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            StoredMessage base = TestOps.dm("mesh");
            CountedPayload p = new CountedPayload();
            payloads.add(p);
            log.submit(new DurableOp.EnqueueMessage(new StoredMessage(base.messageId(), base.meshId(),
                    base.senderMemberId(), base.senderMemberPubkey(), base.senderPubkey(), base.senderName(),
                    base.targetKey(), base.priority(), p, null, null, base.createdAtMs(), base.expiresAtMs(), null)));
        }
        for (int failures = 1; failures <= 2; failures++) {
            sleeper.awaitRequest(WAIT);
            // failed attempts keep the reference: the retry writes the same bytes again
            assertThat(payloads).allSatisfy(p -> assertThat(p.refs).hasValue(1));
            if (failures == 2) {
                db.down(false);
            }
            sleeper.step();
        }

        assertThat(log.flush(WAIT.toMillis())).isTrue();
        assertThat(payloads).allSatisfy(p -> {
            assertThat(p.refs).hasValue(0);
            assertThat(p.overReleased).hasValue(0);
        });
    }

    @Test
    void shouldStopWithinItsCloseTimeoutWhenTheDatabaseStaysDown() throws Exception {
        start(WriterConfig.builder().closeTimeoutMs(100));
        AtomicInteger acked = new AtomicInteger();
        db.down(true);
        log.submit(TestOps.enqueue("mesh"), acked::incrementAndGet);
        sleeper.awaitRequest(WAIT);

        log.close();

        assertThat(acked).hasValue(0);
        assertThat(log.stats().backlog()).isEqualTo(1);
        assertThat(log.flush(WAIT.toMillis())).as("the writer thread has ended").isFalse();
        assertThatThrownBy(() -> log.submit(TestOps.enqueue("mesh"))).isInstanceOf(IllegalStateException.class)
                .hasMessage("durable log closed");
    }

    @Test
    void shouldRefuseAMalformedOpOnTheSubmittingThread() {
        start(WriterConfig.builder());

        assertThatThrownBy(() -> log.submit(new DurableOp.MarkDelivered("mesh", null, 1), () -> { }))
                .isInstanceOf(NullPointerException.class).hasMessage("messageId");
        assertThatThrownBy(() -> log.submit(null)).isInstanceOf(NullPointerException.class).hasMessage("op");

        assertThat(log.stats().backlog()).isZero();
    }

    @Test
    void shouldCountACallbackThatThrowsAndRunTheRest() {
        start(WriterConfig.builder());
        List<String> ran = new CopyOnWriteArrayList<>();
        log.submit(TestOps.enqueue("mesh"), () -> {
            throw new IllegalStateException("boom");
        });
        log.submit(TestOps.enqueue("mesh"), () -> {
            ran.add("second");
            log.flush(1);
        });
        log.submit(TestOps.enqueue("mesh"), () -> ran.add("third"));

        assertThat(log.flush(WAIT.toMillis())).isTrue();

        assertThat(ran).as("flush() from a callback throws: counted, the rest still run").containsExactly("second",
                "third");
        assertThat(log.stats().callbackFailures()).isEqualTo(2);
    }
}
