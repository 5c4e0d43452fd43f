package dev.claudemesh.broker.db.workspace;

import dev.claudemesh.broker.core.Ids;
import dev.claudemesh.broker.core.state.StateEntry;
import dev.claudemesh.broker.core.state.StateStore;
import dev.claudemesh.broker.db.Database;
import org.jooq.DSLContext;
import org.jooq.JSONB;
import org.jooq.Record4;

import javax.sql.DataSource;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Objects;

import static dev.claudemesh.broker.db.jooq.mesh.Tables.STATE;

/**
 * {@link StateStore} over {@code mesh.state} (PROTOCOL-MESH §4.4). An upsert runs in one transaction under the mesh's
 * state lock: a new key is inserted only while the mesh holds fewer than the cap, so concurrent writers (other
 * brokers included) cannot pass it. Values are {@code jsonb}; they come back as PostgreSQL writes them. Keys are
 * listed in code-point order ({@code COLLATE "C"}), whatever the database's collation. Blocking; thread-safe.
 */
public final class PgStateStore implements StateStore {

    private final DSLContext dsl;

    public PgStateStore(DataSource dataSource) {
        this.dsl = Database.dsl(Objects.requireNonNull(dataSource, "dataSource"));
    }

    @Override
    public Upsert upsert(String meshId, String key, String valueJson, String presenceId, String memberName,
                         long nowMs, int maxEntries) {
        JSONB value = JSONB.valueOf(valueJson);
        OffsetDateTime at = Sql.time(nowMs);
        return dsl.transactionResult(cfg -> {
            DSLContext tx = cfg.dsl();
            Sql.lockMesh(tx, Sql.STATE_LOCK, meshId);
            boolean exists = tx.fetchExists(STATE, STATE.MESH_ID.eq(meshId).and(STATE.KEY.eq(key)));
            if (!exists && tx.fetchCount(STATE, STATE.MESH_ID.eq(meshId)) >= maxEntries) {
                return Upsert.FULL;
            }
            tx.insertInto(STATE)
                    .set(STATE.ID, Ids.newId(nowMs)).set(STATE.MESH_ID, meshId).set(STATE.KEY, key)
                    .set(STATE.VALUE, value).set(STATE.UPDATED_BY_PRESENCE, presenceId)
                    .set(STATE.UPDATED_BY_NAME, memberName).set(STATE.UPDATED_AT, at)
                    .onConflict(STATE.MESH_ID, STATE.KEY).doUpdate()
                    .set(STATE.VALUE, value).set(STATE.UPDATED_BY_PRESENCE, presenceId)
                    .set(STATE.UPDATED_BY_NAME, memberName).set(STATE.UPDATED_AT, at)
                    .execute();
            return Upsert.STORED;
        });
    }

    @Override
    public StateEntry get(String meshId, String key) {
        Record4<String, JSONB, String, OffsetDateTime> r = dsl
                .select(STATE.KEY, STATE.VALUE, STATE.UPDATED_BY_NAME, STATE.UPDATED_AT)
                .from(STATE).where(STATE.MESH_ID.eq(meshId).and(STATE.KEY.eq(key))).fetchOne();
        return r == null ? null : entry(r);
    }

    @Override
    public List<StateEntry> list(String meshId, int limit) {
        return dsl.select(STATE.KEY, STATE.VALUE, STATE.UPDATED_BY_NAME, STATE.UPDATED_AT)
                .from(STATE).where(STATE.MESH_ID.eq(meshId))
                .orderBy(STATE.KEY.collate("C"))
                .limit(limit)
                .fetch(PgStateStore::entry);
    }

    private static StateEntry entry(Record4<String, JSONB, String, OffsetDateTime> r) {
        return new StateEntry(r.value1(), r.value2().data(), r.value3(), Sql.millis(r.value4()));
    }
}
