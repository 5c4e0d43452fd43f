package dev.claudemesh.broker.db.backup;

import dev.claudemesh.broker.db.testing.TestDatabase;
import dev.claudemesh.broker.db.testing.TestDatabases;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A backup of a real database and its restore into another: every row comes back byte for byte (values with tabs,
 * line breaks, backslashes, non-ASCII text, arrays, JSON, a generated column, a self-referencing foreign key), the
 * audit id sequence continues where it stood, and the file is refused when it is damaged, truncated, of a newer
 * schema, or aimed at a database that is not empty.
 */
class BackupIT {

    private static final String MESH = "m".repeat(32);

    @TempDir
    Path dir;

    private TestDatabase source;
    private TestDatabase target;

    @BeforeEach
    void setUp() throws Exception {
        source = TestDatabases.newDatabase();
        target = TestDatabases.newDatabase();
        try (Connection c = source.dataSource().getConnection(); Statement st = c.createStatement()) {
            st.execute("INSERT INTO mesh.mesh (id, name, slug) VALUES ('" + MESH + "', 'Team ☃', 'team')");
            st.execute("INSERT INTO mesh.member (id, mesh_id, peer_pubkey, display_name, default_groups, peer_grants)"
                    + " VALUES ('alice', '" + MESH + "', 'aa', E'tab\\there\\nnewline \\\\ back', "
                    + "'[{\"name\":\"be\"}]', '{}'), ('bob', '" + MESH + "', 'bb', 'Bob', '[]', '{\"aa\":[\"dm\"]}')");
            st.execute("INSERT INTO mesh.message_queue (id, mesh_id, sender_member_id, target_key, priority, nonce, "
                    + "ciphertext, created_at, expires_at) VALUES ('q1', '" + MESH + "', 'alice', 'bb', 'next', "
                    + "'bm9uY2U=', 'Y2lwaGVy', now(), now() + interval '1 day')");
            st.execute("INSERT INTO mesh.memory (id, mesh_id, content, tags, remembered_by, remembered_at) VALUES "
                    + "('mem1', '" + MESH + "', 'the deploy key rotates on Fridays', '{ops,\"a b\"}', 'alice', now())");
            st.execute("INSERT INTO mesh.topic (id, mesh_id, name) VALUES ('t1', '" + MESH + "', 'deploys')");
            st.execute("INSERT INTO mesh.topic_message (id, topic_id, nonce, ciphertext, reply_to_id) VALUES "
                    + "('tm2', 't1', 'n', 'c', 'tm1'), ('tm1', 't1', 'n', 'c', NULL)"); // reply before its parent
            for (int i = 0; i < 3; i++) {
                st.execute("INSERT INTO mesh.audit_log (mesh_id, event_type, payload_canonical, created_at, "
                        + "prev_hash, hash) VALUES ('" + MESH + "', 'e', '{}', now(), 'p" + i + "', 'h" + i + "')");
            }
        }
    }

    @AfterEach
    void tearDown() {
        source.close();
        target.close();
    }

    @Test
    void shouldRestoreEveryRowAndContinueTheSequences() throws Exception {
        Path file = dir.resolve("b.backup");
        BackupWriter.Result written;
        try (Connection c = source.dataSource().getConnection()) {
            written = BackupWriter.write(c, file, "test");
            assertThat(c.getAutoCommit()).isTrue();
        }
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(written.bytes()).isEqualTo(Files.size(file));
        assertThat(written.header().schemaVersion()).isEqualTo(latestVersion());
        assertThat(rows(written.header(), "member")).isEqualTo(2);
        assertThat(rows(written.header(), "audit_log")).isEqualTo(3);
        List<String> order = written.header().tables().stream().map(BackupHeader.Table::name).toList();
        assertThat(order.indexOf("mesh")).isLessThan(order.indexOf("member"));
        assertThat(order.indexOf("member")).isLessThan(order.indexOf("memory"));
        assertThat(order.indexOf("topic")).isLessThan(order.indexOf("topic_message"));
        assertThat(order).doesNotContain("flyway_schema_history");
        assertThat(written.header().tables().stream().filter(t -> t.name().equals("memory")).findFirst()
                .orElseThrow().columns()).doesNotContain("search_vector");
        assertThat(Files.readAllLines(file, StandardCharsets.UTF_8).get(0)).isEqualTo(BackupFormat.MAGIC);

        BackupRestore.Result restored = BackupRestore.restore(target.dataSource(), file);

        assertThat(restored.rows()).isEqualTo(written.header().totalRows());
        for (BackupHeader.Table t : written.header().tables()) {
            assertThat(dump(target, t.name())).as(t.name()).isEqualTo(dump(source, t.name()));
        }
        assertThat(dump(target, "memory")).anySatisfy(r -> assertThat(r).contains("'deploy':2"));
        // a second backup of the restored database carries the same rows, byte for byte
        Path again = dir.resolve("again.backup");
        try (Connection c = target.dataSource().getConnection()) {
            BackupWriter.write(c, again, "test");
        }
        assertThat(dataSection(again)).isEqualTo(dataSection(file));
        try (Connection c = target.dataSource().getConnection(); Statement st = c.createStatement()) {
            st.execute("INSERT INTO mesh.audit_log (mesh_id, event_type, payload_canonical, created_at, prev_hash, "
                    + "hash) VALUES ('" + MESH + "', 'e', '{}', now(), 'h2', 'h3')");
            try (ResultSet rs = st.executeQuery("SELECT max(id) FROM mesh.audit_log")) {
                rs.next();
                assertThat(rs.getLong(1)).as("the next audit id follows the restored ones").isEqualTo(4);
            }
        }
    }

