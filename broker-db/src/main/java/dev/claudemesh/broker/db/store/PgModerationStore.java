package dev.claudemesh.broker.db.store;

import dev.claudemesh.broker.core.model.MemberRole;
import dev.claudemesh.broker.core.moderation.BanOutcome;
import dev.claudemesh.broker.core.moderation.ModerationStore;
import dev.claudemesh.broker.core.port.MemberRoles;

import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The moderation service's store and the member-role reads of the mesh services, over {@link MemberModeration}: a
 * member's {@code ban} goes through exactly the code of the operator's revoke. The {@link MembershipAdmin} is asked
 * for at each call ({@code admin}), because the running broker's listener — which ends a banned member's leases and
 * moves the audit event into the chain — is attached to it after the broker that holds this store was built.
 *
 * <p>Blocking JDBC; thread-safe.</p>
 */
public final class PgModerationStore implements ModerationStore, MemberRoles {

    private final Supplier<MembershipAdmin> admin;

    /** @param admin the membership service carrying the running broker's listener (never null once asked) */
    public PgModerationStore(Supplier<MembershipAdmin> admin) {
        this.admin = Objects.requireNonNull(admin, "admin");
    }

    @Override
    public BanOutcome ban(String meshId, String callerMemberId, String target) {
        return admin.get().moderation().ban(meshId, callerMemberId, target);
    }

    @Override
    public BanOutcome unban(String meshId, String callerMemberId, String target) {
        return admin.get().moderation().unban(meshId, callerMemberId, target);
    }

    @Override
    public List<Ban> bans(String meshId) {
        return admin.get().moderation().bans(meshId);
    }

    @Override
    public MemberRole roleOf(String meshId, String memberId) {
        return admin.get().moderation().roleOf(meshId, memberId);
    }
}
