package dev.claudemesh.broker.db;

import dev.claudemesh.broker.db.testing.LegacyMigrator;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import javax.sql.DataSource;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A data directory of an earlier version (PostgreSQL 14, trust, the old migrator's history) opened by this version:
 * upgraded to the bundled PostgreSQL with every row and sequence, the old cluster kept aside.
 */
@Timeout(300)
class EmbeddedUpgradeIT {

    private static final String MESH = "m".repeat(32);

    @TempDir
    Path home;

    @Test
    void shouldUpgradeAPostgreSql14DirectoryOfTheEarlierVersionKeepingEveryRow() throws Exception {
        assertThat(EmbeddedUpgrade.legacyBinariesAvailable()).as("this test runs on Linux x86_64").isTrue();
        Path cluster = home.resolve(EmbeddedDatabase.CLUSTER_DIR);
        try (EmbeddedPostgres old = EmbeddedPostgres.builder().setPgBinaryResolver(EmbeddedUpgrade.LEGACY_BINARIES)
                .setDataDirectory(cluster).setCleanDataDirectory(false).setRegisterShutdownHook(false).start()) {
            DataSource ds = old.getPostgresDatabase();
            LegacyMigrator.apply(ds);
            try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
                assertThat(query(c, "SHOW server_version_num")).startsWith("14");
                st.execute("INSERT INTO mesh.mesh (id, name, slug) VALUES ('" + MESH + "', 'Old', 'old')");
                st.execute("INSERT INTO mesh.member (id, mesh_id, peer_pubkey, display_name, default_groups, "
                        + "peer_grants) VALUES ('mem1', '" + MESH + "', '" + "a".repeat(64) + "', 'alice', "
                        + "'[{\"name\":\"be\"}]', '{}')");
                for (int i = 0; i < 3; i++) {
                    st.execute("INSERT INTO mesh.audit_log (mesh_id, event_type, payload_canonical, created_at, "
                            + "prev_hash, hash) VALUES ('" + MESH + "', 'e" + i + "', '{}', now(), 'p" + i + "', 'h"
                            + i + "')");
                }
                st.execute("INSERT INTO mesh.message_queue (id, mesh_id, target_key, priority, nonce, ciphertext, "
                        + "created_at, expires_at) VALUES ('dm1', '" + MESH + "', '" + "b".repeat(64) + "', 'next', "
                        + "'bm9uY2U=', 'c3Vydml2ZXM=', now(), now() + interval '1 day')");
            }
        }
        assertThat(Files.readString(cluster.resolve("PG_VERSION"), StandardCharsets.US_ASCII).strip()).isEqualTo("14");

        try (Database db = Database.open(DatabaseConfig.defaults().withDataDir(home))) {
            List<String> later = new Migrator(db.dataSource()).available().stream()
                    .filter(v -> !List.of("1", "2", "3").contains(v)).distinct().toList();
            assertThat(db.appliedAtOpen()).extracting(Migrator.Applied::version)
                    .as("the schema came over at V3: only the later scripts apply").containsExactlyElementsOf(later);
            try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement()) {
                assertThat(query(c, "SHOW server_version_num"))
                        .startsWith(String.valueOf(EmbeddedDatabase.MAJOR_VERSION));
                assertThat(query(c, "SELECT name FROM mesh.mesh WHERE id = '" + MESH + "'")).isEqualTo("Old");
                assertThat(query(c, "SELECT default_groups::text FROM mesh.member WHERE id = 'mem1'"))
                        .isEqualTo("[{\"name\": \"be\"}]");
                assertThat(query(c, "SELECT string_agg(hash, ',' ORDER BY id) FROM mesh.audit_log"))
                        .isEqualTo("h0,h1,h2");
                assertThat(query(c, "SELECT ciphertext FROM mesh.message_queue WHERE id = 'dm1'"))
                        .isEqualTo("c3Vydml2ZXM=");
                st.execute("INSERT INTO mesh.audit_log (mesh_id, event_type, payload_canonical, created_at, "
                        + "prev_hash, hash) VALUES ('" + MESH + "', 'e3', '{}', now(), 'h2', 'h3')");
                assertThat(query(c, "SELECT max(id) FROM mesh.audit_log")).as("the sequence carried over")
                        .isEqualTo("4");
            }
            Migrator migrator = new Migrator(db.dataSource());
            assertThat(migrator.appliedVersions()).containsExactlyElementsOf(migrator.available());
            assertThat(Files.readString(cluster.resolve("pg_hba.conf"))).isEqualTo(EmbeddedAuth.MANAGED_HBA);
            String url = db.target().jdbcUrl();
            Properties noPassword = new Properties();
            noPassword.setProperty("user", EmbeddedDatabase.USER);
            assertThat((Throwable) org.assertj.core.api.Assertions.catchThrowableOfType(SQLException.class,
                    () -> DriverManager.getConnection(url, noPassword).close())).as("password required").isNotNull();
        }

        List<Path> backups;
        try (Stream<Path> children = Files.list(home)) {
            backups = children.filter(p -> p.getFileName().toString().startsWith("postgres-14-backup-")).toList();
        }
        assertThat(backups).hasSize(1);
        assertThat(Files.readString(backups.get(0).resolve("PG_VERSION")).strip()).isEqualTo("14");
        assertThat(home.resolve(EmbeddedUpgrade.UPGRADE_DIR)).doesNotExist();

        try (Database again = Database.open(DatabaseConfig.defaults().withDataDir(home));
             Connection c = again.dataSource().getConnection()) {
            assertThat(query(c, "SELECT count(*) FROM mesh.audit_log")).as("a second start does not upgrade again")
                    .isEqualTo("4");
        }
    }

    @Test
    void shouldDiscardAnUpgradeThatStoppedHalfWay() throws Exception {
        Path partial = home.resolve(EmbeddedUpgrade.UPGRADE_DIR);
        Files.createDirectories(partial.resolve("base"));
        Files.writeString(partial.resolve("PG_VERSION"), EmbeddedDatabase.MAJOR_VERSION + "\n");

        try (EmbeddedDatabase pg = EmbeddedDatabase.start(home, 0)) {
            assertThat(partial).doesNotExist();
            assertThat(pg.clusterDirectory().resolve("PG_VERSION")).exists();
        }
    }

    @Test
    void shouldRefuseAClusterOfAnotherMajorWithTheStepsToTake() throws Exception {
        Path cluster = home.resolve(EmbeddedDatabase.CLUSTER_DIR);
        Files.createDirectories(cluster);
        Files.writeString(cluster.resolve("PG_VERSION"), "13\n");

        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> EmbeddedDatabase.start(home, 0)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("created by PostgreSQL 13").hasMessageContaining("pg_dump");
        Files.writeString(cluster.resolve("PG_VERSION"), (EmbeddedDatabase.MAJOR_VERSION + 1) + "\n");
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> EmbeddedDatabase.start(home, 0)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("newer than this broker");
    }

    private static String query(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
