package dev.claudemesh.broker.db.testing;

import dev.claudemesh.broker.core.audit.AuditChain;

import javax.sql.DataSource;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * What the hand-written migrator of earlier versions left in a database: V1..V3 applied, each recorded in
 * {@code mesh.schema_version (version, description, checksum, applied_at)} with the SHA-256 of its script, exactly as
 * that class did. Tests build "old" databases with it to prove that they are adopted without re-running anything.
 */
public final class LegacyMigrator {

    /** The scripts the earlier versions shipped. */
    public static final List<String> SCRIPTS = List.of("V1__init.sql", "V2__enrolment.sql",
            "V3__audit_without_hash_index.sql");

    private LegacyMigrator() {
    }

    /** Applies V1..V3 and records them as the old migrator did. */
    public static void apply(DataSource dataSource) {
        try (Connection c = dataSource.getConnection()) {
            try (Statement st = c.createStatement()) {
                st.execute("""
                        CREATE SCHEMA IF NOT EXISTS mesh;
                        CREATE TABLE IF NOT EXISTS mesh.schema_version (
                          version     integer                  NOT NULL PRIMARY KEY,
                          description varchar                  NOT NULL,
                          checksum    varchar                  NOT NULL,
                          applied_at  timestamp with time zone NOT NULL DEFAULT now()
                        )""");
            }
            int version = 1;
            for (String script : SCRIPTS) {
                String sql = read("db/migration/" + script);
                c.setAutoCommit(false);
                try (Statement st = c.createStatement()) {
                    st.execute(sql);
                }
                try (PreparedStatement ps = c.prepareStatement(
                        "INSERT INTO mesh.schema_version (version, description, checksum) VALUES (?, ?, ?)")) {
                    ps.setInt(1, version);
                    ps.setString(2, script.substring(script.indexOf("__") + 2, script.length() - 4));
                    ps.setString(3, AuditChain.sha256Hex(sql.getBytes(StandardCharsets.UTF_8)));
                    ps.executeUpdate();
                }
                c.commit();
                c.setAutoCommit(true);
                version++;
            }
        } catch (SQLException e) {
            throw new IllegalStateException("legacy migration failed: " + e.getMessage(), e);
        }
    }

    private static String read(String resource) {
        try (InputStream in = LegacyMigrator.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("missing " + resource);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
