package dev.claudemesh.broker.db.store;

import dev.claudemesh.broker.core.audit.AuditEvent;
import dev.claudemesh.broker.core.model.Member;
import dev.claudemesh.broker.core.model.MemberRole;
import dev.claudemesh.broker.core.moderation.BanOutcome;
import dev.claudemesh.broker.core.moderation.BanRules;
import dev.claudemesh.broker.core.moderation.ModerationStore;
import dev.claudemesh.broker.core.moderation.Targets;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Record;

import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.function.LongSupplier;

import static dev.claudemesh.broker.db.jooq.mesh.Tables.MEMBER;
import static dev.claudemesh.broker.db.jooq.mesh.Tables.MESH_TABLE;
import static org.jooq.impl.DSL.currentOffsetDateTime;
import static org.jooq.impl.DSL.val;

/**
 * Roles and bans (PROTOCOL-MESH §9): the one implementation of a ban, whoever asks for it — a mesh admin's
 * {@code ban} over the WebSocket ({@link #ban}) or the operator's revoke ({@link #revoke}, through
 * {@link MembershipAdmin#revokeMember}) — plus unbans, role changes (the one path, {@link #changeRole}, also for an
 * admin's {@code permission} edit through the member API) and the reads the mesh services need. Each change
 * is one transaction that first locks the mesh's row, so a mesh's role and ban changes apply one at a time and the
 * rules of {@link BanRules} (decided inside the transaction, on what it read) hold however requests race: a mesh that
 * has an admin keeps one. Its audit event ({@code member_banned}, {@code member_unbanned}, {@code member_role_changed})
 * goes to the {@link AuditOutbox} in the same transaction; after the commit the {@link MembershipAdmin.Listener} is
 * told, which on a running broker ends the banned member's leases (4002) and moves the event into the chain.
 *
 * <p>Blocking JDBC; thread-safe. Obtained from {@link MembershipAdmin#moderation()}.</p>
 */
public final class MemberModeration {

    /** {@code via} of a member's own moderation request over the WebSocket, in audit events. */
    public static final String VIA_WS = "ws";
    /** {@code via} of an admin's role change through the member API ({@code PATCH … permission}), in audit events. */
    public static final String VIA_MEMBER_API = "member_api";

    private final DSLContext dsl;
    private final String via;
    private final LongSupplier nowMs;
    private final MembershipAdmin.Listener listener;

    MemberModeration(DSLContext dsl, String via, LongSupplier nowMs, MembershipAdmin.Listener listener) {
        this.dsl = dsl;
        this.via = via;
        this.nowMs = nowMs;
        this.listener = listener;
    }

    /** The role of an active member, or null when there is none (or it is banned). */
    public MemberRole roleOf(String meshId, String memberId) {
        Objects.requireNonNull(meshId, "meshId");
        Objects.requireNonNull(memberId, "memberId");
        return MemberRole.of(dsl.select(MEMBER.ROLE).from(MEMBER)
                .where(MEMBER.MESH_ID.eq(meshId)).and(MEMBER.ID.eq(memberId)).and(MEMBER.REVOKED_AT.isNull())
                .fetchOne(MEMBER.ROLE));
    }

    /** A member's {@code ban} of the one active member {@code target} names ({@link BanRules#ban}). */
    public BanOutcome ban(String meshId, String callerMemberId, String target) {
        Objects.requireNonNull(target, "target");
        Changed<BanOutcome> c = dsl.transactionResult(cfg -> {
            DSLContext tx = cfg.dsl();
            if (!lockMesh(tx, meshId)) {
                return new Changed<>(new BanOutcome.Refused("not_found", "mesh not found"), null);
            }
            String prefix = Targets.keyPrefix(target);
            Condition named = MEMBER.DISPLAY_NAME.eq(target);
            if (prefix != null) {
                named = named.or(MEMBER.PEER_PUBKEY.startsWith(val(prefix)));
            }
            List<BanRules.Member> matches = tx.select(MEMBER.ID, MEMBER.DISPLAY_NAME, MEMBER.PEER_PUBKEY, MEMBER.ROLE)
                    .from(MEMBER).where(MEMBER.MESH_ID.eq(meshId)).and(MEMBER.REVOKED_AT.isNull()).and(named)
                    .orderBy(MEMBER.CREATED_AT, MEMBER.ID).limit(2).fetch(MemberModeration::rulesMember);
            BanOutcome outcome = BanRules.ban(callerMemberId, activeRole(tx, meshId, callerMemberId), target, matches,
                    ownerId(tx, meshId), activeAdmins(tx, meshId));
            if (!(outcome instanceof BanOutcome.Done d)) {
                return new Changed<>(outcome, null);
            }
            return new Changed<>(outcome, revokeRow(tx, meshId, d.memberId(), callerMemberId, VIA_WS));
        });
        if (c.member != null) {
            listener.memberRevoked(c.member);
            listener.auditEventsQueued(meshId);
        }
        return c.result;
    }

