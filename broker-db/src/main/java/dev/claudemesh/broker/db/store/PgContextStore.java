package dev.claudemesh.broker.db.store;

import dev.claudemesh.broker.core.context.ContextStore;
import dev.claudemesh.broker.db.Database;
import dev.claudemesh.broker.db.jooq.mesh.tables.records.ContextRecord;
import org.jooq.Condition;
import org.jooq.DSLContext;

import javax.sql.DataSource;
import java.util.List;
import java.util.Objects;

import static dev.claudemesh.broker.db.jooq.mesh.Tables.CONTEXT;
import static org.jooq.impl.DSL.condition;
import static org.jooq.impl.DSL.noCondition;
import static org.jooq.impl.DSL.val;

/**
 * {@link ContextStore} over table {@code context}. Blocking JDBC; thread-safe; does not own the {@link DataSource}.
 */
public final class PgContextStore implements ContextStore {

    private final DSLContext dsl;

    public PgContextStore(DataSource dataSource) {
        this.dsl = Database.dsl(Objects.requireNonNull(dataSource, "dataSource"));
    }

    @Override
    public String share(String meshId, String newId, Share share, long nowMs, int maxPerMesh, long sinceMs) {
        return dsl.transactionResult(cfg -> {
            DSLContext tx = cfg.dsl();
            QuotaLock.take(tx, "mesh.context", meshId);
            if (sinceMs > 0) {
                tx.deleteFrom(CONTEXT).where(CONTEXT.MESH_ID.eq(meshId))
                        .and(CONTEXT.UPDATED_AT.lt(Rows.time(sinceMs))).execute();
            }
            String id = tx.select(CONTEXT.ID).from(CONTEXT)
                    .where(CONTEXT.MESH_ID.eq(meshId)).and(CONTEXT.MEMBER_ID.eq(share.memberId()))
                    .fetchOne(CONTEXT.ID);
            if (id == null) {
                if (tx.fetchCount(CONTEXT, CONTEXT.MESH_ID.eq(meshId)) >= maxPerMesh) {
                    return null;
                }
                id = newId;
                tx.insertInto(CONTEXT)
                        .set(CONTEXT.ID, id)
                        .set(CONTEXT.MESH_ID, meshId)
                        .set(CONTEXT.MEMBER_ID, share.memberId())
                        .set(values(tx.newRecord(CONTEXT), share, nowMs))
                        .execute();
            } else {
                tx.update(CONTEXT).set(values(tx.newRecord(CONTEXT), share, nowMs)).where(CONTEXT.ID.eq(id)).execute();
            }
            return id;
        });
    }

    /** The columns a share sets, on insert and on update. */
    private static ContextRecord values(ContextRecord r, Share share, long nowMs) {
        r.setPresenceId(share.presenceId());
        r.setPeerName(Rows.clean(share.peerName()));
        r.setSummary(Rows.clean(share.summary()));
        r.setFilesRead(array(share.filesRead()));
        r.setKeyFindings(array(share.keyFindings()));
        r.setTags(array(share.tags()));
        r.setUpdatedAt(Rows.time(nowMs));
        return r;
    }

    @Override
    public List<Context> find(String meshId, String rawQuery, int limit, long sinceMs) {
        String query = Rows.clean(rawQuery);
        Condition matches = CONTEXT.SUMMARY.likeIgnoreCase(val("%").concat(val(query)).concat(val("%")))
                .or(condition("{0} = any({1})", val(query), CONTEXT.TAGS));
        return select(meshId, matches, limit, sinceMs);
    }

    @Override
    public List<Context> list(String meshId, int limit, long sinceMs) {
        return select(meshId, noCondition(), limit, sinceMs);
    }

    private List<Context> select(String meshId, Condition condition, int limit, long sinceMs) {
        return dsl.select(CONTEXT.PEER_NAME, CONTEXT.SUMMARY, CONTEXT.FILES_READ, CONTEXT.KEY_FINDINGS, CONTEXT.TAGS,
                        CONTEXT.UPDATED_AT)
                .from(CONTEXT)
                .where(CONTEXT.MESH_ID.eq(meshId))
                .and(CONTEXT.UPDATED_AT.ge(Rows.time(sinceMs)))
                .and(condition)
                .orderBy(CONTEXT.UPDATED_AT.desc(), CONTEXT.ID.desc())
                .limit(limit)
                .fetch(r -> new Context(r.get(CONTEXT.PEER_NAME), r.get(CONTEXT.SUMMARY),
                        List.of(r.get(CONTEXT.FILES_READ)), List.of(r.get(CONTEXT.KEY_FINDINGS)),
                        List.of(r.get(CONTEXT.TAGS)), Rows.millis(r.get(CONTEXT.UPDATED_AT))));
    }

    private static String[] array(List<String> values) {
        String[] out = new String[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = Rows.clean(values.get(i));
        }
        return out;
    }
}
