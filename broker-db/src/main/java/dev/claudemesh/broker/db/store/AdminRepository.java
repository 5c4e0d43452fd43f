package dev.claudemesh.broker.db.store;

import dev.claudemesh.broker.core.Ids;
import dev.claudemesh.broker.core.audit.AuditChain;
import dev.claudemesh.broker.core.model.GroupRole;
import dev.claudemesh.broker.core.model.Member;
import dev.claudemesh.broker.core.model.MemberRole;
import dev.claudemesh.broker.core.model.Mesh;
import dev.claudemesh.broker.db.Database;
import dev.claudemesh.broker.db.jooq.mesh.tables.records.AuditLogRecord;
import org.jooq.Condition;
import org.jooq.Cursor;
import org.jooq.DSLContext;
import org.jooq.Record;
import org.jooq.SelectOnConditionStep;
import org.jooq.exception.DataAccessException;

import javax.sql.DataSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

import static dev.claudemesh.broker.db.jooq.mesh.Tables.AUDIT_LOG;
import static dev.claudemesh.broker.db.jooq.mesh.Tables.MEMBER;
import static dev.claudemesh.broker.db.jooq.mesh.Tables.MESH_TABLE;
import static dev.claudemesh.broker.db.jooq.mesh.Tables.PRESENCE;
import static org.jooq.impl.DSL.coalesce;
import static org.jooq.impl.DSL.position;
import static org.jooq.impl.DSL.val;

/**
 * Operator operations on meshes, members and the audit log, row by row. The operations an operator asks for (the
 * {@code /admin/*} routes, the jar's subcommands) go through {@link MembershipAdmin}, which uses this.
 *
 * <p>Blocking JDBC: call it from a non-event-loop executor or a CLI thread. Thread-safe (stateless apart from the
 * data source, which it does not own). Changing members here does not touch a running broker's
 * {@link PgMemberDirectory} cache: callers in the broker invalidate it.</p>
 */
public final class AdminRepository {

    private static final Pattern PUBKEY = Pattern.compile("[0-9a-fA-F]{64}");
    private static final String UNIQUE_VIOLATION = "23505";
    private static final String FOREIGN_KEY_VIOLATION = "23503";
    private static final int VERIFY_FETCH_SIZE = 1_000;

    private final DSLContext dsl;

    /** Creates the repository over {@code dataSource}. */
    public AdminRepository(DataSource dataSource) {
        this.dsl = Database.dsl(Objects.requireNonNull(dataSource, "dataSource"));
    }

    /**
     * Creates a mesh row with a fresh id, and nothing else: operators create meshes through
     * {@link MembershipAdmin#createMesh}, which also gives the mesh its owner keys in the same transaction.
     *
     * @throws DuplicateException       when {@code slug} is taken
     * @throws IllegalArgumentException when {@code name} or {@code slug} is blank
     */
    public Mesh createMesh(String name, String slug) {
        return insertMesh(dsl, name, slug);
    }

    /** {@link #createMesh} in the caller's transaction {@code tx} (or any context). */
    static Mesh insertMesh(DSLContext tx, String name, String slug) {
        requireText(name, "name");
        requireText(slug, "slug");
        String id = Ids.newId();
        try {
            tx.insertInto(MESH_TABLE, MESH_TABLE.ID, MESH_TABLE.NAME, MESH_TABLE.SLUG).values(id, name, slug).execute();
        } catch (DataAccessException e) {
            if (UNIQUE_VIOLATION.equals(Rows.sqlState(e))) {
                throw new DuplicateException("mesh slug already exists: " + slug, e);
            }
            throw e;
        }
        return new Mesh(id, name, slug);
    }

    /** The mesh with {@code meshId}, if any. */
    public Optional<Mesh> findMesh(String meshId) {
        Objects.requireNonNull(meshId, "meshId");
        return dsl.selectFrom(MESH_TABLE).where(MESH_TABLE.ID.eq(meshId)).fetchOptional()
                .map(r -> new Mesh(r.getId(), r.getName(), r.getSlug()));
    }

