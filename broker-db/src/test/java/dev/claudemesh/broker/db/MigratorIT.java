package dev.claudemesh.broker.db;

import dev.claudemesh.broker.db.store.AdminRepository;
import dev.claudemesh.broker.db.testing.LegacyMigrator;
import dev.claudemesh.broker.db.testing.TestDatabase;
import dev.claudemesh.broker.db.testing.TestDatabases;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import javax.sql.DataSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** Flyway as the broker runs it: fresh, again, concurrently, and over a database of the earlier migrator. */
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

    /** The versions of the scripts in the repository's {@code sql/}, in order: what the jar must package. */
    private static List<String> scriptsInSqlDirectory() throws Exception {
        try (Stream<Path> files = Files.list(Path.of("..", "sql"))) {
            return files.map(f -> f.getFileName().toString()).filter(n -> n.matches("V\\d+__.+\\.sql"))
                    .map(n -> n.substring(1, n.indexOf("__"))).sorted(Comparator.comparingInt(Integer::parseInt))
                    .toList();
        }
    }

    /** The packaged versions above the earlier migrator's last one (V3). */
    private static List<String> laterThanV3() {
        return new Migrator(db.dataSource()).available().stream().filter(v -> Integer.parseInt(v) > 3).toList();
    }

    @Test
    void shouldRecordEveryPackagedMigrationOnce() throws Exception {
        Migrator migrator = new Migrator(db.dataSource());

        assertThat(migrator.available()).startsWith("1", "2", "3", "4").isEqualTo(scriptsInSqlDirectory());
        assertThat(migrator.appliedVersions()).containsExactlyElementsOf(migrator.available());
    }

    @Test
    void shouldApplyNothingOnSecondRun() {
        assertThat(new Migrator(db.dataSource()).migrate()).isEmpty();
    }

    @Test
    void shouldCreateTheSchemaTables() throws Exception {
        assertThat(tables(db.dataSource())).containsExactly("api_key", "audit_log", "audit_outbox", "context",
                "flyway_schema_history", "invite", "member", "memory", "mesh", "mesh_key", "message_delivery",
                "message_queue", "message_queue_status", "notification", "peer_state", "presence", "scheduled_message",
                "skill", "state", "stream", "task", "topic", "topic_member", "topic_member_key", "topic_message",
                "vault_entry");
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
        try (TestDatabase fresh = emptyDatabase()) {
            // unpooled: each racer has its own connections, like separate brokers
            List<List<Migrator.Applied>> results = race(3,
                    () -> new Migrator(DataSourceFactory.unpooled(fresh.target())).migrate());

            List<String> available = new Migrator(fresh.dataSource()).available();
            assertThat(results.stream().mapToInt(List::size).sum()).as("each script applied once, by one racer")
                    .isEqualTo(available.size());
            assertThat(new Migrator(fresh.dataSource()).appliedVersions()).containsExactlyElementsOf(available);
            assertThat(tables(fresh.dataSource())).contains("mesh", "message_queue");
        }
    }

    @Test
    void shouldAdoptTheHistoryOfTheEarlierMigratorWithoutRunningItsScriptsAgain() throws Exception {
        try (TestDatabase old = emptyDatabase()) {
            LegacyMigrator.apply(old.dataSource());
            String meshId = new AdminRepository(old.dataSource()).createMesh("Old", "old").id();

            // two brokers of the new version boot together on it; V999 stands for a script added after these
            List<List<Migrator.Applied>> results = race(2, () -> new Migrator(DataSourceFactory.unpooled(old.target()),
                    Migrator.class.getClassLoader(), Migrator.LOCATION, "db/test-migration").migrate());

            List<String> later = new ArrayList<>(laterThanV3());
            later.add("999");
            assertThat(results.stream().flatMap(List::stream).map(Migrator.Applied::version))
                    .as("V1..V3 not run again (they would fail: CREATE TABLE), each later one once; Flyway locks per "
                            + "script, so the two racers may share the scripts between them in any split")
                    .containsExactlyInAnyOrderElementsOf(later);
            Migrator migrator = new Migrator(old.dataSource(), Migrator.class.getClassLoader(), Migrator.LOCATION,
                    "db/test-migration");
            List<String> history = new ArrayList<>(List.of("3")); // the baseline, then the later scripts
            history.addAll(later);
            assertThat(migrator.appliedVersions()).containsExactlyElementsOf(history);
            assertThat(new AdminRepository(old.dataSource()).findMesh(meshId)).isPresent();
            try (Connection c = old.dataSource().getConnection(); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT type, description FROM mesh.flyway_schema_history "
                         + "WHERE version = '3'")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).isEqualTo("BASELINE");
                assertThat(rs.getString(2)).isEqualTo("adopted from mesh.schema_version (V1..V3)");
            }
            assertThat(tables(old.dataSource())).contains("schema_version"); // kept as a record
            assertThat(migrator.migrate()).isEmpty();
        }
    }

    @Test
    void shouldRefuseAChangedScriptThatWasAlreadyApplied() throws Exception {
        try (TestDatabase changed = TestDatabases.newDatabase()) {
            try (Connection c = changed.dataSource().getConnection(); Statement st = c.createStatement()) {
                st.execute("UPDATE mesh.flyway_schema_history SET checksum = checksum + 1 WHERE version = '2'");
            }

            assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> new Migrator(changed.dataSource())
                    .migrate())).isInstanceOf(IllegalStateException.class).hasMessageContaining("migration failed")
                    .hasMessageContaining("checksum");
        }
    }

    /** A new database with nothing in it (newDatabase() migrates: undo that). */
    private static TestDatabase emptyDatabase() throws Exception {
        TestDatabase fresh = TestDatabases.newDatabase();
        try (Connection c = fresh.dataSource().getConnection(); Statement st = c.createStatement()) {
            st.execute("DROP SCHEMA mesh CASCADE");
        }
        return fresh;
    }

    private static <T> List<T> race(int racers, Callable<T> run) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(racers);
        try {
            List<Future<T>> runs = new ArrayList<>();
            for (int i = 0; i < racers; i++) {
                runs.add(pool.submit(run));
            }
            List<T> results = new ArrayList<>();
            for (Future<T> f : runs) {
                results.add(f.get(60, TimeUnit.SECONDS));
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }

    private static List<String> tables(DataSource ds) throws Exception {
        List<String> tables = new ArrayList<>();
        try (Connection c = ds.getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT table_name FROM information_schema.tables "
                     + "WHERE table_schema = 'mesh' ORDER BY table_name")) {
            while (rs.next()) {
                tables.add(rs.getString(1));
            }
        }
        return tables;
    }
}
