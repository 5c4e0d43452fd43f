package dev.claudemesh.broker.db.store;

import dev.claudemesh.broker.core.audit.AuditChain;
import dev.claudemesh.broker.core.model.GroupRole;
import dev.claudemesh.broker.core.model.MemberRole;
import dev.claudemesh.broker.db.Database;
import org.jooq.DSLContext;
import org.jooq.JSONB;
import org.jooq.Record;
import org.jooq.UpdateSetMoreStep;

import javax.sql.DataSource;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import static dev.claudemesh.broker.db.jooq.mesh.Tables.MEMBER;
import static dev.claudemesh.broker.db.jooq.mesh.Tables.MESH_TABLE;
import static dev.claudemesh.broker.db.jooq.mesh.Tables.PEER_STATE;

/**
 * The member profile API's data (PROTOCOL-MESH §3.6): the roster of a mesh, a member's persistent profile fields
 * ({@code display_name}, {@code role_tag}, {@code default_groups}, {@code message_mode}, {@code role}) and the mesh's
 * self-edit policy ({@code mesh.self_editable}, sql/V4). Authorization is the original's: an admin ({@code role}
 * {@code admin}) may edit any member, a member may edit itself within the policy, {@code permission} is admin-only;
 * refusals are {@link Refused} with the original's texts. Every change is scoped to the mesh (the original updated a
 * member id of any mesh) and records an audit event in the outbox in its transaction, naming the changed fields,
 * never their values. A role ({@code permission}) changes only through {@link MemberModeration}'s path, with its
 * rules and its {@code member_role_changed} event. The caller's identity is proven by the HTTP layer before these run.
 *
 * <p>Blocking JDBC; thread-safe. Does not own the {@link DataSource}. Changing a member here does not touch a running
 * broker's member cache: the caller invalidates it.</p>
 */
public final class MemberProfiles {

    /** The fields a member may be allowed to change on itself, in the policy's order. */
    public static final List<String> SELF_EDITABLE_FIELDS = List.of("displayName", "roleTag", "groups", "messageMode");

    private final DSLContext dsl;

    public MemberProfiles(DataSource dataSource) {
        this.dsl = Database.dsl(Objects.requireNonNull(dataSource, "dataSource"));
    }

    /**
     * A member as a caller of the API: its key proves requests.
     *
     * @param id     member id
     * @param pubkey ed25519 member key, 64 lowercase hex
     * @param admin  true when its role is {@code admin}
     */
    public record Caller(String id, String pubkey, boolean admin) {
    }

    /**
     * A member as the API shows it.
     *
     * @param lastSeenAtMs when a control-plane lease of the member last closed ({@code peer_state.last_seen_at}), or
     *                     null
     */
    public record MemberView(String id, String pubkey, String displayName, String roleTag, List<GroupRole> groups,
                             String messageMode, String permission, long joinedAtMs, Long lastSeenAtMs) {
    }

    /**
     * A profile change; null fields are absent, except {@code roleTag}, which {@code hasRoleTag} says is present (null
     * clears it).
     */
    public record Update(String displayName, boolean hasRoleTag, String roleTag, List<GroupRole> groups,
                         String messageMode, String permission) {
        /** The policy fields this update sets, in {@link #SELF_EDITABLE_FIELDS} order. */
        public List<String> profileFields() {
            List<String> out = new ArrayList<>(4);
            if (displayName != null) {
                out.add("displayName");
            }
            if (hasRoleTag) {
                out.add("roleTag");
            }
            if (groups != null) {
                out.add("groups");
            }
            if (messageMode != null) {
                out.add("messageMode");
            }
            return out;
        }
    }

    /** What an update or a settings change did. */
    public sealed interface Outcome permits Updated, SettingsUpdated, Refused {
    }

    /** The member after the update. */
    public record Updated(MemberView member) implements Outcome {
    }

    /** The settings were changed. */
    public record SettingsUpdated() implements Outcome {
    }

    /** Refused, with the original's message (HTTP 400). */
    public record Refused(String error) implements Outcome {
    }

