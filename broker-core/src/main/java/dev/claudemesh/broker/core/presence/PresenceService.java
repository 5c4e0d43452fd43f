package dev.claudemesh.broker.core.presence;

import dev.claudemesh.broker.core.mesh.MeshContext;
import dev.claudemesh.broker.core.mesh.MeshService;

import java.util.Objects;

/**
 * Presence beyond the core (PROTOCOL-MESH §1–§3): {@code message_status}, {@code set_profile}, {@code set_visible},
 * {@code set_stats}, and the member's peer state, saved when its control-plane lease closes and restored by its next
 * {@code hello} ({@link PresenceState}). Stateless apart from its ports and limits; thread-safe.
 */
public final class PresenceService implements MeshService<PresenceState> {

    private final PeerStateStore peerStates;
    private final MessageLookup messages;
    private final TopicRecipients topics;
    private final PresenceLimits limits;

    /**
     * @param peerStates the {@code peer_state} table
     * @param messages   the {@code message_queue} lookups of {@code message_status}
     * @param topics     the members of a topic for {@code message_status} of a topic message, or null (no topics:
     *                   reported as the original does)
     * @param limits     the limits
     */
    public PresenceService(PeerStateStore peerStates, MessageLookup messages, TopicRecipients topics,
                           PresenceLimits limits) {
        this.peerStates = Objects.requireNonNull(peerStates, "peerStates");
        this.messages = Objects.requireNonNull(messages, "messages");
        this.topics = topics;
        this.limits = Objects.requireNonNull(limits, "limits");
    }

    @Override
    public String name() {
        return "presence";
    }

    @Override
    public void registerHandlers(Registrar<PresenceState> r) {
        r.handle("message_status", new MessageStatusHandler(messages, topics));
        r.handle("set_profile", new SetProfileHandler(limits));
        r.handle("set_visible", new SetVisibleHandler());
        r.handle("set_stats", new SetStatsHandler(limits));
    }

    @Override
    public PresenceState createMeshState(MeshContext mesh) {
        return new PresenceState(mesh, peerStates);
    }
}
