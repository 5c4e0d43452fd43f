/**
 * Presence beyond the core (PROTOCOL-MESH §1–§3): delivery status of a sent message ({@code message_status}), the
 * member's peer state saved when its control-plane lease closes and restored by its next {@code hello}, and the lease
 * metadata {@code set_profile}, {@code set_visible}, {@code set_stats}. One mesh service,
 * {@link dev.claudemesh.broker.core.presence.PresenceService}, with its per-mesh state
 * {@link dev.claudemesh.broker.core.presence.PresenceState} confined to the mesh loop and two blocking store ports,
 * {@link dev.claudemesh.broker.core.presence.PeerStateStore} and
 * {@link dev.claudemesh.broker.core.presence.MessageLookup}, implemented in broker-db.
 */
package dev.claudemesh.broker.core.presence;
