package dev.claudemesh.broker.db;

import dev.claudemesh.broker.db.testing.TestDatabase;
import dev.claudemesh.broker.db.testing.TestDatabases;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class MigratorIT {

    private static TestDatabase db;

    @BeforeAll
    static void createDatabase() {
        db = TestDatabases.newDatabase(); // already migrated once
    }

    @AfterAll
    static void dropDatabase() {
        db.close();
    }

    @Test
    void shouldRecordEveryPackagedMigrationOnce() {
        Migrator migrator = new Migrator(db.dataSource());

        assertThat(migrator.appliedVersions())
                .containsExactlyElementsOf(migrator.available().stream().map(Migrator.Migration::version).toList());
    }

    @Test
    void shouldApplyNothingOnSecondRun() {
        assertThat(new Migrator(db.dataSource()).migrate()).isEmpty();
    }

    @Test
    void shouldCreateTheSchemaTables() throws Exception {
        List<String> tables = new ArrayList<>();
        try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT table_name FROM information_schema.tables "
                     + "WHERE table_schema = 'mesh' ORDER BY table_name")) {
            while (rs.next()) {
                tables.add(rs.getString(1));
            }
        }
        assertThat(tables).containsExactly("audit_log", "audit_outbox", "invite", "member", "mesh", "mesh_key",
                "message_queue", "presence", "schema_version");
    }

    @Test
    void shouldCreateThePartialUndeliveredIndex() throws Exception {
        try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT indexdef FROM pg_indexes WHERE schemaname = 'mesh' "
                     + "AND indexname = 'message_queue_undelivered_idx'")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString(1)).contains("(mesh_id, target_key, created_at)")
                    .contains("WHERE (delivered_at IS NULL)");
        }
    }

    @Test
    void shouldMigrateAFreshDatabaseOnceUnderConcurrentStarts() throws Exception {
        try (TestDatabase fresh = TestDatabases.newDatabase()) {
            // Undo the migration newDatabase() ran, so that the racers find an empty database.
            try (Connection c = fresh.dataSource().getConnection(); Statement st = c.createStatement()) {
                st.execute("DROP SCHEMA mesh CASCADE");
            }
            ExecutorService pool = Executors.newFixedThreadPool(3);
            try {
                List<Future<List<Migrator.Migration>>> runs = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    Callable<List<Migrator.Migration>> run = () -> new Migrator(fresh.dataSource()).migrate();
                    runs.add(pool.submit(run));
                }
                int applied = 0;
                for (Future<List<Migrator.Migration>> f : runs) {
                    applied += f.get(60, TimeUnit.SECONDS).size();
                }
                int available = new Migrator(fresh.dataSource()).available().size();
                assertThat(applied).isEqualTo(available);
                assertThat(new Migrator(fresh.dataSource()).appliedVersions()).hasSize(available);
            } finally {
                pool.shutdownNow();
            }
        }
    }
}
