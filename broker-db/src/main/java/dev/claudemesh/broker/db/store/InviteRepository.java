package dev.claudemesh.broker.db.store;

import dev.claudemesh.broker.core.Ids;
import dev.claudemesh.broker.db.Database;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.Record;
import org.jooq.exception.DataAccessException;

import javax.sql.DataSource;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

import static dev.claudemesh.broker.db.jooq.mesh.Tables.INVITE;
import static dev.claudemesh.broker.db.jooq.mesh.Tables.MEMBER;
import static dev.claudemesh.broker.db.jooq.mesh.Tables.MESH_KEY;
import static dev.claudemesh.broker.db.jooq.mesh.Tables.MESH_TABLE;
import static org.jooq.impl.DSL.currentOffsetDateTime;
import static org.jooq.impl.DSL.field;

/**
 * Invites and enrolment (PROTOCOL §9): creating and revoking signed invites, and {@code /join}, which turns an
 * invite into a member. Every change records its audit event ({@code invite_created}, {@code invite_revoked},
 * {@code member_joined}) in the {@link AuditOutbox} within the same transaction; the broker moves it into the
 * chain.
 *
 * <p>Uses are claimed atomically: one {@code UPDATE … SET used_count = used_count + 1 WHERE used_count < max_uses
 * AND revoked_at IS NULL AND expires_at > now() RETURNING}, in the transaction that inserts the member. The row
 * lock serialises concurrent claims and each re-checks the condition on the committed row, so N concurrent joins
 * of an invite with U uses enrol exactly min(N, U) members. A key that is already a member is answered
 * {@code alreadyMember} without claiming; when the same key joins twice at once, the loser's member insert violates
 * the (mesh_id, peer_pubkey) key, its transaction (claim included) rolls back and the retry answers
 * {@code alreadyMember}.</p>
 *
 * <p>Expiry is judged by the database clock ({@code now()}), the invite row being authoritative: a join gets the
 * invite row's role and preset, not whatever role a (validly signed) payload of another invite claims.</p>
 *
 * <p>Blocking JDBC: never on an event loop. Thread-safe; does not own the {@link DataSource}.</p>
 */
public final class InviteRepository {

    /** Roles an invite can give. */
    public static final Set<String> ROLES = Set.of("member", "admin");
    /** Message modes a preset can set. */
    public static final Set<String> MESSAGE_MODES = Set.of("push", "inbox", "off");
    /** Most uses of one invite. */
    public static final int MAX_USES_LIMIT = 1_000_000;
    /** Longest invite lifetime: one year. */
    public static final long MAX_EXPIRES_IN_S = 366L * 24 * 3600;

    private static final Pattern PUBKEY = Pattern.compile("[0-9a-f]{64}");
    private static final String UNIQUE_VIOLATION = "23505";
    /** Distinct invites of one mesh with the same role and expiry second would have the same token. */
    private static final int TOKEN_ATTEMPTS = 8;

    private final DSLContext dsl;
    private final MeshKeys keys;

    /** Creates the repository over {@code dataSource}, signing with the owner keys of {@code keys}. */
    public InviteRepository(DataSource dataSource, MeshKeys keys) {
        this.dsl = Database.dsl(Objects.requireNonNull(dataSource, "dataSource"));
        this.keys = Objects.requireNonNull(keys, "keys");
    }