    /** The mesh with {@code slug}, if any. */
    public Optional<Mesh> findMeshBySlug(String slug) {
        Objects.requireNonNull(slug, "slug");
        return dsl.selectFrom(MESH_TABLE).where(MESH_TABLE.SLUG.eq(slug)).fetchOptional()
                .map(r -> new Mesh(r.getId(), r.getName(), r.getSlug()));
    }

    /** Ids of all meshes, oldest first. */
    public List<String> listMeshIds() {
        return dsl.select(MESH_TABLE.ID).from(MESH_TABLE).orderBy(MESH_TABLE.CREATED_AT, MESH_TABLE.ID).fetch(MESH_TABLE.ID);
    }

    /**
     * Adds a member with a fresh id and message mode {@code push}.
     *
     * @param pubkey        64 hex chars (stored in lowercase)
     * @param roleTag       nullable
     * @param defaultGroups nullable (none)
     * @param peerGrants    nullable (defaults for everyone)
     * @throws NotFoundException        when the mesh does not exist
     * @throws DuplicateException       when the mesh already has a member with this key (revoked or not)
     * @throws IllegalArgumentException when {@code pubkey} is not 64 hex chars or {@code displayName} is blank
     */
    public Member addMember(String meshId, String pubkey, String displayName, String roleTag,
                            List<GroupRole> defaultGroups, Map<String, List<String>> peerGrants) {
        return addMember(meshId, pubkey, displayName, roleTag, defaultGroups, peerGrants, MemberRole.MEMBER);
    }

    /** {@link #addMember(String, String, String, String, List, Map)} with the member's {@code role}. */
    public Member addMember(String meshId, String pubkey, String displayName, String roleTag,
                            List<GroupRole> defaultGroups, Map<String, List<String>> peerGrants, MemberRole role) {
        Objects.requireNonNull(meshId, "meshId");
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(pubkey, "pubkey");
        if (!PUBKEY.matcher(pubkey).matches()) {
            throw new IllegalArgumentException("pubkey: expected 64 hex chars");
        }
        requireText(displayName, "displayName");
        String key = pubkey.toLowerCase(Locale.ROOT);
        Mesh mesh = findMesh(meshId).orElseThrow(() -> new NotFoundException("mesh not found: " + meshId));
        String id = Ids.newId();
        try {
            dsl.insertInto(MEMBER, MEMBER.ID, MEMBER.MESH_ID, MEMBER.PEER_PUBKEY, MEMBER.DISPLAY_NAME,
                            MEMBER.ROLE_TAG, MEMBER.DEFAULT_GROUPS, MEMBER.PEER_GRANTS, MEMBER.ROLE)
                    .values(id, meshId, key, Rows.clean(displayName), Rows.clean(roleTag),
                            Rows.groupsJson(defaultGroups), Rows.grantsJson(peerGrants), role.wire())
                    .execute();
        } catch (DataAccessException e) {
            String state = Rows.sqlState(e);
            if (UNIQUE_VIOLATION.equals(state)) {
                throw new DuplicateException("mesh " + meshId + " already has a member with pubkey " + key, e);
            }
            if (FOREIGN_KEY_VIOLATION.equals(state)) {
                throw new NotFoundException("mesh not found: " + meshId);
            }
            throw e;
        }
        return new Member(id, meshId, mesh.name(), key, displayName, roleTag, defaultGroups, peerGrants, "push",
                false);
    }

    /** The member {@code memberId} of {@code meshId}, revoked or not. */
    public Optional<Member> findMember(String meshId, String memberId) {
        Objects.requireNonNull(meshId, "meshId");
        Objects.requireNonNull(memberId, "memberId");
        return selectMembers().where(MEMBER.MESH_ID.eq(meshId)).and(MEMBER.ID.eq(memberId)).fetchOptional()
                .map(Rows::member);
    }

    /** All members of {@code meshId}, revoked ones included, oldest first. */
    public List<Member> listMembers(String meshId) {
        Objects.requireNonNull(meshId, "meshId");
        return selectMembers().where(MEMBER.MESH_ID.eq(meshId)).orderBy(MEMBER.CREATED_AT, MEMBER.ID)
                .fetch(Rows::member);
    }

