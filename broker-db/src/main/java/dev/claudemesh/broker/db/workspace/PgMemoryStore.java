package dev.claudemesh.broker.db.workspace;

import dev.claudemesh.broker.core.memory.Memory;
import dev.claudemesh.broker.core.memory.MemoryStore;
import dev.claudemesh.broker.db.Database;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.impl.DSL;

import javax.sql.DataSource;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

import static dev.claudemesh.broker.db.jooq.mesh.Tables.MEMORY;

/**
 * {@link MemoryStore} over {@code mesh.memory} (PROTOCOL-MESH §5.4). Recall is PostgreSQL full-text search: the
 * generated column {@code search_vector = to_tsvector('english', content)} (GIN-indexed; not known to jOOQ's
 * generated classes, which H2 builds, so it is named in plain SQL here) must match
 * {@code plainto_tsquery('english', query)}, ranked by {@code ts_rank}. A remember runs in one transaction under the
 * mesh's memory lock: rows forgotten longer ago than the retention are deleted, and at the cap the oldest forgotten
 * rows make room, or nothing is written. Blocking; thread-safe.
 */
public final class PgMemoryStore implements MemoryStore {

    private static final String QUERY = "plainto_tsquery('english'::regconfig, {0})";

    private final DSLContext dsl;

    public PgMemoryStore(DataSource dataSource) {
        this.dsl = Database.dsl(Objects.requireNonNull(dataSource, "dataSource"));
    }

    @Override
    public Remember remember(String meshId, String id, String content, List<String> tags, String memberId,
                             String memberName, long nowMs, int maxRows, long forgottenBeforeMs) {
        return dsl.transactionResult(cfg -> {
            DSLContext tx = cfg.dsl();
            Sql.lockMesh(tx, Sql.MEMORY_LOCK, meshId);
            Condition ofMesh = MEMORY.MESH_ID.eq(meshId);
            tx.deleteFrom(MEMORY).where(ofMesh.and(MEMORY.FORGOTTEN_AT.lt(Sql.time(forgottenBeforeMs)))).execute();
            int total = tx.fetchCount(MEMORY, ofMesh);
            if (total >= maxRows) {
                int needed = total - maxRows + 1;
                Condition forgotten = ofMesh.and(MEMORY.FORGOTTEN_AT.isNotNull());
                if (tx.fetchCount(MEMORY, forgotten) < needed) {
                    return Remember.FULL;
                }
                tx.deleteFrom(MEMORY).where(MEMORY.ID.in(DSL.select(MEMORY.ID).from(MEMORY).where(forgotten)
                        .orderBy(MEMORY.FORGOTTEN_AT, MEMORY.ID).limit(needed))).execute();
            }
            tx.insertInto(MEMORY)
                    .set(MEMORY.ID, id).set(MEMORY.MESH_ID, meshId).set(MEMORY.CONTENT, content)
                    .set(MEMORY.TAGS, tags.toArray(String[]::new)).set(MEMORY.REMEMBERED_BY, memberId)
                    .set(MEMORY.REMEMBERED_BY_NAME, memberName).set(MEMORY.REMEMBERED_AT, Sql.time(nowMs))
                    .execute();
            return Remember.STORED;
        });
    }

    @Override
    public List<Memory> recall(String meshId, String query, int limit) {
        Field<String> q = DSL.val(query);
        Field<Float> rank = DSL.field("ts_rank(search_vector, " + QUERY + ")", Float.class, q);
        return dsl.select(MEMORY.ID, MEMORY.CONTENT, MEMORY.TAGS, MEMORY.REMEMBERED_BY_NAME, MEMORY.REMEMBERED_AT)
                .from(MEMORY)
                .where(MEMORY.MESH_ID.eq(meshId), MEMORY.FORGOTTEN_AT.isNull(),
                        DSL.condition("search_vector @@ " + QUERY, q))
                .orderBy(rank.desc(), MEMORY.REMEMBERED_AT.desc(), MEMORY.ID)
                .limit(limit)
                .fetch(r -> new Memory(r.value1(), r.value2(), Arrays.asList(r.value3()), r.value4(),
                        Sql.millis(r.value5())));
    }

    @Override
    public boolean forget(String meshId, String memoryId, long nowMs) {
        return dsl.update(MEMORY).set(MEMORY.FORGOTTEN_AT, Sql.time(nowMs))
                .where(MEMORY.ID.eq(memoryId), MEMORY.MESH_ID.eq(meshId), MEMORY.FORGOTTEN_AT.isNull())
                .execute() == 1;
    }
}