    /**
     * Creates and signs an invite.
     *
     * @param brokerUrl  the ws(s) URL put in the payload
     * @param maxUses    1..{@link #MAX_USES_LIMIT}
     * @param expiresInS 1..{@link #MAX_EXPIRES_IN_S}
     * @param role       one of {@link #ROLES}
     * @param preset     nullable
     * @param via        who asked, for the audit event ({@code admin_api}, {@code cli})
     * @param nowMs      the current time (the payload's {@code expires_at} is {@code nowMs / 1000 + expiresInS})
     * @throws NotFoundException               when the mesh does not exist
     * @throws IllegalArgumentException        when a value is out of range
     * @throws MeshKeys.KeyUnavailableException when the owner secret cannot be decrypted
     */
    public CreatedInvite create(String meshId, String brokerUrl, int maxUses, long expiresInS, String role,
                                InvitePreset preset, String via, long nowMs) {
        Objects.requireNonNull(meshId, "meshId");
        Objects.requireNonNull(brokerUrl, "brokerUrl");
        Objects.requireNonNull(via, "via");
        if (maxUses < 1 || maxUses > MAX_USES_LIMIT) {
            throw new IllegalArgumentException("maxUses: " + maxUses + " (expected: 1.." + MAX_USES_LIMIT + ")");
        }
        if (expiresInS < 1 || expiresInS > MAX_EXPIRES_IN_S) {
            throw new IllegalArgumentException("expiresInS: " + expiresInS + " (expected: 1.." + MAX_EXPIRES_IN_S
                    + ")");
        }
        if (!ROLES.contains(role)) {
            throw new IllegalArgumentException("role: " + role + " (expected: member or admin)");
        }
        InvitePreset p = preset == null ? InvitePreset.NONE : preset;
        if (p.messageMode() != null && !MESSAGE_MODES.contains(p.messageMode())) {
            throw new IllegalArgumentException("preset.messageMode: " + p.messageMode()
                    + " (expected: push, inbox or off)");
        }
        return dsl.transactionResult(cfg -> {
            DSLContext tx = cfg.dsl();
            String slug = tx.select(MESH_TABLE.SLUG).from(MESH_TABLE).where(MESH_TABLE.ID.eq(meshId))
                    .fetchOne(MESH_TABLE.SLUG);
            if (slug == null) {
                throw new NotFoundException("mesh not found: " + meshId);
            }
            MeshKeys.Keys k = keys.ensure(tx, meshId);
            String id = Ids.newId();
            long expiresAtS = Math.floorDiv(nowMs, 1000) + expiresInS;
            try {
                for (int attempt = 0; attempt < TOKEN_ATTEMPTS; attempt++, expiresAtS++) {
                    InvitePayload payload = InvitePayload.sign(meshId, slug, brokerUrl, expiresAtS, k.rootKey(), role,
                            k.ownerPubkey(), k.ownerSeed());
                    String token = payload.token();
                    int inserted = tx.insertInto(INVITE, INVITE.ID, INVITE.MESH_ID, INVITE.TOKEN, INVITE.PAYLOAD,
                                    INVITE.ROLE, INVITE.MAX_USES, INVITE.EXPIRES_AT, INVITE.PRESET)
                            .values(id, meshId, token, payload.toJson(), role, maxUses, Rows.time(expiresAtS * 1000),
                                    p.isEmpty() ? null : p.toJsonb())
                            .onConflict(INVITE.TOKEN).doNothing()
                            .execute();
                    if (inserted == 1) {
                        Map<String, Object> audit = new LinkedHashMap<>();
                        audit.put("inviteId", id);
                        audit.put("role", role);
                        audit.put("maxUses", (long) maxUses);
                        audit.put("expiresAt", expiresAtS);
                        audit.put("via", via);
                        AuditOutbox.append(tx, meshId, "invite_created", null, audit, nowMs);
                        return new CreatedInvite(id, meshId, token, payload.link(), expiresAtS, payload);
                    }
                }
            } finally {
                Arrays.fill(k.ownerSeed(), (byte) 0);
            }
            throw new IllegalStateException("could not make a unique invite token for mesh " + meshId);
        });
    }

