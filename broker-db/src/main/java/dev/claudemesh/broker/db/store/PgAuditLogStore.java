package dev.claudemesh.broker.db.store;

import dev.claudemesh.broker.core.auditlog.AuditLogStore;
import dev.claudemesh.broker.db.Database;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Record;

import javax.sql.DataSource;
import java.util.List;
import java.util.Objects;

import static dev.claudemesh.broker.db.jooq.mesh.Tables.AUDIT_LOG;
import static dev.claudemesh.broker.db.jooq.mesh.Tables.MEMBER;

/**
 * {@code audit_query} and {@code audit_verify} over {@code audit_log} (PROTOCOL-MESH §14). A page is read newest first
 * through the primary key {@code audit_log_pk (mesh_id, id)} (V12, the table's only index); an {@code eventType}
 * filter reads the same index (there is no index per event type: every DM appends an audit row, and each index costs
 * every one of them). {@code actor} is the actor member's current display name, else the stored actor id, else
 * {@code "system"} (the table stores no names).
 * Verification re-walks the whole chain ({@link AdminRepository#verifyAudit}).
 *
 * <p>Blocking JDBC; thread-safe; does not own the {@link DataSource}.</p>
 */
public final class PgAuditLogStore implements AuditLogStore {

    private final DSLContext dsl;
    private final AdminRepository repository;

    public PgAuditLogStore(DataSource dataSource) {
        Objects.requireNonNull(dataSource, "dataSource");
        this.dsl = Database.dsl(dataSource);
        this.repository = new AdminRepository(dataSource);
    }

    @Override
    public Page query(String meshId, int limit, long offset, String eventType) {
        Objects.requireNonNull(meshId, "meshId");
        if (limit < 0 || offset < 0) {
            throw new IllegalArgumentException("limit: " + limit + ", offset: " + offset + " (expected: >= 0)");
        }
        Condition where = AUDIT_LOG.MESH_ID.eq(meshId);
        if (eventType != null) {
            where = where.and(AUDIT_LOG.EVENT_TYPE.eq(eventType));
        }
        Condition filter = where;
        return dsl.transactionResult(cfg -> {
            DSLContext tx = cfg.dsl();
            List<Entry> entries = tx.select(AUDIT_LOG.ID, AUDIT_LOG.EVENT_TYPE, AUDIT_LOG.ACTOR_ID, MEMBER.DISPLAY_NAME,
                            AUDIT_LOG.PAYLOAD_CANONICAL, AUDIT_LOG.HASH, AUDIT_LOG.CREATED_AT)
                    .from(AUDIT_LOG)
                    .leftJoin(MEMBER).on(MEMBER.ID.eq(AUDIT_LOG.ACTOR_ID)).and(MEMBER.MESH_ID.eq(AUDIT_LOG.MESH_ID))
                    .where(filter)
                    .orderBy(AUDIT_LOG.ID.desc())
                    .limit(limit).offset(offset)
                    .fetch(PgAuditLogStore::entry);
            long total = tx.fetchCount(AUDIT_LOG, filter);
            return new Page(entries, total);
        });
    }

    @Override
    public Verification verify(String meshId) {
        AuditVerification v = repository.verifyAudit(meshId);
        return new Verification(v.ok(), v.events(), v.brokenAt());
    }

    private static Entry entry(Record r) {
        String name = r.get(MEMBER.DISPLAY_NAME);
        String actorId = r.get(AUDIT_LOG.ACTOR_ID);
        return new Entry(r.get(AUDIT_LOG.ID), r.get(AUDIT_LOG.EVENT_TYPE),
                name != null ? name : actorId != null ? actorId : "system", r.get(AUDIT_LOG.PAYLOAD_CANONICAL),
                r.get(AUDIT_LOG.HASH), Rows.millis(r.get(AUDIT_LOG.CREATED_AT)));
    }
}
