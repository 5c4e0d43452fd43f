package dev.claudemesh.broker.core.mesh;

import dev.claudemesh.broker.core.port.Fanout;
import dev.claudemesh.broker.core.port.MeshLoop;
import dev.claudemesh.broker.core.testing.InlineLoop;
import dev.claudemesh.broker.core.port.PeerConnection;
import dev.claudemesh.broker.core.testing.Identities;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The fan-outs of the core go through the loop's {@link Fanout}: every recipient is queued on it once, and it is
 * finished before the task ends (a batching transport writes nothing until then). The default ({@link Fanout#DIRECT})
 * sends each frame at once through its connection.
 */
class FanoutTest {

    /** Holds every frame until {@link #finish()}, like a batching transport; counts what it saw. */
    private static final class HoldingFanout implements Fanout {
        final List<PeerConnection> held = new ArrayList<>();
        final List<byte[]> heldFrames = new ArrayList<>();
        int finishes;
        int queued;

        @Override
        public void send(PeerConnection to, byte[] utf8Json) {
            held.add(to);
            heldFrames.add(utf8Json);
            queued++;
        }

        @Override
        public void sendEncoded(PeerConnection to, byte[] frame) {
            send(to, frame);
        }

        @Override
        public void finish() {
            finishes++;
            for (int i = 0; i < held.size(); i++) {
                held.get(i).send(heldFrames.get(i));
            }
            held.clear();
            heldFrames.clear();
        }
    }

    /** Records which method of the connection a frame came through. */
    private static final class RecordingConnection implements PeerConnection {
        final List<String> calls = new ArrayList<>();

        @Override
        public long id() {
            return 1;
        }

        @Override
        public String remoteAddress() {
            return "test";
        }

        @Override
        public void send(byte[] utf8Json) {
            calls.add("send " + new String(utf8Json, StandardCharsets.UTF_8));
        }

        @Override
        public void sendEncoded(byte[] frame) {
            calls.add("sendEncoded " + new String(frame, StandardCharsets.UTF_8));
        }

        @Override
        public void close(int code, String reason) {
            calls.add("close");
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void execute(Runnable task) {
            task.run();
        }
    }

    @Test
    void shouldSendEachFrameAtOnceThroughTheDirectFanout() {
        RecordingConnection a = new RecordingConnection();
        RecordingConnection b = new RecordingConnection();
        Fanout out = Fanout.DIRECT;
        out.send(a, "{\"n\":1}".getBytes(StandardCharsets.UTF_8));
        out.sendEncoded(b, "{\"n\":2}".getBytes(StandardCharsets.UTF_8));
        out.send(a, "{\"n\":3}".getBytes(StandardCharsets.UTF_8));
        // written before finish(): nothing is held back
        assertThat(a.calls).containsExactly("send {\"n\":1}", "send {\"n\":3}");
        assertThat(b.calls).containsExactly("sendEncoded {\"n\":2}");
        out.finish();
        assertThat(a.calls).hasSize(2);
        assertThat(b.calls).hasSize(1);
    }

    @Test
    void shouldHandOutTheDirectFanoutFromALoopWithoutOne() {
        MeshLoop plain = new InlineLoop();
        assertThat(plain.fanout()).isSameAs(Fanout.DIRECT);
        assertThat(new ScopedLoop(plain).fanout()).isSameAs(Fanout.DIRECT);
    }

    @Test
    void shouldQueueAMulticastOnceForEveryOtherMemberAndFinishTheFanout() {
        MeshHarness h = new MeshHarness();
        HoldingFanout out = new HoldingFanout();
        h.loop.useFanout(out);
        List<MeshHarness.Peer> peers = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            peers.add(h.session(h.member("m" + i), "s-" + i));
        }
        int queuedBefore = out.queued;
        int finishesBefore = out.finishes;
        long pushesBefore = h.metrics.pushesTotal.sum();
        peers.get(0).send(Identities.send("c1", "*", "now", "bm9uY2U=", "Y2lwaGVy"));
        h.loop.runAll();

        assertThat(out.queued - queuedBefore).isEqualTo(3);
        assertThat(h.metrics.pushesTotal.sum() - pushesBefore).isEqualTo(3);
        assertThat(out.finishes - finishesBefore).isEqualTo(1);
        assertThat(out.held).isEmpty();
        assertThat(peers.get(0).pushes()).isEmpty();
        for (int i = 1; i < 4; i++) {
            assertThat(peers.get(i).pushes()).hasSize(1);
        }
    }

    @Test
    void shouldAnnouncePeerJoinedAndPeerLeftThroughTheFanout() {
        MeshHarness h = new MeshHarness();
        HoldingFanout out = new HoldingFanout();
        h.loop.useFanout(out);
        List<MeshHarness.Peer> peers = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            peers.add(h.session(h.member("m" + i), "s-" + i));
        }
        MeshHarness.Peer late = h.session(h.member("late"), "s-late");
        assertThat(out.held).isEmpty();
        for (MeshHarness.Peer p : peers) {
            assertThat(p.conn().framesContaining("peer_joined")).hasSize(3 - peers.indexOf(p));
        }
        assertThat(late.conn().framesContaining("peer_joined")).isEmpty();

        int queuedBefore = out.queued;
        late.session().onClosed();
        h.loop.advance(h.broker.settings.graceMs() + 1_000);
        assertThat(out.queued - queuedBefore).isEqualTo(3);
        assertThat(out.held).isEmpty();
        for (MeshHarness.Peer p : peers) {
            assertThat(p.conn().framesContaining("peer_left")).hasSize(1);
        }
    }
}