    /**
     * Revokes an invite: its next join is refused {@code invite_revoked}. Idempotent.
     *
     * @return true when this call revoked it (and recorded {@code invite_revoked}), false when it already was
     * @throws NotFoundException when the mesh has no such invite
     */
    public boolean revoke(String meshId, String inviteId, String via, long nowMs) {
        Objects.requireNonNull(meshId, "meshId");
        Objects.requireNonNull(inviteId, "inviteId");
        Objects.requireNonNull(via, "via");
        return dsl.transactionResult(cfg -> {
            DSLContext tx = cfg.dsl();
            int n = tx.update(INVITE).set(INVITE.REVOKED_AT, currentOffsetDateTime())
                    .where(INVITE.ID.eq(inviteId)).and(INVITE.MESH_ID.eq(meshId)).and(INVITE.REVOKED_AT.isNull())
                    .execute();
            if (n == 0) {
                if (!tx.fetchExists(INVITE, INVITE.ID.eq(inviteId).and(INVITE.MESH_ID.eq(meshId)))) {
                    throw new NotFoundException("invite not found: " + inviteId + " in mesh " + meshId);
                }
                return false;
            }
            Map<String, Object> audit = new LinkedHashMap<>();
            audit.put("inviteId", inviteId);
            audit.put("via", via);
            AuditOutbox.append(tx, meshId, "invite_revoked", null, audit, nowMs);
            return true;
        });
    }

    /**
     * Enrols {@code peerPubkey} with an invite (PROTOCOL §9 {@code /join}); the checks run in the protocol's order.
     *
     * @param token       the invite token the client sent (looked up as is)
     * @param payload     the payload the client sent; null when it was not a well-formed payload (answered
     *                    {@code invite_bad_signature})
     * @param peerPubkey  64 hex (lowercased here)
     * @param displayName the client's display name, used unless the invite presets one
     * @param nowMs       time of the {@code member_joined} audit event
     */
    public JoinOutcome join(String token, InvitePayload payload, String peerPubkey, String displayName, long nowMs) {
        Objects.requireNonNull(token, "token");
        Objects.requireNonNull(peerPubkey, "peerPubkey");
        Objects.requireNonNull(displayName, "displayName");
        String pubkey = peerPubkey.toLowerCase(Locale.ROOT);
        if (!PUBKEY.matcher(pubkey).matches()) {
            throw new IllegalArgumentException("peerPubkey: expected 64 hex chars");
        }
        if (payload == null || !payload.signatureValid()) {
            return new JoinOutcome.Refused(JoinOutcome.Reason.BAD_SIGNATURE);
        }
        for (int attempt = 1; ; attempt++) {
            try {
                return dsl.transactionResult(cfg -> joinOnce(cfg.dsl(), token, payload, pubkey, displayName, nowMs));
            } catch (DataAccessException e) {
                // the same key joined concurrently and won: our transaction (claim included) rolled back; the next
                // attempt finds that member and answers alreadyMember
                if (attempt >= 3 || !UNIQUE_VIOLATION.equals(Rows.sqlState(e))) {
                    throw e;
                }
            }
        }
    }