    /** A member's {@code unban} of the one banned member whose display name or full key is {@code target}. */
    public BanOutcome unban(String meshId, String callerMemberId, String target) {
        Objects.requireNonNull(target, "target");
        Changed<BanOutcome> c = dsl.transactionResult(cfg -> {
            DSLContext tx = cfg.dsl();
            if (!lockMesh(tx, meshId)) {
                return new Changed<>(new BanOutcome.Refused("not_found", "mesh not found"), null);
            }
            List<BanRules.Member> matches = tx.select(MEMBER.ID, MEMBER.DISPLAY_NAME, MEMBER.PEER_PUBKEY, MEMBER.ROLE)
                    .from(MEMBER).where(MEMBER.MESH_ID.eq(meshId)).and(MEMBER.REVOKED_AT.isNotNull())
                    .and(MEMBER.DISPLAY_NAME.eq(target).or(MEMBER.PEER_PUBKEY.eq(target.toLowerCase(Locale.ROOT))))
                    .orderBy(MEMBER.CREATED_AT, MEMBER.ID).limit(2).fetch(MemberModeration::rulesMember);
            BanOutcome outcome = BanRules.unban(activeRole(tx, meshId, callerMemberId), target, matches);
            if (!(outcome instanceof BanOutcome.Done d)) {
                return new Changed<>(outcome, null);
            }
            return new Changed<>(outcome, unbanRow(tx, meshId, d.memberId(), callerMemberId, VIA_WS));
        });
        if (c.member != null) {
            listener.memberAdded(c.member);
            listener.auditEventsQueued(meshId);
        }
        return c.result;
    }

    /** Every banned member of the mesh, oldest ban first. */
    public List<ModerationStore.Ban> bans(String meshId) {
        Objects.requireNonNull(meshId, "meshId");
        return dsl.select(MEMBER.DISPLAY_NAME, MEMBER.PEER_PUBKEY, MEMBER.REVOKED_AT).from(MEMBER)
                .where(MEMBER.MESH_ID.eq(meshId)).and(MEMBER.REVOKED_AT.isNotNull())
                .orderBy(MEMBER.REVOKED_AT, MEMBER.ID)
                .fetch(r -> new ModerationStore.Ban(r.get(MEMBER.DISPLAY_NAME), r.get(MEMBER.PEER_PUBKEY),
                        Rows.millis(r.get(MEMBER.REVOKED_AT))));
    }

    /**
     * The operator's revoke: the same change as a ban, acted by nobody ({@code via} says which tool). Idempotent: a
     * member already banned is returned as it is (and the listener told again, so its sockets close).
     *
     * @return the member as it is now; empty when the mesh has no such member
     * @throws ConflictException when it is the mesh's last admin
     */
    Optional<Member> revoke(String meshId, String memberId) {
        Optional<Member> m = dsl.transactionResult(cfg -> {
            DSLContext tx = cfg.dsl();
            Record target = lockedTarget(tx, meshId, memberId);
            if (target == null) {
                return Optional.<Member>empty();
            }
            if (target.get(MEMBER.REVOKED_AT) != null) {
                return Optional.of(member(tx, meshId, memberId));
            }
            refuseLastAdmin(tx, meshId, target);
            return Optional.of(revokeRow(tx, meshId, memberId, null, via));
        });
        m.ifPresent(member -> {
            listener.memberRevoked(member);
            listener.auditEventsQueued(meshId);
        });
        return m;
    }