    /**
     * Re-hashes the mesh's audit chain from {@code genesis} in id order: each row must link to the previous row's
     * stored hash (to {@code genesis} for the first) and its stored hash must equal the hash recomputed from its
     * stored fields. Streams the rows; blocking.
     */
    public AuditVerification verifyAudit(String meshId) {
        Objects.requireNonNull(meshId, "meshId");
        return dsl.transactionResult(cfg -> {
            long events = 0;
            Long brokenAt = null;
            String expectedPrev = AuditChain.GENESIS;
            try (Cursor<AuditLogRecord> rows = cfg.dsl().selectFrom(AUDIT_LOG)
                    .where(AUDIT_LOG.MESH_ID.eq(meshId))
                    .orderBy(AUDIT_LOG.ID)
                    .fetchSize(VERIFY_FETCH_SIZE)
                    .fetchLazy()) {
                for (AuditLogRecord r : rows) {
                    events++;
                    if (brokenAt != null) {
                        continue;
                    }
                    String recomputed = AuditChain.hash(expectedPrev, r.getMeshId(), r.getEventType(),
                            r.getActorId(), r.getPayloadCanonical(), Rows.millis(r.getCreatedAt()));
                    if (!expectedPrev.equals(r.getPrevHash()) || !recomputed.equals(r.getHash())) {
                        brokenAt = r.getId();
                    }
                    expectedPrev = r.getHash();
                }
            }
            return new AuditVerification(brokenAt == null, events, brokenAt);
        });
    }

    /** The mesh's audit rows in chain order. */
    public List<AuditRow> auditRows(String meshId) {
        Objects.requireNonNull(meshId, "meshId");
        return fetchAudit(AUDIT_LOG.MESH_ID.eq(meshId));
    }

    /**
     * Audit rows of any mesh whose stored text (event type, actor, payload, hashes) contains {@code needle}. For
     * tests proving that no nonce or ciphertext reaches the audit log.
     */
    public List<AuditRow> auditRowsContaining(String needle) {
        requireText(needle, "needle");
        return fetchAudit(position(AUDIT_LOG.PAYLOAD_CANONICAL, val(needle)).gt(0)
                .or(position(AUDIT_LOG.EVENT_TYPE, val(needle)).gt(0))
                .or(position(coalesce(AUDIT_LOG.ACTOR_ID, ""), val(needle)).gt(0))
                .or(position(AUDIT_LOG.MESH_ID, val(needle)).gt(0)));
    }

    /**
     * Sets {@code disconnected_at} on every presence row still open, e.g. at boot after a crash left rows of
     * leases that no longer exist.
     *
     * @return the number of rows closed
     */
    public int closeOpenPresences(long nowMs) {
        return dsl.update(PRESENCE).set(PRESENCE.DISCONNECTED_AT, Rows.time(nowMs))
                .where(PRESENCE.DISCONNECTED_AT.isNull())
                .execute();
    }

    private List<AuditRow> fetchAudit(Condition where) {
        List<AuditRow> out = new ArrayList<>();
        for (AuditLogRecord r : dsl.selectFrom(AUDIT_LOG).where(where).orderBy(AUDIT_LOG.ID).fetch()) {
            out.add(new AuditRow(r.getId(), r.getMeshId(), r.getEventType(), r.getActorId(), r.getPayloadCanonical(),
                    Rows.millis(r.getCreatedAt()), r.getPrevHash(), r.getHash()));
        }
        return out;
    }

    private SelectOnConditionStep<Record> selectMembers() {
        return selectMembers(dsl);
    }

    private static SelectOnConditionStep<Record> selectMembers(DSLContext ctx) {
        return ctx.select(Rows.MEMBER_FIELDS)
                .from(MEMBER)
                .join(MESH_TABLE).on(MESH_TABLE.ID.eq(MEMBER.MESH_ID));
    }

    private static void requireText(String s, String name) {
        Objects.requireNonNull(s, name);
        if (s.isBlank()) {
            throw new IllegalArgumentException(name + ": blank (expected: non-blank text)");
        }
    }
}