    /** The non-revoked member {@code memberId} of {@code meshId}, or null. */
    public Caller caller(String meshId, String memberId) {
        return caller(dsl, meshId, memberId);
    }

    private static Caller caller(DSLContext tx, String meshId, String memberId) {
        Record r = tx.select(MEMBER.ID, MEMBER.PEER_PUBKEY, MEMBER.ROLE).from(MEMBER)
                .where(MEMBER.ID.eq(memberId).and(MEMBER.MESH_ID.eq(meshId)).and(MEMBER.REVOKED_AT.isNull()))
                .fetchOne();
        return r == null ? null : new Caller(r.get(MEMBER.ID), r.get(MEMBER.PEER_PUBKEY), "admin".equals(r.get(MEMBER.ROLE)));
    }

    /** The mesh's non-revoked members, oldest first. */
    public List<MemberView> list(String meshId) {
        List<MemberView> out = new ArrayList<>();
        for (Record r : select(dsl).where(MEMBER.MESH_ID.eq(meshId).and(MEMBER.REVOKED_AT.isNull()))
                .orderBy(MEMBER.CREATED_AT, MEMBER.ID).fetch()) {
            out.add(view(r));
        }
        return out;
    }

    /**
     * Applies {@code update} to {@code targetId} on behalf of {@code callerId}, in one transaction. A
     * {@code permission} (the member's role) changes only through moderation's path
     * ({@link MemberModeration#changeRole}): the mesh's row is locked first, the last admin is never demoted (refused
     * with nothing written) and the change is audited {@code member_role_changed} (via {@code member_api}, acted by
     * the caller), as when the operator changes a role.
     */
    public Outcome update(String meshId, String callerId, String targetId, Update update, long nowMs) {
        Objects.requireNonNull(update, "update");
        MemberRole role = update.permission() == null ? null : MemberRole.of(update.permission());
        if (update.permission() != null && role == null) {
            return new Refused("permission must be one of admin, member");
        }
        return dsl.transactionResult(cfg -> {
            DSLContext tx = cfg.dsl();
            if (role != null && !MemberModeration.lockMesh(tx, meshId)) {
                return new Refused("caller not a member of this mesh");
            }
            Caller caller = caller(tx, meshId, callerId);
            if (caller == null) {
                return new Refused("caller not a member of this mesh");
            }
            boolean self = caller.id().equals(targetId);
            if (!caller.admin() && !self) {
                return new Refused("not authorized — only admins or self can edit");
            }
            if (!caller.admin()) {
                Map<String, Object> policy = selfEditable(tx, meshId);
                List<String> rejected = new ArrayList<>();
                for (String field : update.profileFields()) {
                    if (!Boolean.TRUE.equals(policy.get(field))) {
                        rejected.add(field);
                    }
                }
                if (update.permission() != null) {
                    rejected.add("permission");
                }
                if (!rejected.isEmpty()) {
                    return new Refused("admin-managed fields: " + String.join(", ", rejected));
                }
            }
            List<String> fields = update.profileFields();
            if (fields.isEmpty() && role == null) {
                return new Refused("no fields to update");
            }
            if (role != null) {
                try {
                    if (MemberModeration.changeRole(tx, meshId, targetId, role, caller.id(),
                            MemberModeration.VIA_MEMBER_API, nowMs) == MemberModeration.RoleChange.NO_MEMBER) {
                        return new Refused("member not found after update");
                    }
                } catch (ConflictException e) {
                    return new Refused(e.getMessage()); // nothing written yet
                }
            }
            if (!fields.isEmpty()) {
                UpdateSetMoreStep<?> set = tx.update(MEMBER).set(MEMBER.MESH_ID, MEMBER.MESH_ID);
                if (update.displayName() != null) {
                    set = set.set(MEMBER.DISPLAY_NAME, Rows.clean(update.displayName()));
                }
                if (update.hasRoleTag()) {
                    set = set.set(MEMBER.ROLE_TAG, Rows.clean(update.roleTag()));
                }
                if (update.groups() != null) {
                    set = set.set(MEMBER.DEFAULT_GROUPS, Rows.groupsJson(update.groups()));
                }
                if (update.messageMode() != null) {
                    set = set.set(MEMBER.MESSAGE_MODE, update.messageMode());
                }
                set.where(MEMBER.ID.eq(targetId).and(MEMBER.MESH_ID.eq(meshId))).execute();
            }
            Record r = select(tx).where(MEMBER.ID.eq(targetId).and(MEMBER.MESH_ID.eq(meshId))).fetchOne();
            if (r == null) {
                return new Refused("member not found after update");
            }
            if (!fields.isEmpty()) {
                Map<String, Object> payload = new LinkedHashMap<>();
                payload.put("fields", fields);
                payload.put("memberId", targetId);
                AuditOutbox.append(tx, meshId, "member_updated", caller.id(), payload, nowMs);
            }
            return new Updated(view(r));
        });
    }

