package dev.claudemesh.broker.core.presence;

import dev.claudemesh.broker.core.envelope.JsonNode;
import dev.claudemesh.broker.core.mesh.Ending;
import dev.claudemesh.broker.core.mesh.Lease;
import dev.claudemesh.broker.core.mesh.LeaseListener;
import dev.claudemesh.broker.core.mesh.LeaseRestorer;
import dev.claudemesh.broker.core.mesh.MeshContext;
import dev.claudemesh.broker.core.mesh.PeerRole;
import dev.claudemesh.broker.core.mesh.SavedPeerState;
import dev.claudemesh.broker.core.model.Member;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * The presence service's state of one mesh: saves a member's peer state when one of its control-plane leases closes
 * and loads it for the member's next {@code hello} (PROTOCOL-MESH §2), with the fixes of §2.5:
 * <ul>
 *   <li>Only control-plane leases save (and only {@code hello} restores), so a session's groups, visibility and
 *       profile never end up in the member's next control-plane lease.</li>
 *   <li>The counters a lease reports are running totals, seeded by the client from {@code restoredStats}; a save
 *       adds only what the lease counted since its counters were last added (its <em>baseline</em>: the restored
 *       stats at first, then its last saved report), so nothing is counted twice, across a grace reattach
 *       either. A counter below its baseline means the client did not seed (or restarted its count): all of it is
 *       new.</li>
 *   <li>{@code last_summary} is the closing lease's own summary (the stored one stays when it has none).</li>
 * </ul>
 * Saved: when the socket of a live control-plane lease closes (it enters grace), and for the leases still connected
 * when the broker stops; not when a lease is replaced, revoked or dropped (as the original). Saves and loads of a mesh
 * run in order on its storage lane, so a {@code hello} right after a close reads what the close saved.
 *
 * <p><b>Thread:</b> the mesh loop; the store runs on the storage lane.</p>
 */
public final class PresenceState implements LeaseListener, LeaseRestorer {

    private static final Logger log = LoggerFactory.getLogger(PresenceState.class);

    /** Per control-plane lease: what of its counters is already in the member's cumulative stats. */
    private static final class Tracked {
        SavedPeerState.Stats baseline;
        boolean inGrace;

        Tracked(SavedPeerState.Stats baseline) {
            this.baseline = baseline;
        }
    }

    final MeshContext mesh;
    private final PeerStateStore store;
    private final Map<String, Tracked> byPresenceId = new HashMap<>();

    PresenceState(MeshContext mesh, PeerStateStore store) {
        this.mesh = mesh;
        this.store = store;
    }

    @Override
    public CompletionStage<SavedPeerState> load(Member member) {
        String meshId = mesh.meshId();
        String memberId = member.id();
        return mesh.storage(() -> store.load(meshId, memberId));
    }

    @Override
    public void leaseRegistered(Lease lease, boolean reattached) {
        if (lease.peerRole() != PeerRole.CONTROL_PLANE) {
            return;
        }
        Tracked t = byPresenceId.get(lease.presenceId());
        if (t == null) {
            SavedPeerState restored = lease.restored();
            byPresenceId.put(lease.presenceId(),
                    new Tracked(restored != null ? restored.cumulativeStats() : SavedPeerState.Stats.ZERO));
        } else {
            t.inGrace = false;
        }
    }

    @Override
    public void socketClosed(Lease lease) {
        Tracked t = byPresenceId.get(lease.presenceId());
        if (t != null) {
            t.inGrace = true;
            save(lease, t);
        }
    }

    @Override
    public void leaseEnded(Lease lease, Ending ending) {
        Tracked t = byPresenceId.remove(lease.presenceId());
        if (t != null && ending == Ending.SHUTDOWN && !t.inGrace) {
            save(lease, t);
        }
    }

    private void save(Lease lease, Tracked t) {
        SavedPeerState.Stats report = counters(lease.stats());
        SavedPeerState.Stats increase = new SavedPeerState.Stats(
                increase(report.messagesIn(), t.baseline.messagesIn()),
                increase(report.messagesOut(), t.baseline.messagesOut()),
                increase(report.toolCalls(), t.baseline.toolCalls()),
                increase(report.errors(), t.baseline.errors()));
        if (lease.stats() != null) {
            t.baseline = report;
        }
        String summary = lease.summary() == null || lease.summary().isEmpty() ? null : lease.summary();
        PeerStateStore.Save save = new PeerStateStore.Save(lease.groups(), lease.profile(), lease.visible(),
                lease.displayName(), summary, increase, mesh.nowMs());
        String meshId = mesh.meshId();
        String memberId = lease.member().id();
        String presenceId = lease.presenceId();
        mesh.storage(() -> {
            store.save(meshId, memberId, save);
            return null;
        }).whenComplete((ignored, error) -> {
            if (error != null) {
                log.warn("mesh {}: peer state of member {} not saved (presence {}): {}", meshId, memberId, presenceId,
                        error.toString());
            }
        });
    }

    /** The increase of one counter over its baseline; a report below the baseline counts whole (see class doc). */
    static long increase(long report, long baseline) {
        return report >= baseline ? report - baseline : report;
    }

    /** The four counters of a {@code set_stats} object (validated by {@link SetStatsHandler}); missing ones are 0. */
    static SavedPeerState.Stats counters(JsonNode.ObjectNode stats) {
        if (stats == null) {
            return SavedPeerState.Stats.ZERO;
        }
        return new SavedPeerState.Stats(counter(stats, "messagesIn"), counter(stats, "messagesOut"),
                counter(stats, "toolCalls"), counter(stats, "errors"));
    }

    private static long counter(JsonNode.ObjectNode stats, String name) {
        return stats.get(name) instanceof JsonNode.NumberNode n && n.isLong() ? n.longValue() : 0;
    }

    /** Leases tracked for saving (tests). */
    int tracked() {
        return byPresenceId.size();
    }
}
