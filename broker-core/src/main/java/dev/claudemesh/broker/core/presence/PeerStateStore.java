package dev.claudemesh.broker.core.presence;

import dev.claudemesh.broker.core.envelope.JsonNode;
import dev.claudemesh.broker.core.mesh.SavedPeerState;
import dev.claudemesh.broker.core.model.GroupRole;

import java.util.List;
import java.util.Objects;

/**
 * The {@code peer_state} table (PROTOCOL-MESH §2.1): one row per (mesh, member), written when a control-plane lease
 * of the member closes and read by the member's next {@code hello}. Blocking (JDBC): the presence service calls it
 * through {@link dev.claudemesh.broker.core.mesh.MeshContext#storage}, never on a loop. Implementations are
 * thread-safe.
 */
public interface PeerStateStore {

    /** The saved state of {@code memberId} in {@code meshId}, or null when it never saved one. */
    SavedPeerState load(String meshId, String memberId);

    /**
     * Inserts or updates the row of (mesh, member) in one statement: groups, profile, visibility and display name
     * are replaced; the summary is replaced only by a non-null one; each counter of {@link Save#increase} is added to
     * the stored cumulative counter; {@code last_seen_at} and {@code updated_at} become {@link Save#savedAtMs}.
     */
    void save(String meshId, String memberId, Save save);

    /**
     * What one closing lease saves. Immutable.
     *
     * @param groups      the lease's groups
     * @param profile     the lease's profile object
     * @param visible     the lease's visibility
     * @param displayName the lease name
     * @param summary     the lease's own summary when non-empty, else null (the stored one stays)
     * @param increase    what the lease counted since its counters were last added (PROTOCOL-MESH §2.5 [fix])
     * @param savedAtMs   now, epoch milliseconds
     */
    record Save(List<GroupRole> groups, JsonNode.ObjectNode profile, boolean visible, String displayName,
                String summary, SavedPeerState.Stats increase, long savedAtMs) {
        public Save {
            groups = List.copyOf(groups);
            Objects.requireNonNull(profile, "profile");
            Objects.requireNonNull(increase, "increase");
        }
    }
}