    /** Replaces the mesh's self-edit policy on behalf of {@code callerId}, who must be an admin. */
    public Outcome updateSettings(String meshId, String callerId, Map<String, Boolean> selfEditable, long nowMs) {
        return dsl.transactionResult(cfg -> {
            DSLContext tx = cfg.dsl();
            Caller caller = caller(tx, meshId, callerId);
            if (caller == null || !caller.admin()) {
                return new Refused("admin access required");
            }
            if (selfEditable == null) {
                return new Refused("no settings to update");
            }
            tx.update(MESH_TABLE).set(MESH_TABLE.SELF_EDITABLE, JSONB.valueOf(AuditChain.canonicalJson(
                    new LinkedHashMap<String, Object>(selfEditable)))).where(MESH_TABLE.ID.eq(meshId)).execute();
            Map<String, Object> payload = new LinkedHashMap<>();
            payload.put("fields", List.of("selfEditable"));
            AuditOutbox.append(tx, meshId, "mesh_settings_updated", caller.id(), payload, nowMs);
            return new SettingsUpdated();
        });
    }

    /** The mesh's self-edit policy, as stored. */
    public Map<String, Object> selfEditable(String meshId) {
        return selfEditable(dsl, meshId);
    }

    private static Map<String, Object> selfEditable(DSLContext tx, String meshId) {
        JSONB json = tx.select(MESH_TABLE.SELF_EDITABLE).from(MESH_TABLE).where(MESH_TABLE.ID.eq(meshId))
                .fetchOne(MESH_TABLE.SELF_EDITABLE);
        if (json == null || json.data() == null) {
            return Map.of();
        }
        try {
            return AuditOutbox.parseObject(json.data());
        } catch (RuntimeException e) {
            return Map.of(); // not an object: nothing is self-editable
        }
    }

    private static org.jooq.SelectOnConditionStep<? extends Record> select(DSLContext tx) {
        return tx.select(MEMBER.ID, MEMBER.PEER_PUBKEY, MEMBER.DISPLAY_NAME, MEMBER.ROLE_TAG, MEMBER.DEFAULT_GROUPS,
                        MEMBER.MESSAGE_MODE, MEMBER.ROLE, MEMBER.CREATED_AT, PEER_STATE.LAST_SEEN_AT)
                .from(MEMBER)
                .leftJoin(PEER_STATE).on(PEER_STATE.MESH_ID.eq(MEMBER.MESH_ID).and(PEER_STATE.MEMBER_ID.eq(MEMBER.ID)));
    }

    private static MemberView view(Record r) {
        OffsetDateTime seen = r.get(PEER_STATE.LAST_SEEN_AT);
        return new MemberView(r.get(MEMBER.ID), r.get(MEMBER.PEER_PUBKEY), r.get(MEMBER.DISPLAY_NAME),
                r.get(MEMBER.ROLE_TAG), Rows.groups(r.get(MEMBER.DEFAULT_GROUPS)), r.get(MEMBER.MESSAGE_MODE),
                r.get(MEMBER.ROLE), Rows.millis(r.get(MEMBER.CREATED_AT)), seen == null ? null : Rows.millis(seen));
    }
}
