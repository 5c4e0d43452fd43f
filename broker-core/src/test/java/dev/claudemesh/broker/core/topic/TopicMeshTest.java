package dev.claudemesh.broker.core.topic;

import dev.claudemesh.broker.core.BrokerMetrics;
import dev.claudemesh.broker.core.BrokerSettings;
import dev.claudemesh.broker.core.audit.AuditEvent;
import dev.claudemesh.broker.core.envelope.Frames;
import dev.claudemesh.broker.core.envelope.Inbound;
import dev.claudemesh.broker.core.mesh.Ending;
import dev.claudemesh.broker.core.mesh.Lease;
import dev.claudemesh.broker.core.mesh.LeaseTable;
import dev.claudemesh.broker.core.mesh.MeshContext;
import dev.claudemesh.broker.core.mesh.OnBehalfSend;
import dev.claudemesh.broker.core.mesh.PeerSession;
import dev.claudemesh.broker.core.mesh.SendOutcome;
import dev.claudemesh.broker.core.port.MeshLoop;
import dev.claudemesh.broker.core.testing.ManualClock;
import dev.claudemesh.broker.core.testing.ManualLoop;
import org.junit.jupiter.api.Test;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.BiConsumer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The event streams of {@link TopicMesh} on a manual loop and a storage lane run by hand: a stream that resumes after
 * {@code Last-Event-ID} gets every message after it exactly once, in order, whichever way its replay interleaves with
 * new posts (before its read, after it, while it is paused for a slow client), and then live ones.
 */
class TopicMeshTest {

    private static final String MESH = "M0000000000000000000000000000001";
    private static final TopicStore.Topic TOPIC = new TopicStore.Topic("T0000000000000000000000000000001", MESH, "ops",
            null, Visibility.PUBLIC, null, 0, false);

    private final ManualClock clock = new ManualClock(1_000);
    private final ManualLoop loop = new ManualLoop(clock);
    private final ArrayDeque<Runnable> storage = new ArrayDeque<>();
    private final MemoryStore store = new MemoryStore();
    private final TopicMesh mesh = new TopicMesh(new Context(), store, new TopicLimits(10, 2));
    private int ids;

    /** Runs the storage lane's calls (in order) and the loop's tasks until both are idle. */
    private void settle() {
        do {
            Runnable r;
            while ((r = storage.poll()) != null) {
                r.run();
            }
            loop.runAll();
        } while (!storage.isEmpty());
    }

    private String post() {
        String id = String.format("m%031d", ++ids);
        mesh.post(new TopicStore.NewMessage(id, MESH, TOPIC.id(), "member", null, "key", "next", "bg==", "aGk=", 1,
                null, null, List.of(), clock.millis()), (posted, failure) -> assertThat(failure).isNull());
        return id;
    }

    @Test
    void shouldReplayWhatWasMissedThenGoLiveWhenAPostComesAfterTheRead() {
        String m1 = post();
        String m2 = post();
        String m3 = post();
        settle();
        Sink sink = new Sink();

        assertThat(mesh.openStream(TOPIC, m1, sink)).isTrue();
        String m4 = post(); // submitted after the replay's read: delivered live
        settle();
        String m5 = post();
        settle();

        assertThat(sink.ids).containsExactly(m2, m3, m4, m5);
    }

    @Test
    void shouldNotRepeatAPostCommittedBeforeTheReplaysRead() {
        String m1 = post();
        settle();
        String m2 = post(); // its storage call runs before the replay's read: the read has it, its live delivery is not
        Sink sink = new Sink();
        mesh.openStream(TOPIC, m1, sink);
        settle();

        assertThat(sink.ids).containsExactly(m2);
    }

    @Test
    void shouldPauseForASlowClientAndLoseNothingCommittedMeanwhile() {
        String m1 = post();
        String m2 = post();
        String m3 = post();
        settle();
        Sink sink = new Sink();
        sink.writableFor = 1; // takes one message, then is behind
        mesh.openStream(TOPIC, m1, sink);
        settle();
        assertThat(sink.ids).containsExactly(m2);
        assertThat(sink.resume).isNotNull();

        String m4 = post(); // committed while the replay waits: not live yet, so only a later read can bring it
        settle();
        assertThat(sink.ids).containsExactly(m2);
        sink.writableFor = Integer.MAX_VALUE;
        sink.drain();
        settle();
        String m5 = post();
        settle();

        assertThat(sink.ids).containsExactly(m2, m3, m4, m5);
    }

    @Test
    void shouldReplayPageAfterPage() {
        String first = post();
        List<String> rest = new ArrayList<>();
        for (int i = 0; i < TopicMesh.CATCH_UP_PAGE * 2 + 5; i++) {
            rest.add(post());
        }
        settle();
        Sink sink = new Sink();
        mesh.openStream(TOPIC, first, sink);
        settle();
        assertThat(sink.ids).isEqualTo(rest);
        assertThat(store.reads).isEqualTo(3);
    }

