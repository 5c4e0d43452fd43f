package dev.claudemesh.broker.core.mesh;

import dev.claudemesh.broker.core.envelope.JsonNode;
import dev.claudemesh.broker.core.model.GroupRole;

import java.util.List;
import java.util.Objects;

/**
 * What a member's control-plane lease left behind when its socket closed (PROTOCOL-MESH §2.1, table
 * {@code peer_state}), as the member's next {@code hello} restores it (§2.2): the groups, visibility and profile go
 * to the new lease; the summary, last-seen time and cumulative stats are only reported ({@code hello_ack},
 * {@code peer_returned}). Immutable.
 *
 * @param groups          the saved groups (possibly empty)
 * @param visible         the saved visibility
 * @param profile         the saved profile object (possibly empty)
 * @param lastSummary     the last non-empty summary of a closing lease, or null
 * @param lastSeenAtMs    when the last lease of the member closed, epoch milliseconds, or null
 * @param cumulativeStats the member's counters summed over its closed leases
 */
public record SavedPeerState(List<GroupRole> groups, boolean visible, JsonNode.ObjectNode profile, String lastSummary,
                             Long lastSeenAtMs, Stats cumulativeStats) {

    public SavedPeerState {
        groups = groups == null ? List.of() : List.copyOf(groups);
        profile = profile == null ? JsonNode.ObjectNode.EMPTY : profile;
        Objects.requireNonNull(cumulativeStats, "cumulativeStats");
    }

    /**
     * The four counters that {@code peer_state.cumulative_stats} sums ({@code uptime} is not summed). Immutable.
     */
    public record Stats(long messagesIn, long messagesOut, long toolCalls, long errors) {

        /** All zero. */
        public static final Stats ZERO = new Stats(0, 0, 0, 0);
    }
}
