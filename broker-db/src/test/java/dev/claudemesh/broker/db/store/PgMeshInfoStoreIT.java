package dev.claudemesh.broker.db.store;

import dev.claudemesh.broker.core.Ids;
import dev.claudemesh.broker.core.meshinfo.MeshInfoStore;
import dev.claudemesh.broker.db.testing.TestDatabase;
import dev.claudemesh.broker.db.testing.TestDatabases;
import org.jooq.exception.DataAccessException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code mesh_info}'s counts over the other features' tables as PROTOCOL-MESH names them (§4.4 state, §5.4 memory,
 * §6.5 task, §12 stream, §15 file), made with just the columns the counts read in a schema of its own (a file table
 * too, which this broker's migrations do not have); a feature table that cannot be read is a failure.
 */
class PgMeshInfoStoreIT {

    private static final String SCHEMA = "meshinfo_it";

    private static TestDatabase db;

    @BeforeAll
    static void createDatabase() {
        db = TestDatabases.newDatabase();
    }

    @AfterAll
    static void dropDatabase() {
        db.close();
    }

    private static void execute(String... sql) throws Exception {
        try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement()) {
            for (String s : sql) {
                st.execute(s);
            }
        }
    }

    @Test
    void shouldFailWhenAFeaturesTableCannotBeReadAndCountNoFilesWithoutAFileTable() throws Exception {
        // a table this broker's migrations made cannot be read: a failure (internal_error), not an empty mesh
        execute("CREATE SCHEMA IF NOT EXISTS empty_it");
        assertThatThrownBy(() -> new PgMeshInfoStore(db.dataSource(), "empty_it").counts(Ids.newId()))
                .isInstanceOf(DataAccessException.class);
        // the real schema: no file table (files are not offered), no per-mesh SQL tables
        MeshInfoStore.Counts c = new PgMeshInfoStore(db.dataSource()).counts(Ids.newId());
        assertThat(c.fileCount()).isZero();
        assertThat(c.tables()).isEmpty();
        assertThat(c.stateKeys()).isEmpty();
    }

    @Test
    void shouldCountEachFeatureOfTheMeshOnly() throws Exception {
        String mesh = Ids.newId();
        String other = Ids.newId();
        String s = SCHEMA + ".";
        execute("CREATE SCHEMA " + SCHEMA,
                "CREATE TABLE " + s + "state (mesh_id varchar, key varchar)",
                "CREATE TABLE " + s + "memory (mesh_id varchar, forgotten_at timestamptz)",
                "CREATE TABLE " + s + "file (mesh_id varchar, deleted_at timestamptz)",
                "CREATE TABLE " + s + "task (mesh_id varchar, status varchar)",
                "CREATE TABLE " + s + "stream (mesh_id varchar, name varchar, created_at timestamptz)",
                "INSERT INTO " + s + "state VALUES ('" + mesh + "', 'release'), ('" + mesh + "', 'a'), ('" + other
                        + "', 'z')",
                "INSERT INTO " + s + "memory VALUES ('" + mesh + "', null), ('" + mesh + "', null), ('" + mesh
                        + "', now()), ('" + other + "', null)",
                "INSERT INTO " + s + "file VALUES ('" + mesh + "', null), ('" + mesh + "', now())",
                "INSERT INTO " + s + "task VALUES ('" + mesh + "', 'open'), ('" + mesh + "', 'open'), ('" + mesh
                        + "', 'done'), ('" + mesh + "', 'wontfix'), ('" + other + "', 'claimed')",
                "INSERT INTO " + s + "stream VALUES ('" + mesh + "', 'logs', now()), ('" + mesh + "', 'builds', "
                        + "now() - interval '1 hour'), ('" + other + "', 'x', now())");

        MeshInfoStore.Counts c = new PgMeshInfoStore(db.dataSource(), SCHEMA).counts(mesh);

        assertThat(c).isEqualTo(new MeshInfoStore.Counts(List.of("a", "release"), 2, 1,
                Map.of("open", 2L, "done", 1L, "wontfix", 1L), List.of("builds", "logs"), List.of()));
    }
}
