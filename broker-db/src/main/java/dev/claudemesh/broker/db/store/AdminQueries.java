package dev.claudemesh.broker.db.store;

import dev.claudemesh.broker.core.model.MemberRole;
import dev.claudemesh.broker.db.Database;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.Table;

import javax.sql.DataSource;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

import static dev.claudemesh.broker.db.jooq.mesh.Tables.AUDIT_LOG;
import static dev.claudemesh.broker.db.jooq.mesh.Tables.AUDIT_OUTBOX;
import static dev.claudemesh.broker.db.jooq.mesh.Tables.INVITE;
import static dev.claudemesh.broker.db.jooq.mesh.Tables.MEMBER;
import static dev.claudemesh.broker.db.jooq.mesh.Tables.MESH_KEY;
import static dev.claudemesh.broker.db.jooq.mesh.Tables.MESH_TABLE;
import static dev.claudemesh.broker.db.jooq.mesh.Tables.MESSAGE_DELIVERY;
import static dev.claudemesh.broker.db.jooq.mesh.Tables.MESSAGE_QUEUE;
import static dev.claudemesh.broker.db.jooq.mesh.Tables.PRESENCE;
import static org.jooq.impl.DSL.count;
import static org.jooq.impl.DSL.noCondition;
import static org.jooq.impl.DSL.when;

/**
 * The operator's listings of meshes, members and invites, and the deletion of a mesh with everything of it. Used by
 * {@link MembershipAdmin} only.
 *
 * <p>Deleting: the tables of the mesh features (state, memory, tasks, topics, API keys, contexts, skills, streams,
 * vault, scheduled messages, peer state) go with the mesh row by their {@code ON DELETE CASCADE}; members, invites and
 * the owner keys (whose keys do not cascade, so that a mesh is never deleted by accident) and the tables of the
 * batched writer (presence, message_queue, message_delivery, audit_log, audit_outbox: no foreign keys on purpose,
 * V1) are deleted explicitly, all in one transaction. {@link #deleteWriterRows} sweeps the writer's tables once more after a
 * running broker has stopped writing for the mesh.</p>
 *
 * <p>Blocking JDBC; thread-safe; does not own the {@link DataSource}.</p>
 */
final class AdminQueries {

    private final DSLContext dsl;

    AdminQueries(DataSource dataSource) {
        this.dsl = Database.dsl(Objects.requireNonNull(dataSource, "dataSource"));
    }

    /** Every mesh with its member counts, oldest first. */
    List<AdminListing.MeshRow> meshes() {
        return meshRows(noCondition());
    }

    /** One mesh with its member counts. */
    Optional<AdminListing.MeshRow> mesh(String meshId) {
        return meshRows(MESH_TABLE.ID.eq(meshId)).stream().findFirst();
    }

    private List<AdminListing.MeshRow> meshRows(Condition where) {
        Field<Integer> members = count(MEMBER.ID).as("members");
        Field<Integer> active = count(when(MEMBER.REVOKED_AT.isNull(), MEMBER.ID)).as("active");
        return dsl.select(MESH_TABLE.ID, MESH_TABLE.NAME, MESH_TABLE.SLUG, MESH_TABLE.CREATED_AT, members, active)
                .from(MESH_TABLE).leftJoin(MEMBER).on(MEMBER.MESH_ID.eq(MESH_TABLE.ID))
                .where(where)
                .groupBy(MESH_TABLE.ID, MESH_TABLE.NAME, MESH_TABLE.SLUG, MESH_TABLE.CREATED_AT)
                .orderBy(MESH_TABLE.CREATED_AT, MESH_TABLE.ID)
                .fetch(r -> new AdminListing.MeshRow(r.get(MESH_TABLE.ID), r.get(MESH_TABLE.NAME),
                        r.get(MESH_TABLE.SLUG), Rows.millis(r.get(MESH_TABLE.CREATED_AT)), r.get(members),
                        r.get(active)));
    }

    /** The members of {@code meshId}, revoked ones included, oldest first. */
    List<AdminListing.MemberRow> members(String meshId) {
        return dsl.select(MEMBER.ID, MEMBER.PEER_PUBKEY, MEMBER.DISPLAY_NAME, MEMBER.ROLE_TAG, MEMBER.ROLE,
                        MEMBER.CREATED_AT, MEMBER.REVOKED_AT)
                .from(MEMBER).where(MEMBER.MESH_ID.eq(meshId)).orderBy(MEMBER.CREATED_AT, MEMBER.ID)
                .fetch(r -> new AdminListing.MemberRow(r.get(MEMBER.ID), r.get(MEMBER.PEER_PUBKEY),
                        r.get(MEMBER.DISPLAY_NAME), r.get(MEMBER.ROLE_TAG), roleOf(r.get(MEMBER.ROLE)),
                        Rows.millis(r.get(MEMBER.CREATED_AT)), millisOrNull(r.get(MEMBER.REVOKED_AT))));
    }

