package dev.claudemesh.broker.core.presence;

import dev.claudemesh.broker.core.envelope.Inbound;
import dev.claudemesh.broker.core.envelope.JsonNode;
import dev.claudemesh.broker.core.envelope.JsonOut;
import dev.claudemesh.broker.core.mesh.MessageHandler;
import dev.claudemesh.broker.core.mesh.PeerSession;

import java.util.List;

/**
 * {@code set_stats} {@code {"stats":{messagesIn, messagesOut, toolCalls, uptime, errors}}} (PROTOCOL-MESH §3.3):
 * replaces the caller's lease stats with {@code stats} ({@code {}} when absent or null); no reply, no push. Shown in
 * {@code list_peers}; its four counters go into the member's cumulative stats when the lease closes (§2.1, §2.5).
 * [fix] (§16 defect 13): {@code stats} must be an object whose {@code messagesIn}, {@code messagesOut},
 * {@code toolCalls} and {@code errors}, when present, are non-negative integers, at most
 * {@link PresenceLimits#leaseMetadataMaxBytes()} bytes of JSON; otherwise {@code bad_request} (the one reply this
 * type has, as for {@code set_status}) and the stats are unchanged. Stateless; runs on the mesh loop.
 */
final class SetStatsHandler implements MessageHandler<PresenceState> {

    private static final List<String> COUNTERS = List.of("messagesIn", "messagesOut", "toolCalls", "errors");

    private final PresenceLimits limits;

    SetStatsHandler(PresenceLimits limits) {
        this.limits = limits;
    }

    @Override
    public void handle(PresenceState state, PeerSession from, Inbound in) {
        JsonNode v = in.body().get("stats");
        JsonNode.ObjectNode stats;
        if (v == null || v instanceof JsonNode.NullNode) {
            stats = JsonNode.ObjectNode.EMPTY;
        } else if (v instanceof JsonNode.ObjectNode o) {
            stats = o;
        } else {
            state.mesh.error(from, in, "bad_request", "set_stats: stats must be an object");
            return;
        }
        for (String counter : COUNTERS) {
            JsonNode c = stats.get(counter);
            if (c != null && !(c instanceof JsonNode.NumberNode n && n.isLong() && n.longValue() >= 0)) {
                state.mesh.error(from, in, "bad_request", "set_stats: " + counter + " must be a non-negative integer");
                return;
            }
        }
        int bytes = new JsonOut().value(stats).size();
        if (bytes > limits.leaseMetadataMaxBytes()) {
            state.mesh.error(from, in, "bad_request", "set_stats: stats of " + bytes + " bytes > "
                    + limits.leaseMetadataMaxBytes() + " (LEASE_METADATA_MAX_BYTES)");
            return;
        }
        from.lease().stats(stats);
    }
}