    /**
     * The operator lifts a ban. Idempotent.
     *
     * @return the member as it is now; empty when the mesh has no such member
     */
    Optional<Member> unbanById(String meshId, String memberId) {
        Changed<Optional<Member>> c = dsl.transactionResult(cfg -> {
            DSLContext tx = cfg.dsl();
            Record target = lockedTarget(tx, meshId, memberId);
            if (target == null) {
                return new Changed<>(Optional.<Member>empty(), null);
            }
            if (target.get(MEMBER.REVOKED_AT) == null) {
                return new Changed<>(Optional.of(member(tx, meshId, memberId)), null);
            }
            Member m = unbanRow(tx, meshId, memberId, null, via);
            return new Changed<>(Optional.of(m), m);
        });
        if (c.member != null) {
            listener.memberAdded(c.member);
            listener.auditEventsQueued(meshId);
        }
        return c.result;
    }

    /**
     * The operator sets a member's role (audited {@code member_role_changed} when it changes).
     *
     * @return the member as it is now; empty when the mesh has no such member
     * @throws ConflictException when it would demote the mesh's last admin
     */
    Optional<Member> setRole(String meshId, String memberId, MemberRole role) {
        Objects.requireNonNull(role, "role");
        Changed<Optional<Member>> c = dsl.transactionResult(cfg -> {
            DSLContext tx = cfg.dsl();
            if (!lockMesh(tx, meshId)) {
                return new Changed<>(Optional.<Member>empty(), null);
            }
            RoleChange change = changeRole(tx, meshId, memberId, role, null, via, nowMs.getAsLong());
            if (change == RoleChange.NO_MEMBER) {
                return new Changed<>(Optional.<Member>empty(), null);
            }
            Member m = member(tx, meshId, memberId);
            return new Changed<>(Optional.of(m), change == RoleChange.CHANGED ? m : null);
        });
        if (c.member != null) {
            listener.auditEventsQueued(meshId);
        }
        return c.result;
    }

    /** What {@link #changeRole} did. */
    enum RoleChange {
        /** The mesh has no such member. */
        NO_MEMBER,
        /** The member already had the role: nothing written. */
        UNCHANGED,
        /** The role was changed and {@code member_role_changed} queued. */
        CHANGED
    }

    /**
     * The one way a member's role changes, whoever asks (the operator through {@link #setRole}, an admin through the
     * member API's {@code permission}, {@link MemberProfiles#update}): inside {@code tx}, which must already hold the
     * mesh's row lock ({@link #lockMesh}), so role and ban changes of a mesh apply one at a time; refuses to demote the
     * mesh's last active admin ({@link BanRules#lastAdminRefusal}); audits {@code member_role_changed} in the same
     * transaction. Writes nothing unless it returns {@link RoleChange#CHANGED}.
     *
     * @param actorId the member who asked, or null for the operator
     * @param via     the surface, for the audit event
     * @throws ConflictException when it would demote the mesh's last admin (nothing written)
     */
    static RoleChange changeRole(DSLContext tx, String meshId, String memberId, MemberRole role, String actorId,
                                 String via, long nowMs) {
        Record target = tx.select(MEMBER.ID, MEMBER.DISPLAY_NAME, MEMBER.PEER_PUBKEY, MEMBER.ROLE, MEMBER.REVOKED_AT)
                .from(MEMBER).where(MEMBER.MESH_ID.eq(meshId)).and(MEMBER.ID.eq(memberId)).fetchOne();
        if (target == null) {
            return RoleChange.NO_MEMBER;
        }
        if (MemberRole.of(target.get(MEMBER.ROLE)) == role) {
            return RoleChange.UNCHANGED;
        }
        if (role != MemberRole.ADMIN) {
            refuseLastAdmin(tx, meshId, target);
        }
        tx.update(MEMBER).set(MEMBER.ROLE, role.wire())
                .where(MEMBER.MESH_ID.eq(meshId)).and(MEMBER.ID.eq(memberId)).execute();
        AuditOutbox.append(tx, meshId, actorId, new AuditEvent.MemberRoleChanged(target.get(MEMBER.PEER_PUBKEY),
                role.wire(), via), nowMs);
        return RoleChange.CHANGED;
    }

    /** A transaction's result, and the member it changed (null: nothing changed, nobody to tell). */
    private record Changed<T>(T result, Member member) {
    }

