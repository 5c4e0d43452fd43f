package dev.claudemesh.broker.db.store;

import dev.claudemesh.broker.core.model.MemberRole;

import java.util.Objects;

/**
 * The rows an operator lists (admin API {@code GET /admin/meshes…}, the jar's {@code … list} subcommands), as read by
 * {@link AdminQueries}. Records only; immutable.
 */
public final class AdminListing {

    private AdminListing() {
    }

    /**
     * One mesh.
     *
     * @param createdAtMs   epoch ms
     * @param members       its members, revoked ones included
     * @param activeMembers its members that are not revoked
     */
    public record MeshRow(String id, String name, String slug, long createdAtMs, int members, int activeMembers) {
        public MeshRow {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(slug, "slug");
        }
    }

    /**
     * One member of a mesh.
     *
     * @param pubkey      64 lowercase hex
     * @param roleTag     nullable
     * @param role        member or admin
     * @param createdAtMs epoch ms
     * @param revokedAtMs epoch ms of its ban, or null when it is active
     */
    public record MemberRow(String id, String pubkey, String displayName, String roleTag, MemberRole role,
                            long createdAtMs, Long revokedAtMs) {
        public MemberRow {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(role, "role");
        }

        public boolean revoked() {
            return revokedAtMs != null;
        }
    }

    /**
     * One invite of a mesh. {@code link} carries the mesh root key: show it to the operator, never log it.
     *
     * @param role        member or admin
     * @param maxUses     how many keys it may enrol
     * @param usedCount   how many it enrolled
     * @param expiresAtMs epoch ms
     * @param revokedAtMs epoch ms, or null
     * @param createdAtMs epoch ms
     * @param link        {@code ic://join/<token>}
     */
    public record InviteRow(String id, String role, int maxUses, int usedCount, long expiresAtMs, Long revokedAtMs,
                            long createdAtMs, String link) {
        public InviteRow {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(link, "link");
        }

        public int usesLeft() {
            return Math.max(0, maxUses - usedCount);
        }

        /** True while it can still enrol someone at {@code nowMs}: not revoked, not expired, uses left. */
        public boolean usable(long nowMs) {
            return revokedAtMs == null && expiresAtMs > nowMs && usesLeft() > 0;
        }

        @Override
        public String toString() {
            return "InviteRow[id=" + id + ", role=" + role + ", uses=" + usedCount + "/" + maxUses + "]"; // no link
        }
    }

    /**
     * What deleting a mesh removed, by kind.
     *
     * @param memberPubkeys the keys of its members (a running broker drops their cached lookups)
     * @param members       member rows
     * @param invites       invite rows
     * @param messages      message_queue rows (delivered or not)
     * @param auditEvents   audit_log and audit_outbox rows
     */
    public record DeletedMesh(String meshId, java.util.List<String> memberPubkeys, int members, int invites,
                              int messages, int auditEvents) {
        public DeletedMesh {
            Objects.requireNonNull(meshId, "meshId");
            memberPubkeys = java.util.List.copyOf(memberPubkeys);
        }
    }
}