    @Test
    void shouldForgetAStreamThatGaveUpOrClosedAndKeepToTheLimit() {
        Sink live = new Sink();
        Sink quitter = new Sink();
        assertThat(mesh.openStream(TOPIC, null, live)).isTrue();
        assertThat(mesh.openStream(TOPIC, null, quitter)).isTrue();
        assertThat(mesh.acceptsStream()).isFalse();
        assertThat(mesh.openStream(TOPIC, null, new Sink())).isFalse();

        quitter.accept = false;
        String m1 = post();
        settle();
        assertThat(mesh.openStreams()).isEqualTo(1);
        mesh.closeStream(live);
        String m2 = post();
        settle();

        assertThat(live.ids).containsExactly(m1);
        assertThat(quitter.ids).isEmpty();
        assertThat(mesh.openStreams()).isZero();
        assertThat(mesh.acceptsStream()).isTrue();
    }

    /** A sink that records ids, accepts or not, and is writable for a number of messages. */
    private static final class Sink implements TopicStreamSink {
        final List<String> ids = new ArrayList<>();
        boolean accept = true;
        int writableFor = Integer.MAX_VALUE;
        Runnable resume;

        @Override
        public boolean message(TopicStore.Message m) {
            if (!accept) {
                return false;
            }
            ids.add(m.id());
            writableFor--;
            return true;
        }

        @Override
        public boolean backlogWritable() {
            return writableFor > 0;
        }

        @Override
        public void whenDrained(Runnable r) {
            resume = r;
        }

        void drain() {
            Runnable r = resume;
            resume = null;
            r.run();
        }

        @Override
        public void backlogFailed() {
            throw new AssertionError("no failure expected");
        }

        @Override
        public boolean isOpen() {
            return accept;
        }
    }

    /** Topic history in memory: posts append, {@link #after} pages by id order (ids grow with time here). */
    private static final class MemoryStore implements TopicStore {
        final List<Message> messages = new ArrayList<>();
        int reads;

        @Override
        public Posted post(NewMessage m) {
            Message stored = new Message(m.id(), m.topicId(), m.senderMemberId(), "key", null, "alice", m.nonce(),
                    m.ciphertext(), m.bodyVersion(), null, m.nowMs());
            messages.add(stored);
            return new Posted(PostStatus.OK, TOPIC, stored, List.of(), 0);
        }

        @Override
        public List<Message> after(String topicId, String afterId, int limit) {
            reads++;
            List<Message> out = new ArrayList<>();
            boolean found = false;
            for (Message m : messages) {
                if (found && out.size() < limit) {
                    out.add(m);
                }
                found |= m.id().equals(afterId);
            }
            return found ? out : List.of();
        }

        @Override
        public Created create(NewTopic topic, int maxTopicsPerMesh) {
            throw new UnsupportedOperationException();
        }

        @Override
        public List<Listed> list(String meshId) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Topic resolve(String meshId, String ref) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Topic byName(String meshId, String name) {
            throw new UnsupportedOperationException();
        }

        @Override
        public TopicRole subscription(String topicId, String memberId) {
            throw new UnsupportedOperationException();
        }

        @Override
        public JoinResult join(Topic topic, String callerMemberId, String memberRef, TopicRole role, long nowMs) {
            throw new UnsupportedOperationException();
        }

        @Override
        public boolean leave(String topicId, String memberId) {
            throw new UnsupportedOperationException();
        }

        @Override
        public List<Subscriber> subscribers(String topicId) {
            throw new UnsupportedOperationException();
        }

        @Override
        public List<Message> history(String topicId, int limit, String beforeId) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void markRead(String topicId, String memberId, long nowMs) {
            throw new UnsupportedOperationException();
        }
    }

    /** The mesh as the topic state sees it: the manual loop, the hand-run storage lane; no leases needed here. */
    private final class Context implements MeshContext {
        final List<AuditEvent> audits = new ArrayList<>();

        @Override
        public String meshId() {
            return MESH;
        }

        @Override
        public MeshLoop loop() {
            return loop;
        }

        @Override
        public long nowMs() {
            return clock.millis();
        }

        @Override
        public BrokerSettings settings() {
            return BrokerSettings.defaults();
        }

        @Override
        public BrokerMetrics metrics() {
            return new BrokerMetrics();
        }

        @Override
        public LeaseTable leases() {
            throw new UnsupportedOperationException("no recipients in these tests");
        }

        @Override
        public void send(Lease to, byte[] frame) {
            throw new UnsupportedOperationException();
        }

        @Override
        public boolean send(Lease to, byte[] frame, Runnable onWritten) {
            throw new UnsupportedOperationException();
        }

        @Override
        public byte[] systemEvent(String event, Frames.EventData eventData) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void end(Lease lease, Ending ending) {
            throw new UnsupportedOperationException("topics never end a lease");
        }

        @Override
        public void sendOnBehalf(OnBehalfSend send, SendOutcome outcome) {
            throw new UnsupportedOperationException("topics never send on a member's behalf");
        }

        @Override
        public void audit(String actorId, AuditEvent event) {
            audits.add(event);
        }

        @Override
        public void error(PeerSession to, Inbound request, String code, String message) {
            throw new UnsupportedOperationException();
        }

        @Override
        public <T> CompletableFuture<T> storage(Callable<T> blockingCall) {
            CompletableFuture<T> f = new CompletableFuture<>();
            storage.add(() -> {
                try {
                    f.complete(blockingCall.call());
                } catch (Exception e) {
                    f.completeExceptionally(e);
                }
            });
            return f;
        }

        @Override
        public <T> void onLoop(CompletionStage<T> stage, BiConsumer<? super T, ? super Throwable> continuation) {
            stage.whenComplete((v, e) -> loop.execute(() -> continuation.accept(v, e)));
        }
    }
}