    /** The invites of {@code meshId}, newest first. */
    List<AdminListing.InviteRow> invites(String meshId) {
        return dsl.select(INVITE.ID, INVITE.ROLE, INVITE.MAX_USES, INVITE.USED_COUNT, INVITE.EXPIRES_AT,
                        INVITE.REVOKED_AT, INVITE.CREATED_AT, INVITE.TOKEN)
                .from(INVITE).where(INVITE.MESH_ID.eq(meshId)).orderBy(INVITE.CREATED_AT.desc(), INVITE.ID)
                .fetch(r -> new AdminListing.InviteRow(r.get(INVITE.ID), r.get(INVITE.ROLE), r.get(INVITE.MAX_USES),
                        r.get(INVITE.USED_COUNT), Rows.millis(r.get(INVITE.EXPIRES_AT)),
                        millisOrNull(r.get(INVITE.REVOKED_AT)), Rows.millis(r.get(INVITE.CREATED_AT)),
                        InvitePayload.LINK_PREFIX + r.get(INVITE.TOKEN)));
    }

    /**
     * Deletes the mesh and everything of it in one transaction (see the class comment).
     *
     * @return what was deleted; empty when there is no such mesh
     */
    Optional<AdminListing.DeletedMesh> deleteMesh(String meshId) {
        return dsl.transactionResult(cfg -> {
            DSLContext tx = cfg.dsl();
            // lock the mesh row first: a concurrent member add or invite waits, then fails on the missing mesh
            if (tx.selectFrom(MESH_TABLE).where(MESH_TABLE.ID.eq(meshId)).forUpdate().fetchOptional().isEmpty()) {
                return Optional.empty();
            }
            List<String> keys = tx.select(MEMBER.PEER_PUBKEY).from(MEMBER).where(MEMBER.MESH_ID.eq(meshId))
                    .fetch(MEMBER.PEER_PUBKEY);
            int invites = tx.deleteFrom(INVITE).where(INVITE.MESH_ID.eq(meshId)).execute();
            tx.deleteFrom(MESH_KEY).where(MESH_KEY.MESH_ID.eq(meshId)).execute();
            int messages = deleteWriterRows(tx, meshId, MESSAGE_QUEUE, MESSAGE_QUEUE.MESH_ID);
            deleteWriterRows(tx, meshId, MESSAGE_DELIVERY, MESSAGE_DELIVERY.MESH_ID);
            int audit = deleteWriterRows(tx, meshId, AUDIT_LOG, AUDIT_LOG.MESH_ID)
                    + deleteWriterRows(tx, meshId, AUDIT_OUTBOX, AUDIT_OUTBOX.MESH_ID);
            deleteWriterRows(tx, meshId, PRESENCE, PRESENCE.MESH_ID);
            // the mesh row cascades to every feature table (member rows' dependants go with them or with the mesh)
            int members = tx.deleteFrom(MEMBER).where(MEMBER.MESH_ID.eq(meshId)).execute();
            tx.deleteFrom(MESH_TABLE).where(MESH_TABLE.ID.eq(meshId)).execute();
            return Optional.of(new AdminListing.DeletedMesh(meshId, keys, members, invites, messages, audit));
        });
    }

    /**
     * Deletes the rows of {@code meshId} the batched writer committed after {@link #deleteMesh} (ops it had queued
     * before the broker stopped the mesh).
     *
     * @return rows deleted
     */
    int deleteWriterRows(String meshId) {
        return dsl.transactionResult(cfg -> {
            DSLContext tx = cfg.dsl();
            return deleteWriterRows(tx, meshId, MESSAGE_QUEUE, MESSAGE_QUEUE.MESH_ID)
                    + deleteWriterRows(tx, meshId, MESSAGE_DELIVERY, MESSAGE_DELIVERY.MESH_ID)
                    + deleteWriterRows(tx, meshId, AUDIT_LOG, AUDIT_LOG.MESH_ID)
                    + deleteWriterRows(tx, meshId, AUDIT_OUTBOX, AUDIT_OUTBOX.MESH_ID)
                    + deleteWriterRows(tx, meshId, PRESENCE, PRESENCE.MESH_ID);
        });
    }

    private static int deleteWriterRows(DSLContext tx, String meshId, Table<?> table, Field<String> meshIdField) {
        return tx.deleteFrom(table).where(meshIdField.eq(meshId)).execute();
    }

    private static MemberRole roleOf(String wire) {
        MemberRole r = MemberRole.of(wire);
        return r == null ? MemberRole.MEMBER : r;
    }

    private static Long millisOrNull(OffsetDateTime t) {
        return t == null ? null : Rows.millis(t);
    }
}
