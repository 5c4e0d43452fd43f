package dev.claudemesh.broker.db.store;

import dev.claudemesh.broker.core.stream.StreamStore;
import dev.claudemesh.broker.db.Database;
import org.jooq.DSLContext;
import org.jooq.Record;

import javax.sql.DataSource;
import java.util.List;
import java.util.Objects;

import static dev.claudemesh.broker.db.jooq.mesh.Tables.STREAM;

/**
 * {@link StreamStore} over table {@code stream} (names only; nothing published is stored). The quota is checked in the
 * transaction that inserts, under the mesh's stream lock ({@link QuotaLock}). Blocking JDBC; thread-safe; does not own
 * the {@link DataSource}.
 */
public final class PgStreamStore implements StreamStore {

    private final DSLContext dsl;

    public PgStreamStore(DataSource dataSource) {
        this.dsl = Database.dsl(Objects.requireNonNull(dataSource, "dataSource"));
    }

    @Override
    public Created create(String meshId, String newId, String rawName, String createdBy, long nowMs, int maxPerMesh) {
        String name = Rows.clean(rawName);
        return dsl.transactionResult(cfg -> {
            DSLContext tx = cfg.dsl();
            QuotaLock.take(tx, "mesh.stream", meshId);
            Record existing = tx.select(STREAM.ID, STREAM.NAME, STREAM.CREATED_BY_NAME, STREAM.CREATED_AT).from(STREAM)
                    .where(STREAM.MESH_ID.eq(meshId)).and(STREAM.NAME.eq(name))
                    .fetchOne();
            if (existing != null) {
                return new Created(stream(existing), false, false);
            }
            if (tx.fetchCount(STREAM, STREAM.MESH_ID.eq(meshId)) >= maxPerMesh) {
                return new Created(null, false, true);
            }
            tx.insertInto(STREAM)
                    .set(STREAM.ID, newId)
                    .set(STREAM.MESH_ID, meshId)
                    .set(STREAM.NAME, name)
                    .set(STREAM.CREATED_BY_NAME, Rows.clean(createdBy))
                    .set(STREAM.CREATED_AT, Rows.time(nowMs))
                    .execute();
            return new Created(new Stream(newId, name, createdBy, nowMs), true, false);
        });
    }

    @Override
    public List<Stream> list(String meshId, int limit) {
        return dsl.select(STREAM.ID, STREAM.NAME, STREAM.CREATED_BY_NAME, STREAM.CREATED_AT)
                .from(STREAM)
                .where(STREAM.MESH_ID.eq(meshId))
                .orderBy(STREAM.CREATED_AT, STREAM.ID)
                .limit(limit)
                .fetch(PgStreamStore::stream);
    }

    private static Stream stream(Record r) {
        return new Stream(r.get(STREAM.ID), r.get(STREAM.NAME), r.get(STREAM.CREATED_BY_NAME),
                Rows.millis(r.get(STREAM.CREATED_AT)));
    }
}
