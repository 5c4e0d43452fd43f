package dev.claudemesh.broker.core.moderation;

import dev.claudemesh.broker.core.mesh.MeshContext;
import dev.claudemesh.broker.core.mesh.MeshService;
import dev.claudemesh.broker.core.port.MemberRoles;

import java.util.Objects;

/**
 * Moderation (PROTOCOL-MESH §9): {@code kick}, {@code disconnect}, {@code ban}, {@code unban}, {@code list_bans}. Only
 * admins ({@link BanRules}) may kick, disconnect, ban or unban; {@code list_bans} is open to every member, as in the
 * original. Kicks and disconnects end leases through the mesh's one lease-ending path, like evictions (capacity
 * freed, {@code peer_left}, audit {@code member_kicked} and {@code peer_left}, services told); bans share the
 * operator's revoke path ({@link ModerationStore}). Stateless apart from its ports; thread-safe.
 */
public final class ModerationService implements MeshService<Moderation> {

    private final ModerationStore store;
    private final MemberRoles roles;

    /**
     * @param store bans (blocking; called on the storage pool)
     * @param roles the caller's role for kick and disconnect (blocking)
     */
    public ModerationService(ModerationStore store, MemberRoles roles) {
        this.store = Objects.requireNonNull(store, "store");
        this.roles = Objects.requireNonNull(roles, "roles");
    }

    @Override
    public String name() {
        return "moderation";
    }

    @Override
    public void registerHandlers(Registrar<Moderation> r) {
        r.handle("kick", new KickHandler(roles, false));
        r.handle("disconnect", new KickHandler(roles, true));
        r.handle("ban", new BanHandler(store, false));
        r.handle("unban", new BanHandler(store, true));
        r.handle("list_bans", new ListBansHandler(store));
    }

    @Override
    public Moderation createMeshState(MeshContext mesh) {
        return new Moderation(mesh);
    }
}
