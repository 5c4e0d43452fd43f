package dev.claudemesh.broker.core.moderation;

import java.util.List;
import java.util.Objects;

/**
 * The moderation service's store port (PROTOCOL-MESH §9.3, §9.4), implemented in broker-db. Each call decides with
 * {@link BanRules} inside the transaction that applies it.
 *
 * <p>A ban is the operator's revoke with a member as the actor: the same database change ({@code member.revoked_at}),
 * the same audit event ({@code member_banned}), and, once committed, the same effect on the running broker — every
 * lease of the banned member ends {@link dev.claudemesh.broker.core.mesh.Ending#REVOKED} (4002 {@code banned}) and its
 * cached lookup is dropped, so its next hello fails {@code revoked}. The implementation has set that effect in motion
 * (on the mesh loop) before {@link #ban} returns.</p>
 *
 * <p>Blocking (JDBC): call through {@code MeshContext.storage}. Thread-safe.</p>
 */
public interface ModerationStore {

    /** A banned member of {@code list_bans}: {@code {name, pubkey, revokedAt}}. */
    record Ban(String name, String pubkey, long revokedAtMs) {
        public Ban {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(pubkey, "pubkey");
        }
    }

    /**
     * Bans the one active member {@code target} names ({@link Targets}) on behalf of {@code callerMemberId}, if
     * {@link BanRules#ban} allows it.
     */
    BanOutcome ban(String meshId, String callerMemberId, String target);

    /**
     * Lifts the ban of the one banned member whose display name or full key is {@code target}, on behalf of
     * {@code callerMemberId}, if {@link BanRules#unban} allows it; audited {@code member_unbanned}.
     */
    BanOutcome unban(String meshId, String callerMemberId, String target);

    /** Every banned member of the mesh, oldest ban first. */
    List<Ban> bans(String meshId);
}
