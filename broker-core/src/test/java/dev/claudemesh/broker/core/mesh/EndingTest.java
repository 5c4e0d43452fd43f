package dev.claudemesh.broker.core.mesh;

import dev.claudemesh.broker.core.BrokerSettings;
import dev.claudemesh.broker.core.crypto.Ed25519;
import dev.claudemesh.broker.core.testing.Identities;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The one lease-ending path, one test per {@link Ending}: the close code the socket gets, whether other members get
 * {@code peer_left}, whether it is audited, and that the lease's capacity is freed (in the table and in the atomic
 * mirror socket threads read).
 */
class EndingTest {

    private final MeshHarness h = new MeshHarness(BrokerSettings.defaults().withMaxConnectionsPerMesh(3));
    private final Identities.MemberKeys alice = h.member("alice");
    private final Identities.MemberKeys bob = h.member("bob");

    private void assertCapacityFreed(int leasesLeft) {
        assertThat(h.mesh().leases.size()).isEqualTo(leasesLeft);
        assertThat(h.mesh().leases.atCapacity(leasesLeft + 1, null)).isFalse();
        assertThat(h.mesh().leases.atCapacity(leasesLeft, null)).isTrue();
    }

    @Test
    void shouldCoverEveryEnding() {
        // a new constant needs its own test below
        assertThat(EnumSet.allOf(Ending.class)).containsExactlyInAnyOrder(Ending.SESSION_REPLACED,
                Ending.UNPROVEN_CLAIM, Ending.GRACE_EXPIRED, Ending.REVOKED, Ending.SHUTDOWN, Ending.KICKED,
                Ending.KICKED_STALE, Ending.DISCONNECTED, Ending.DISCONNECTED_STALE, Ending.MESH_DELETED);
    }

    @Test
    void sessionReplacedShouldClose1000WithoutPeerLeftOrAudit() {
        MeshHarness.Peer a = h.session(alice, "s-a");
        MeshHarness.Peer old = h.hello(bob, "daemon-1");
        String oldPresence = old.presenceId();
        MeshHarness.Peer newer = h.hello(bob, "daemon-1");

        assertThat(old.conn().closeCode).isEqualTo(1000);
        assertThat(old.conn().closeReason).isEqualTo("session_replaced");
        assertThat(newer.presenceId()).isNotEqualTo(oldPresence);
        assertThat(a.conn().framesContaining("peer_left")).isEmpty();
        assertThat(h.peerLeftAudits()).isEmpty();
        assertThat(h.disconnected()).containsExactly(oldPresence);
        assertCapacityFreed(2);
    }

    @Test
    void unprovenClaimShouldClose1008WithPeerLeftAndAudit() {
        MeshHarness.Peer carol = h.session(h.member("carol"), "s-c");
        Ed25519.KeyPair bobKey = Ed25519.generate();
        MeshHarness.Peer squatter = h.hello(alice, bobKey.publicKeyHex(), "d-1");
        String squatterPresence = squatter.presenceId();

        MeshHarness.Peer owner = h.session(bob, bobKey, "s-b");

        assertThat(owner.conn().frames.get(0)).contains("hello_ack");
        assertThat(squatter.conn().closeCode).isEqualTo(1008);
        assertThat(squatter.conn().closeReason).isEqualTo("session_pubkey_in_use");
        assertThat(carol.conn().framesContaining("\"event\":\"peer_left\"")).hasSize(1)
                .allSatisfy(f -> assertThat(f).contains("\"pubkey\":\"" + bobKey.publicKeyHex() + "\""));
        assertThat(h.peerLeftAudits()).singleElement()
                .satisfies(e -> assertThat(e.actorId()).isEqualTo(alice.memberId()));
        assertThat(h.disconnected()).containsExactly(squatterPresence);
        assertCapacityFreed(2);
    }

    @Test
    void graceExpiredShouldSendPeerLeftAndAuditWithoutAClose() {
        MeshHarness.Peer a = h.session(alice, "s-a");
        MeshHarness.Peer b = h.session(bob, "s-b");
        b.session().onClosed();
        h.loop.advance(BrokerSettings.defaults().graceMs() - 1_000);
        assertThat(h.mesh().leases.size()).isEqualTo(2);
        assertThat(a.conn().framesContaining("peer_left")).isEmpty();

        h.loop.advance(2_000);

        assertThat(b.conn().closeCode).isNull();
        assertThat(a.conn().framesContaining("\"event\":\"peer_left\"")).hasSize(1);
        assertThat(h.peerLeftAudits()).singleElement()
                .satisfies(e -> assertThat(e.actorId()).isEqualTo(bob.memberId()));
        assertThat(h.disconnected()).containsExactly(b.presenceId());
        assertCapacityFreed(1);
    }

    @Test
    void revokedShouldClose4002WithPeerLeftAndAudit() {
        MeshHarness.Peer a = h.session(alice, "s-a");
        MeshHarness.Peer b1 = h.session(bob, "s-b1");
        MeshHarness.Peer b2 = h.hello(bob, "daemon-b");

        h.broker.revoked(MeshHarness.MESH, bob.memberId(), bob.pubkey());
        h.loop.runAll();

        assertThat(b1.conn().closeCode).isEqualTo(4002);
        assertThat(b1.conn().closeReason).isEqualTo("banned");
        assertThat(b2.conn().closeCode).isEqualTo(4002);
        assertThat(a.conn().framesContaining("\"event\":\"peer_left\"")).hasSize(2);
        assertThat(h.peerLeftAudits()).hasSize(2).allSatisfy(e -> assertThat(e.actorId()).isEqualTo(bob.memberId()));
        assertThat(h.disconnected()).containsExactlyInAnyOrder(b1.presenceId(), b2.presenceId());
        assertCapacityFreed(1);
    }

