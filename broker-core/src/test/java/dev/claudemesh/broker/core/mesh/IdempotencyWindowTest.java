package dev.claudemesh.broker.core.mesh;

import dev.claudemesh.broker.core.crypto.Ed25519;
import dev.claudemesh.broker.core.model.RecentSend;
import dev.claudemesh.broker.core.port.MeshLoop;
import dev.claudemesh.broker.core.testing.Identities;
import dev.claudemesh.broker.core.testing.ManualClock;
import dev.claudemesh.broker.core.testing.ManualLoop;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** The idempotency window: lookup, bounds, commit hand-off from the writer thread to the loop, repeats. */
class IdempotencyWindowTest {

    private static final long WINDOW_MS = 600_000;

    /** A manual loop that counts the tasks handed to it. */
    private static final class CountingLoop implements MeshLoop {
        final ManualLoop loop = new ManualLoop(new ManualClock(0));
        final AtomicInteger executed = new AtomicInteger();

        @Override
        public void execute(Runnable task) {
            executed.incrementAndGet();
            loop.execute(task);
        }

        @Override
        public Cancellable schedule(Runnable task, long delayMs) {
            return loop.schedule(task, delayMs);
        }

        @Override
        public Cancellable scheduleAtFixedRate(Runnable task, long periodMs) {
            return loop.scheduleAtFixedRate(task, periodMs);
        }

        @Override
        public boolean inLoop() {
            return true;
        }
    }

    private final CountingLoop loop = new CountingLoop();
    private final IdempotencyWindow window = new IdempotencyWindow(loop, WINDOW_MS);

    @Test
    void shouldFindASendInsideTheWindowOnly() {
        IdempotencyWindow.Key k = IdempotencyWindow.key("sender", "c1");
        IdempotencyWindow.Entry e = window.remember(k, "m1", 1_000, 1_000);
        assertThat(window.lookup(k, 1_000 + WINDOW_MS)).isSameAs(e);
        assertThat(window.lookup(IdempotencyWindow.key("other", "c1"), 1_000)).isNull();
        assertThat(window.lookup(k, 1_001 + WINDOW_MS)).isNull();
        assertThat(window.size()).isZero();
        assertThat(window.remember(null, "m2", 0, 0)).isNull();
    }

    @Test
    void shouldDropTheOldestBeyondTheBound() {
        for (int i = 0; i <= IdempotencyWindow.MAX_ENTRIES; i++) {
            window.remember(IdempotencyWindow.key("s", "c" + i), "m" + i, 5, 5);
        }
        assertThat(window.size()).isEqualTo(IdempotencyWindow.MAX_ENTRIES);
        assertThat(window.lookup(IdempotencyWindow.key("s", "c0"), 5)).isNull();
        assertThat(window.lookup(IdempotencyWindow.key("s", "c1"), 5)).isNotNull();
    }

    @Test
    void shouldApplyWriterCommitsOnTheLoopWithOneTaskPerBurst() throws Exception {
        List<IdempotencyWindow.Entry> entries = new ArrayList<>();
        List<String> acks = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            IdempotencyWindow.Entry e = window.remember(IdempotencyWindow.key("s", "c" + i), "m" + i, 0, 0);
            entries.add(e);
            assertThat(window.deferUntilCommitted(e, () -> acks.add(e.messageId))).isTrue();
        }

        Thread writer = new Thread(() -> entries.forEach(window::committedOnWriter), "test-writer");
        writer.start();
        writer.join();

        // nothing of the window changed on the writer thread
        assertThat(entries).noneMatch(IdempotencyWindow.Entry::committed);
        assertThat(acks).isEmpty();
        assertThat(loop.executed).hasValue(1);

        loop.loop.runAll();
        assertThat(entries).allMatch(IdempotencyWindow.Entry::committed);
        assertThat(acks).containsExactly("m0", "m1", "m2");

        // a later commit schedules a new drain
        IdempotencyWindow.Entry late = window.remember(IdempotencyWindow.key("s", "late"), "m9", 0, 0);
        window.committedOnWriter(late);
        assertThat(loop.executed).hasValue(2);
        loop.loop.runAll();
        assertThat(late.committed()).isTrue();
        assertThat(window.deferUntilCommitted(late, () -> acks.add("never"))).isFalse();
        assertThat(acks).doesNotContain("never");
    }

    @Test
    void shouldRestoreRecentSendsAsCommittedWithoutReplacingALiveEntry() {
        IdempotencyWindow.Entry live = window.remember(IdempotencyWindow.key("s", "c1"), "live", 10, 10);
        window.restore(new RecentSend("mesh", "s", "c1", "stored", 5), 10);
        window.restore(new RecentSend("mesh", "s", "c2", "stored-2", 5), 10);
        assertThat(window.lookup(IdempotencyWindow.key("s", "c1"), 10)).isSameAs(live);
        IdempotencyWindow.Entry restored = window.lookup(IdempotencyWindow.key("s", "c2"), 10);
        assertThat(restored.messageId).isEqualTo("stored-2");
        assertThat(restored.committed()).isTrue();
    }

    @Test
    void shouldAnswerARepeatThatArrivesBeforeTheCommitWithTheFirstAckAfterIt() {
        MeshHarness h = new MeshHarness();
        MeshHarness.Peer a = h.session(h.member("alice"), "s-a");
        MeshHarness.Peer b = h.session(h.member("bob"), Ed25519.generate(), "s-b");
        String send = Identities.send("c1", b.key(), "now", "bm9uY2U=", "Y2lwaGVy");

        a.send(send);
        h.loop.runAll();
        a.send(send);
        h.loop.runAll();
        assertThat(a.conn().framesContaining("\"type\":\"ack\"")).isEmpty();

        h.durable.commitAll(); // the writer: the first ack goes out from its callback
        assertThat(a.conn().framesContaining("\"type\":\"ack\"")).hasSize(1);
        h.loop.runAll(); // the loop learns of the commit and answers the repeat
        List<String> acks = a.conn().framesContaining("\"type\":\"ack\"");
        assertThat(acks).hasSize(2);
        assertThat(acks.get(1)).isEqualTo(acks.get(0)).contains("\"queued\":true");
        assertThat(b.pushes()).hasSize(1);
    }
}
