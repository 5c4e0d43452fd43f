package dev.claudemesh.broker.core.mesh;

import dev.claudemesh.broker.core.testing.Identities;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The operator deletes a mesh while peers are connected ({@link Broker#meshDeleted}): every lease ends 4002
 * {@code mesh_deleted} without {@code peer_left} or audit, the DMs held are dropped (gauge included), the mesh's
 * timers stop, peer watchers are told, and a hello whose member lookup raced the delete is refused.
 */
class MeshDeleteTest {

    private final MeshHarness h = new MeshHarness();
    private final Identities.MemberKeys alice = h.member("alice");
    private final Identities.MemberKeys bob = h.member("bob");

    /** A watcher that records what it got. */
    static final class Recorder implements PeerWatcher {
        final List<String> arrays = new ArrayList<>();
        boolean deleted;
        boolean gone;

        @Override
        public boolean peers(byte[] json) {
            arrays.add(new String(json, java.nio.charset.StandardCharsets.UTF_8));
            return !gone;
        }

        @Override
        public void meshDeleted() {
            deleted = true;
        }
    }

    @Test
    void shouldEndEveryLeaseDropQueuesStopTimersAndTellWatchers() {
        MeshHarness.Peer a = h.session(alice, "s-a");
        MeshHarness.Peer b = h.hello(bob, "daemon-b");
        // a DM to a peer in grace stays queued
        MeshHarness.Peer c = h.session(h.member("carol"), "s-c");
        c.session().onClosed();
        h.loop.runAll();
        a.send(Identities.send("c1", c.key(), "now", "bm9uY2U=", "Y2lwaGVy"));
        h.loop.runAll();
        h.durable.commitAll();
        h.loop.runAll();
        MeshState mesh = h.mesh();
        Recorder watcher = new Recorder();
        h.broker.watchPeers(MeshHarness.MESH, watcher);
        h.loop.runAll();
        assertThat(mesh.queueStats().depth()).isEqualTo(1);
        assertThat(h.metrics.queueDepth.get()).isEqualTo(1);
        assertThat(mesh.scope().periodicTasks()).isPositive();
        h.durable.commitAll();
        int auditsBefore = h.audits().size();

        CompletableFuture<Void> done = h.broker.meshDeleted(MeshHarness.MESH, List.of(alice.pubkey(), bob.pubkey()));
        h.loop.runAll();

        assertThat(done).isCompleted();
        assertThat(a.conn().closeCode).isEqualTo(4002);
        assertThat(a.conn().closeReason).isEqualTo("mesh_deleted");
        assertThat(b.conn().closeCode).isEqualTo(4002);
        assertThat(a.conn().framesContaining("peer_left")).isEmpty();
        assertThat(h.audits()).hasSize(auditsBefore);
        assertThat(h.disconnected()).containsExactlyInAnyOrder(a.presenceId(), b.presenceId(), c.presenceId());
        assertThat(mesh.leases.size()).isZero();
        assertThat(h.metrics.queueDepth.get()).isZero();
        assertThat(mesh.scope().periodicTasks()).isZero();
        assertThat(watcher.deleted).isTrue();
        assertThat(h.broker.meshesInMemory()).isZero();
    }

    @Test
    void shouldRefuseAHelloOfADeletedMeshEvenWhenTheLookupStillFindsTheMember() {
        h.session(alice, "s-a");
        h.broker.meshDeleted(MeshHarness.MESH, List.of());
        h.loop.runAll();

        // the fake directory still has bob: as if its lookup had completed before the commit
        MeshHarness.Peer late = h.session(bob, "s-b");

        assertThat(late.conn().frames).singleElement().asString().contains("\"code\":\"unauthorized\"");
        assertThat(late.conn().closeCode).isEqualTo(1008);
        assertThat(h.broker.meshesInMemory()).isZero();
    }

    @Test
    void shouldRefuseAHelloAdmittedOnTheLoopAfterTheDelete() {
        MeshState mesh = h.mesh();
        h.loop.runAll();
        mesh.delete();

        MeshHarness.Peer late = h.session(alice, "s-a"); // the broker's map still has the state (not removed here)

        assertThat(late.conn().closeCode).isEqualTo(1008);
        assertThat(mesh.leases.size()).isZero();
    }

    @Test
    void shouldTellAWatcherOfADeletedMeshAtOnce() {
        h.broker.meshDeleted(MeshHarness.MESH, List.of());
        Recorder watcher = new Recorder();
        h.broker.watchPeers(MeshHarness.MESH, watcher);
        Object[] state = {"unset"};
        h.broker.onMesh(MeshHarness.MESH, Object.class, s -> state[0] = s);
        h.loop.runAll();

        assertThat(watcher.deleted).isTrue();
        assertThat(watcher.arrays).isEmpty();
        assertThat(state[0]).isNull();
    }

    @Test
    void theOperatorsKickShouldEndSessionLeasesAuditedAndSpareTheControlPlane() {
        MeshHarness.Peer a = h.session(alice, "s-a");
        MeshHarness.Peer b1 = h.session(bob, "s-b1");
        MeshHarness.Peer daemon = h.hello(bob, "daemon-b");

        CompletableFuture<int[]> n = h.broker.kickMember(MeshHarness.MESH, bob.memberId());
        h.loop.runAll();

        assertThat(n.join()).containsExactly(1, 1);
        assertThat(b1.conn().closeCode).isEqualTo(4001);
        assertThat(b1.conn().closeReason).isEqualTo("kicked");
        assertThat(daemon.conn().closeCode).isNull();
        assertThat(a.conn().closeCode).isNull();
        assertThat(h.audits()).filteredOn(e -> e.eventType().equals("member_kicked")).singleElement()
                .satisfies(e -> assertThat(e.actorId()).isNull());
    }
}
