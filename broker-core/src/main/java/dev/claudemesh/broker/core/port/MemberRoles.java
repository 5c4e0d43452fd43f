package dev.claudemesh.broker.core.port;

import dev.claudemesh.broker.core.model.MemberRole;

/**
 * Reads a member's role for the permission checks of the mesh services (moderation, audit over the WebSocket). Read
 * from the database on every check, not cached, so that a role change or a ban takes effect at the next request.
 *
 * <p>Blocking (JDBC): call it through {@code MeshContext.storage}, never on an event loop. Thread-safe.</p>
 */
@FunctionalInterface
public interface MemberRoles {

    /**
     * The role of the member {@code memberId} of {@code meshId}, or null when there is no such member or it is
     * revoked (banned).
     */
    MemberRole roleOf(String meshId, String memberId);
}
