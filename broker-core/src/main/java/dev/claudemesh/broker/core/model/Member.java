package dev.claudemesh.broker.core.model;

import java.util.List;
import java.util.Map;

/**
 * A member of a mesh, as the broker needs it for authentication and routing. Immutable.
 *
 * @param id          member id (32 alnum)
 * @param meshId      owning mesh id
 * @param meshName    the mesh's display name (used in the {@code revoked} message)
 * @param pubkey      ed25519 member public key, 64 lowercase hex
 * @param displayName display name
 * @param roleTag     optional role tag, null when unset
 * @param defaultGroups groups given to every lease of this member that announces none
 * @param peerGrants  {@code {senderMemberPubkey: [capability...]}}; empty map = defaults for everyone
 * @param messageMode "push" unless configured otherwise
 * @param revoked     true when {@code revoked_at} is set
 */
public record Member(String id, String meshId, String meshName, String pubkey, String displayName, String roleTag,
                     List<GroupRole> defaultGroups, Map<String, List<String>> peerGrants, String messageMode,
                     boolean revoked) {
    public Member {
        defaultGroups = defaultGroups == null ? List.of() : List.copyOf(defaultGroups);
        peerGrants = peerGrants == null ? Map.of() : Map.copyOf(peerGrants);
        messageMode = messageMode == null ? "push" : messageMode;
    }
}
