package dev.claudemesh.broker.db.store;

/**
 * One stored audit event, as read back for verification and tests. Immutable.
 *
 * @param id               row id (chain order within a mesh)
 * @param meshId           mesh id
 * @param eventType        e.g. {@code peer_joined}
 * @param actorId          member id of the actor, or null
 * @param payloadCanonical the canonical JSON that was hashed
 * @param createdAtMs      epoch millis (stored with millisecond precision)
 * @param prevHash         previous hash of the mesh's chain, {@code genesis} for the first event
 * @param hash             this event's hash
 */
public record AuditRow(long id, String meshId, String eventType, String actorId, String payloadCanonical,
                       long createdAtMs, String prevHash, String hash) {
}