    @Test
    void shutdownShouldClose1001WithoutPeerLeftOrAudit() {
        MeshHarness.Peer b = h.session(bob, "s-b");
        MeshHarness.Peer a = h.session(alice, "s-a");
        h.durable.commitAll();
        int framesBefore = a.conn().frames.size();

        h.mesh().shutdown();

        assertThat(b.conn().closeCode).isEqualTo(1001);
        assertThat(b.conn().closeReason).isEqualTo("shutting down");
        assertThat(a.conn().closeCode).isEqualTo(1001);
        // bob ended while alice's socket was still open: she got nothing, no peer_left
        assertThat(a.conn().frames).hasSize(framesBefore);
        assertThat(h.peerLeftAudits()).isEmpty();
        assertThat(h.disconnected()).containsExactly(b.presenceId(), a.presenceId());
        assertCapacityFreed(0);
    }

    @Test
    void meshDeletedShouldClose4002WithoutPeerLeftOrAudit() {
        MeshHarness.Peer a = h.session(alice, "s-a");
        MeshHarness.Peer b = h.session(bob, "s-b");
        MeshState mesh = h.mesh();

        h.broker.meshDeleted(MeshHarness.MESH, java.util.List.of(alice.pubkey(), bob.pubkey()));
        h.loop.runAll();

        assertThat(a.conn().closeCode).isEqualTo(4002);
        assertThat(a.conn().closeReason).isEqualTo("mesh_deleted");
        assertThat(b.conn().closeCode).isEqualTo(4002);
        assertThat(a.conn().framesContaining("peer_left")).isEmpty();
        assertThat(b.conn().framesContaining("peer_left")).isEmpty();
        assertThat(h.peerLeftAudits()).isEmpty();
        assertThat(h.disconnected()).containsExactlyInAnyOrder(a.presenceId(), b.presenceId());
        assertThat(mesh.leases.size()).isZero();
    }

    /** The lease of {@code p}, as a mesh service sees it. */
    private Lease lease(MeshHarness.Peer p) {
        return h.mesh().leases.byPresenceId(p.presenceId());
    }

    @ParameterizedTest
    @CsvSource({"KICKED, 4001, kicked", "DISCONNECTED, 1000, disconnected", "KICKED_STALE, 4001, kicked_stale",
            "DISCONNECTED_STALE, 1000, disconnected_stale"})
    void moderationEndingsShouldCloseAndEvictLikeAnyEviction(Ending ending, int code, String reason) {
        MeshHarness.Peer a = h.session(alice, "s-a");
        MeshHarness.Peer b = h.session(bob, "s-b");
        Lease bLease = lease(b);
        List<String> heard = new ArrayList<>();
        h.mesh().core.lifecycle.listeners(List.of(new LeaseListener() {
            @Override
            public void leaseEnded(Lease lease, Ending e) {
                heard.add(lease.presenceId() + " " + e);
            }
        }));

        h.mesh().core.end(bLease, ending);
        h.loop.runAll();

        assertThat(b.conn().closeCode).isEqualTo(code);
        assertThat(b.conn().closeReason).isEqualTo(reason);
        assertThat(a.conn().framesContaining("\"event\":\"peer_left\"")).hasSize(1)
                .allSatisfy(f -> assertThat(f).contains("\"pubkey\":\"" + b.key() + "\""));
        assertThat(h.peerLeftAudits()).singleElement()
                .satisfies(e -> assertThat(e.actorId()).isEqualTo(bob.memberId()));
        assertThat(h.disconnected()).containsExactly(b.presenceId());
        assertThat(heard).containsExactly(b.presenceId() + " " + ending);
        assertCapacityFreed(1);
    }

    @Test
    void moderationEndingOfAGraceLeaseShouldEvictItWithoutAClose() {
        MeshHarness.Peer a = h.session(alice, "s-a");
        MeshHarness.Peer b = h.session(bob, "s-b");
        b.session().onClosed();
        h.loop.runAll();

        h.mesh().core.end(lease(b), Ending.KICKED_STALE);
        h.loop.runAll();

        assertThat(b.conn().closeCode).isNull();
        assertThat(a.conn().framesContaining("\"event\":\"peer_left\"")).hasSize(1);
        assertThat(h.disconnected()).containsExactly(b.presenceId());
        assertCapacityFreed(1);
        h.loop.advance(BrokerSettings.defaults().graceMs() + 1_000);
        assertThat(a.conn().framesContaining("\"event\":\"peer_left\"")).as("no second eviction").hasSize(1);
    }

    @Test
    void servicesShouldNotEndLeasesOfOtherMeshesNorShutThemDown() {
        MeshHarness.Peer b = h.session(bob, "s-b");
        MeshState other = h.broker.mesh("M0000000000000000000000000000002");
        h.loop.runAll();

        assertThatThrownBy(() -> other.core.end(lease(b), Ending.KICKED))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected: mesh");
        assertThatThrownBy(() -> h.mesh().core.end(lease(b), Ending.SHUTDOWN))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("SHUTDOWN");
        assertThat(b.conn().closeCode).isNull();
    }
}