    @Test
    void shouldRefuseADamagedOrTruncatedFileBeforeTouchingTheDatabase() throws Exception {
        Path file = backup();
        byte[] bytes = Files.readAllBytes(file);
        byte[] damaged = bytes.clone();
        int at = new String(bytes, StandardCharsets.UTF_8).indexOf("Y2lwaGVy"); // a ciphertext
        damaged[at] = 'Z';
        Path bad = Files.write(dir.resolve("damaged.backup"), damaged);
        assertThatThrownBy(() -> BackupRestore.restore(target.dataSource(), bad))
                .isInstanceOf(BackupException.class).hasMessageContaining("checksum mismatch");
        Path cut = Files.write(dir.resolve("cut.backup"), java.util.Arrays.copyOf(bytes, bytes.length / 2));
        assertThatThrownBy(() -> BackupRestore.restore(target.dataSource(), cut))
                .isInstanceOf(BackupException.class).hasMessageContaining("checksum");
        assertThat(count(target, "mesh")).isZero();
    }

    @Test
    void shouldRefuseABackupOfANewerSchema() throws Exception {
        Path file = backup();
        String text = Files.readString(file, StandardCharsets.UTF_8);
        String newer = text.replaceFirst("\"schemaVersion\":\"[^\"]+\"", "\"schemaVersion\":\"999\"");
        Path forged = Files.writeString(dir.resolve("newer.backup"), resum(newer), StandardCharsets.UTF_8);
        assertThatThrownBy(() -> BackupRestore.restore(target.dataSource(), forged))
                .isInstanceOf(BackupException.class)
                .hasMessageContaining("schema version 999 is newer than this broker's latest (" + latestVersion());
    }

    @Test
    void shouldRefuseADatabaseThatIsNotEmpty() throws Exception {
        Path file = backup();
        assertThatThrownBy(() -> BackupRestore.restore(source.dataSource(), file))
                .isInstanceOf(BackupException.class)
                .hasMessage("the target database is not empty (mesh.\"audit_log\" has 3 rows): restore only into "
                        + "an empty database");
    }

    private Path backup() throws Exception {
        Path file = dir.resolve("b.backup");
        try (Connection c = source.dataSource().getConnection()) {
            BackupWriter.write(c, file, "test");
        }
        return file;
    }

    /** The file with its checksum line recomputed (a forged, well-formed file). */
    private static String resum(String text) throws Exception {
        String body = text.substring(0, text.lastIndexOf(BackupFormat.SHA256));
        byte[] sum = java.security.MessageDigest.getInstance("SHA-256").digest(body.getBytes(StandardCharsets.UTF_8));
        return body + BackupFormat.SHA256 + HexFormat.of().formatHex(sum) + "\n";
    }

    /** Everything from the first TABLE line to END. */
    private static String dataSection(Path file) throws Exception {
        String text = Files.readString(file, StandardCharsets.UTF_8);
        return text.substring(text.indexOf("\n" + BackupFormat.TABLE), text.lastIndexOf("\n" + BackupFormat.END));
    }

    private static long rows(BackupHeader h, String table) {
        return h.tables().stream().filter(t -> t.name().equals(table)).findFirst().orElseThrow().rows();
    }

    private String latestVersion() {
        List<String> v = new dev.claudemesh.broker.db.Migrator(target.dataSource()).available();
        return v.get(v.size() - 1);
    }

    private static long count(TestDatabase db, String table) throws SQLException {
        try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(*) FROM mesh." + table)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** Every row of a table as text, in a stable order. */
    private static List<String> dump(TestDatabase db, String table) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT t::text FROM mesh." + table + " t ORDER BY t::text")) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }
}
