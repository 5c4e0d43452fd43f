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
 * {@code mesh.stream (mesh_id, name, created_at)} §12, in one transaction. The queries are plain SQL over a schema
 * name (tests count over a schema of their own). State, memory, tasks and streams are this broker's (sql/V5, V9): a
 * read of them that fails is a failure (the service answers {@code internal_error}), not an empty mesh. Files are a
 * feature this broker does not offer (§15): counted only where a {@code file} table exists ({@code to_regclass}),
 * else 0. Per-mesh SQL tables (§15): always empty.
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
            // state, memory, task and stream come with this broker's migrations: a failing read of one of them is a
            // failure (internal_error), never an empty mesh; file is a feature this broker does not have (§15)
            List<String> stateKeys = tx.fetch("SELECT key FROM " + m + "state WHERE mesh_id = ? ORDER BY key", meshId)
                    .getValues(0, String.class);
            long memories = count(tx, "SELECT count(*) FROM " + m + "memory WHERE mesh_id = ? AND forgotten_at IS NULL",
                    meshId);
            boolean hasFiles = Boolean.TRUE.equals(tx.fetchOne("SELECT to_regclass('" + m + "file') IS NOT NULL")
                    .get(0, Boolean.class));
            long files = hasFiles
                    ? count(tx, "SELECT count(*) FROM " + m + "file WHERE mesh_id = ? AND deleted_at IS NULL", meshId)
                    : 0;
            Map<String, Long> tasks = new HashMap<>();
            for (Record r : tx.fetch("SELECT status, count(*) FROM " + m + "task WHERE mesh_id = ? GROUP BY status",
                    meshId)) {
                String status = r.get(0, String.class);
                if (status != null) {
                    tasks.put(status, r.get(1, Long.class));
                }
            }
            List<String> streams = tx.fetch("SELECT name FROM " + m + "stream WHERE mesh_id = ? ORDER BY created_at, "
                    + "name", meshId).getValues(0, String.class);
            return new Counts(stateKeys, memories, files, tasks, streams, List.of());
        });
    }

    private static long count(DSLContext tx, String sql, String meshId) {
        Long n = tx.fetchOne(sql, meshId).get(0, Long.class);
        return n == null ? 0 : n;
    }
}
