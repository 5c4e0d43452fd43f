package dev.claudemesh.broker.core.mesh;

import dev.claudemesh.broker.core.testing.Identities;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Live peer watchers of the admin API ({@link Broker#watchPeers}, {@link PeerWatch}) on a manual loop and clock. */
class PeerWatchTest {

    private final MeshHarness h = new MeshHarness();
    private final Identities.MemberKeys alice = h.member("alice");
    private final Identities.MemberKeys bob = h.member("bob");

    @Test
    void shouldSendTheArrayAtOnceThenOnLeaseEventsCoalesced() {
        h.session(alice, "s-a");
        MeshDeleteTest.Recorder w = new MeshDeleteTest.Recorder();
        h.broker.watchPeers(MeshHarness.MESH, w);
        h.loop.runAll();
        assertThat(w.arrays).singleElement().asString().contains("\"displayName\":\"n-s-a\"")
                .contains("\"memberId\":\"" + alice.memberId() + "\"").contains("\"live\":true");

        MeshHarness.Peer b1 = h.session(bob, "s-b1");
        h.session(bob, "s-b2");
        h.loop.advance(PeerWatch.COALESCE_MS);
        assertThat(w.arrays).hasSize(2); // two hellos, one update
        assertThat(w.arrays.get(1)).contains("n-s-b1").contains("n-s-b2");

        b1.session().onClosed();
        h.loop.advance(PeerWatch.COALESCE_MS);
        assertThat(w.arrays).hasSize(3);
        assertThat(w.arrays.get(2)).containsPattern("\"displayName\":\"n-s-b1\"[^{}]*\"live\":false");
    }

    @Test
    void shouldFindStatusChangesByComparingWhileWatchedAndStopWhenNobodyWatches() {
        MeshHarness.Peer a = h.session(alice, "s-a");
        MeshDeleteTest.Recorder w = new MeshDeleteTest.Recorder();
        h.broker.watchPeers(MeshHarness.MESH, w);
        h.loop.runAll();
        MeshState mesh = h.mesh();
        int timers = mesh.scope().periodicTasks();

        a.send("{\"type\":\"set_summary\",\"summary\":\"refactoring the parser\"}");
        h.loop.advance(PeerWatch.REFRESH_MS);
        assertThat(w.arrays).hasSize(2);
        assertThat(w.arrays.get(1)).contains("refactoring the parser");
        h.loop.advance(3 * PeerWatch.REFRESH_MS);
        assertThat(w.arrays).hasSize(2); // nothing changed: nothing sent

        h.broker.unwatchPeers(MeshHarness.MESH, w);
        h.loop.runAll();
        assertThat(mesh.scope().periodicTasks()).isEqualTo(timers - 1);
        h.session(bob, "s-b");
        h.loop.advance(PeerWatch.REFRESH_MS);
        assertThat(w.arrays).hasSize(2);
    }

    @Test
    void shouldForgetAWatcherWhoseClientLeft() {
        MeshDeleteTest.Recorder w = new MeshDeleteTest.Recorder();
        h.broker.watchPeers(MeshHarness.MESH, w);
        h.loop.runAll();
        w.gone = true;

        h.session(alice, "s-a");
        h.loop.advance(PeerWatch.COALESCE_MS);
        h.session(bob, "s-b");
        h.loop.advance(PeerWatch.COALESCE_MS);

        assertThat(w.arrays).hasSize(2); // the one that found it gone, then nothing
        assertThat(h.mesh().peerWatch.size()).isZero();
    }
}