    private static JoinOutcome joinOnce(DSLContext tx, String token, InvitePayload payload, String pubkey,
                                        String displayName, long nowMs) {
        Record mesh = tx.select(MESH_TABLE.ID, MESH_KEY.OWNER_PUBKEY)
                .from(MESH_TABLE).leftJoin(MESH_KEY).on(MESH_KEY.MESH_ID.eq(MESH_TABLE.ID))
                .where(MESH_TABLE.ID.eq(payload.meshId()))
                .fetchOne();
        if (mesh == null) {
            return refused(JoinOutcome.Reason.MESH_NOT_FOUND);
        }
        String owner = mesh.get(MESH_KEY.OWNER_PUBKEY);
        if (owner == null || !owner.equalsIgnoreCase(payload.ownerPubkey())) {
            return refused(JoinOutcome.Reason.OWNER_MISMATCH);
        }
        Field<Boolean> expired = field(INVITE.EXPIRES_AT.le(currentOffsetDateTime())).as("expired");
        Record invite = tx.select(INVITE.ID, INVITE.MESH_ID, INVITE.ROLE, INVITE.PRESET, INVITE.REVOKED_AT, expired)
                .from(INVITE).where(INVITE.TOKEN.eq(token))
                .fetchOne();
        if (invite == null) {
            return refused(JoinOutcome.Reason.NOT_FOUND);
        }
        String meshId = invite.get(INVITE.MESH_ID);
        if (!meshId.equals(payload.meshId())) {
            return refused(JoinOutcome.Reason.MESH_MISMATCH);
        }
        if (invite.get(INVITE.REVOKED_AT) != null) {
            return refused(JoinOutcome.Reason.REVOKED);
        }
        if (Boolean.TRUE.equals(invite.get(expired))) {
            return refused(JoinOutcome.Reason.EXPIRED);
        }
        Record existing = tx.select(MEMBER.ID, MEMBER.REVOKED_AT).from(MEMBER)
                .where(MEMBER.MESH_ID.eq(meshId)).and(MEMBER.PEER_PUBKEY.eq(pubkey))
                .fetchOne();
        if (existing != null) {
            return existing.get(MEMBER.REVOKED_AT) == null
                    ? new JoinOutcome.AlreadyMember(existing.get(MEMBER.ID))
                    : refused(JoinOutcome.Reason.MEMBER_REVOKED);
        }
        String inviteId = invite.get(INVITE.ID);
        Integer claimed = tx.update(INVITE).set(INVITE.USED_COUNT, INVITE.USED_COUNT.plus(1))
                .where(INVITE.ID.eq(inviteId))
                .and(INVITE.USED_COUNT.lt(INVITE.MAX_USES))
                .and(INVITE.REVOKED_AT.isNull())
                .and(INVITE.EXPIRES_AT.gt(currentOffsetDateTime()))
                .returning(INVITE.USED_COUNT)
                .fetchOne(INVITE.USED_COUNT);
        if (claimed == null) {
            return refused(whyUnclaimable(tx, inviteId));
        }
        InvitePreset preset = InvitePreset.fromJsonb(invite.get(INVITE.PRESET));
        String memberId = Ids.newId();
        tx.insertInto(MEMBER, MEMBER.ID, MEMBER.MESH_ID, MEMBER.PEER_PUBKEY, MEMBER.DISPLAY_NAME, MEMBER.ROLE_TAG,
                        MEMBER.DEFAULT_GROUPS, MEMBER.PEER_GRANTS, MEMBER.MESSAGE_MODE, MEMBER.ROLE)
                .values(memberId, meshId, pubkey,
                        Rows.clean(preset.displayName() != null ? preset.displayName() : displayName),
                        Rows.clean(preset.roleTag()), Rows.groupsJson(preset.groups()), Rows.grantsJson(Map.of()),
                        preset.messageMode() != null ? preset.messageMode() : "push", invite.get(INVITE.ROLE))
                .execute();
        Map<String, Object> audit = new LinkedHashMap<>();
        audit.put("pubkey", pubkey);
        audit.put("via", "invite");
        audit.put("inviteId", inviteId);
        AuditOutbox.append(tx, meshId, "member_joined", memberId, audit, nowMs);
        return new JoinOutcome.Joined(memberId, inviteId);
    }

    /** After a failed claim: revoked or expired meanwhile, else out of uses. */
    private static JoinOutcome.Reason whyUnclaimable(DSLContext tx, String inviteId) {
        Field<Boolean> expired = field(INVITE.EXPIRES_AT.le(currentOffsetDateTime())).as("expired");
        Record r = tx.select(INVITE.REVOKED_AT, expired).from(INVITE).where(INVITE.ID.eq(inviteId)).fetchOne();
        if (r == null || r.get(INVITE.REVOKED_AT) != null) {
            return JoinOutcome.Reason.REVOKED;
        }
        return Boolean.TRUE.equals(r.get(expired)) ? JoinOutcome.Reason.EXPIRED : JoinOutcome.Reason.EXHAUSTED;
    }

    private static JoinOutcome refused(JoinOutcome.Reason reason) {
        return new JoinOutcome.Refused(reason);
    }
}
