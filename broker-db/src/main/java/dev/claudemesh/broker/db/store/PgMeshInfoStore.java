package dev.claudemesh.broker.db.store;

import dev.claudemesh.broker.core.meshinfo.MeshInfoStore;
import dev.claudemesh.broker.db.Database;
import org.jooq.DSLContext;
import org.jooq.Record;

import javax.sql.DataSource;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * {@code mesh_info}'s counts (PROTOCOL-MESH §10.1) over the other features' tables, as PROTOCOL-MESH names them:
 * {@code mesh.state (mesh_id, key)} §4.4, {@code mesh.memory (mesh_id, forgotten_at)} §5.4,
 * {@code mesh.file (mesh_id, deleted_at)} §15, {@code mesh.task (mesh_id, status)} §6.5 and
 * {@code mesh.stream (mesh_id, name, created_at)} §12. Those tables belong to other features' migrations, so the
 * queries are plain SQL (jOOQ generates only from this module's view of {@code sql/}) and a table that does not
 * exist (yet: a feature this broker has not got, or not merged) counts as empty — checked with {@code to_regclass}
 * on every call, in the same read-only transaction as the counts. Per-mesh SQL tables are a feature this broker does
 * not offer (§15): always empty.
 *
 * <p>Blocking JDBC; thread-safe; does not own the {@link DataSource}.</p>
 */
public final class PgMeshInfoStore implements MeshInfoStore {

    private final DSLContext dsl;
    private final String schema;

    public PgMeshInfoStore(DataSource dataSource) {
        this(dataSource, "mesh");
    }

    /** Over the feature tables of {@code schema} (tests: a schema of their own, unaffected by later migrations). */
    PgMeshInfoStore(DataSource dataSource, String schema) {
        this.dsl = Database.dsl(Objects.requireNonNull(dataSource, "dataSource"));
        if (!schema.matches("[a-z_][a-z0-9_]*")) {
            throw new IllegalArgumentException("schema: '" + schema + "' (expected: a plain lowercase identifier)");
        }
        this.schema = schema;
    }

    @Override
    public Counts counts(String meshId) {
        Objects.requireNonNull(meshId, "meshId");
        return dsl.transactionResult(cfg -> {
            DSLContext tx = cfg.dsl();
            String m = schema + ".";
            Record exists = tx.fetchOne("SELECT to_regclass('" + m + "state') IS NOT NULL, "
                    + "to_regclass('" + m + "memory') IS NOT NULL, to_regclass('" + m + "file') IS NOT NULL, "
                    + "to_regclass('" + m + "task') IS NOT NULL, to_regclass('" + m + "stream') IS NOT NULL");
            List<String> stateKeys = Boolean.TRUE.equals(exists.get(0, Boolean.class))
                    ? tx.fetch("SELECT key FROM " + m + "state WHERE mesh_id = ? ORDER BY key", meshId)
                            .getValues(0, String.class)
                    : List.of();
            long memories = Boolean.TRUE.equals(exists.get(1, Boolean.class))
                    ? count(tx, "SELECT count(*) FROM " + m + "memory WHERE mesh_id = ? AND forgotten_at IS NULL",
                            meshId)
                    : 0;
            long files = Boolean.TRUE.equals(exists.get(2, Boolean.class))
                    ? count(tx, "SELECT count(*) FROM " + m + "file WHERE mesh_id = ? AND deleted_at IS NULL", meshId)
                    : 0;
            Map<String, Long> tasks = new HashMap<>();
            if (Boolean.TRUE.equals(exists.get(3, Boolean.class))) {
                for (Record r : tx.fetch("SELECT status, count(*) FROM " + m + "task WHERE mesh_id = ? GROUP BY status",
                        meshId)) {
                    String status = r.get(0, String.class);
                    if (status != null) {
                        tasks.put(status, r.get(1, Long.class));
                    }
                }
            }
            List<String> streams = Boolean.TRUE.equals(exists.get(4, Boolean.class))
                    ? tx.fetch("SELECT name FROM " + m + "stream WHERE mesh_id = ? ORDER BY created_at, name", meshId)
                            .getValues(0, String.class)
                    : List.of();
            return new Counts(stateKeys, memories, files, tasks, streams, List.of());
        });
    }

    private static long count(DSLContext tx, String sql, String meshId) {
        Long n = tx.fetchOne(sql, meshId).get(0, Long.class);
        return n == null ? 0 : n;
    }
}