    /** Locks the mesh's row for the rest of the transaction; false when the mesh does not exist. */
    static boolean lockMesh(DSLContext tx, String meshId) {
        return tx.select(MESH_TABLE.ID).from(MESH_TABLE).where(MESH_TABLE.ID.eq(meshId)).forUpdate().fetchOne() != null;
    }

    /** The mesh locked, then the member row (id, name, key, role, revoked_at); null when either is missing. */
    private static Record lockedTarget(DSLContext tx, String meshId, String memberId) {
        if (!lockMesh(tx, meshId)) {
            return null;
        }
        return tx.select(MEMBER.ID, MEMBER.DISPLAY_NAME, MEMBER.PEER_PUBKEY, MEMBER.ROLE, MEMBER.REVOKED_AT)
                .from(MEMBER).where(MEMBER.MESH_ID.eq(meshId)).and(MEMBER.ID.eq(memberId)).fetchOne();
    }

    private static void refuseLastAdmin(DSLContext tx, String meshId, Record target) {
        String refusal = BanRules.lastAdminRefusal(rulesMember(target), target.get(MEMBER.REVOKED_AT) == null,
                activeAdmins(tx, meshId));
        if (refusal != null) {
            throw new ConflictException(refusal);
        }
    }

    private Member revokeRow(DSLContext tx, String meshId, String memberId, String actorId, String auditVia) {
        tx.update(MEMBER).set(MEMBER.REVOKED_AT, currentOffsetDateTime())
                .where(MEMBER.MESH_ID.eq(meshId)).and(MEMBER.ID.eq(memberId)).execute();
        Member m = member(tx, meshId, memberId);
        AuditOutbox.append(tx, meshId, actorId, new AuditEvent.MemberBanned(m.displayName(), m.pubkey(), auditVia),
                nowMs.getAsLong());
        return m;
    }

    private Member unbanRow(DSLContext tx, String meshId, String memberId, String actorId, String auditVia) {
        tx.update(MEMBER).setNull(MEMBER.REVOKED_AT)
                .where(MEMBER.MESH_ID.eq(meshId)).and(MEMBER.ID.eq(memberId)).execute();
        Member m = member(tx, meshId, memberId);
        AuditOutbox.append(tx, meshId, actorId, new AuditEvent.MemberUnbanned(m.displayName(), m.pubkey(), auditVia),
                nowMs.getAsLong());
        return m;
    }

    private static Member member(DSLContext tx, String meshId, String memberId) {
        return tx.select(Rows.MEMBER_FIELDS).from(MEMBER).join(MESH_TABLE).on(MESH_TABLE.ID.eq(MEMBER.MESH_ID))
                .where(MEMBER.MESH_ID.eq(meshId)).and(MEMBER.ID.eq(memberId)).fetchSingle(Rows::member);
    }

    private static MemberRole activeRole(DSLContext tx, String meshId, String memberId) {
        return MemberRole.of(tx.select(MEMBER.ROLE).from(MEMBER).where(MEMBER.MESH_ID.eq(meshId))
                .and(MEMBER.ID.eq(memberId)).and(MEMBER.REVOKED_AT.isNull()).fetchOne(MEMBER.ROLE));
    }

    /** The mesh's owner: its active admin enrolled earliest (ties by id), or null. */
    private static String ownerId(DSLContext tx, String meshId) {
        return tx.select(MEMBER.ID).from(MEMBER).where(MEMBER.MESH_ID.eq(meshId))
                .and(MEMBER.ROLE.eq(MemberRole.ADMIN.wire())).and(MEMBER.REVOKED_AT.isNull())
                .orderBy(MEMBER.CREATED_AT, MEMBER.ID).limit(1).fetchOne(MEMBER.ID);
    }

    private static int activeAdmins(DSLContext tx, String meshId) {
        return tx.fetchCount(MEMBER, MEMBER.MESH_ID.eq(meshId).and(MEMBER.ROLE.eq(MemberRole.ADMIN.wire()))
                .and(MEMBER.REVOKED_AT.isNull()));
    }

    private static BanRules.Member rulesMember(Record r) {
        MemberRole role = MemberRole.of(r.get(MEMBER.ROLE));
        return new BanRules.Member(r.get(MEMBER.ID), r.get(MEMBER.DISPLAY_NAME), r.get(MEMBER.PEER_PUBKEY),
                role != null ? role : MemberRole.MEMBER);
    }
}
