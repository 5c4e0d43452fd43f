package dev.claudemesh.broker.core.mesh;

/**
 * Why a lease ends, and what its ending does (PROTOCOL §5, DESIGN "Membership administration"). Every ending goes
 * through the one lease-ending path of the mesh: the lease's socket, if it still has one, is marked replaced (its
 * later close is ignored), its claimed DMs are released and it is closed with {@link #closeCode()} /
 * {@link #closeReason()}; the lease leaves every index (its capacity is freed); its presence row gets
 * {@code disconnected_at}; then, per constant, the audit {@code peer_left} and the {@code peer_left} push to other
 * members' live leases. Services hear of it through {@link LeaseListener#leaseEnded}.
 *
 * <p>A new way to end a lease is one more constant here. The moderation endings (kick, disconnect, ban) are evictions
 * like any other (PROTOCOL-MESH §9.6 [fix]): capacity freed, {@code peer_left}, audited, services told.</p>
 */
public enum Ending {

    /** sessionId dedup: a newer hello of the same member with the same {@code sessionId}. No {@code peer_left}. */
    SESSION_REPLACED(1000, "session_replaced", false, false),
    /**
     * A {@code hello} claimed a session key it cannot prove; a {@code session_hello} that proves it took the key.
     */
    UNPROVEN_CLAIM(1008, "session_pubkey_in_use", true, true),
    /** The socket closed and the grace period passed without a reattach (the lease has no socket to close). */
    GRACE_EXPIRED(0, null, true, true),
    /**
     * The member was banned: by a mesh admin's {@code ban} (PROTOCOL-MESH §9.3) or by the operator's revoke (admin
     * API, the jar's {@code member revoke}). Both are one path: the same database change, the same audit
     * {@code member_banned}, then this ending for every lease of the member.
     */
    REVOKED(4002, "banned", true, true),
    /** A mesh admin's {@code kick} by name, key or {@code all} (PROTOCOL-MESH §9.2). Control-plane leases are spared. */
    KICKED(4001, "kicked", true, true),
    /** A mesh admin's {@code kick} of leases whose socket has been gone longer than {@code stale} ms. */
    KICKED_STALE(4001, "kicked_stale", true, true),
    /** A mesh admin's {@code disconnect}: like a kick, control-plane leases included; clients reconnect at once. */
    DISCONNECTED(1000, "disconnected", true, true),
    /** A mesh admin's {@code disconnect} of leases whose socket has been gone longer than {@code stale} ms. */
    DISCONNECTED_STALE(1000, "disconnected_stale", true, true),
    /**
     * The operator deleted the mesh (admin API {@code DELETE /admin/meshes/{meshId}}): every lease ends at once, closed
     * 4002 like a revoked member's (clients stop reconnecting), with reason {@code mesh_deleted}. No {@code peer_left}
     * and no audit: the mesh's audit chain is deleted with it.
     */
    MESH_DELETED(4002, "mesh_deleted", false, false),
    /** The broker is stopping. No {@code peer_left}: every lease ends at once. */
    SHUTDOWN(1001, "shutting down", false, false);

    private final int closeCode;
    private final String closeReason;
    private final boolean notifiesPeers;
    private final boolean audited;

    Ending(int closeCode, String closeReason, boolean notifiesPeers, boolean audited) {
        this.closeCode = closeCode;
        this.closeReason = closeReason;
        this.notifiesPeers = notifiesPeers;
        this.audited = audited;
    }

    /** The WebSocket close code sent to the lease's socket when it still has one; 0 when it never has one. */
    public int closeCode() {
        return closeCode;
    }

    /** The close reason sent with {@link #closeCode()}, or null. */
    public String closeReason() {
        return closeReason;
    }

    /** True when other members' live leases get a {@code peer_left} system push. */
    public boolean notifiesPeers() {
        return notifiesPeers;
    }

    /** True when the ending is recorded in the audit chain as {@code peer_left}. */
    public boolean audited() {
        return audited;
    }
}
