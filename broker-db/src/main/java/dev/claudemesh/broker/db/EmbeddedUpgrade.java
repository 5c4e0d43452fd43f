package dev.claudemesh.broker.db;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import io.zonky.test.db.postgres.embedded.PgBinaryResolver;
import io.zonky.test.db.postgres.util.LinuxUtils;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;
import org.postgresql.copy.PGCopyOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Moves a data directory of PostgreSQL 14 (what earlier versions embedded, end of life in November 2026) to the bundled
 * major version, once, at the first start of a newer broker. A dump and restore of the broker's schema through both
 * servers: the old cluster is started with the PostgreSQL 14 binaries that the jar carries for this purpose only
 * (Linux x86_64, glibc and Alpine), a new cluster is created beside it and brought by Flyway to exactly the old
 * schema version, every table of schema {@code mesh} is copied with {@code COPY} in one transaction, sequences are
 * carried over, row counts are compared, and only then is the new cluster put in place. The old cluster is kept as
 * {@code <dataDir>/postgres-14-backup-<time>}; delete it once satisfied.
 *
 * <p>Crash-safe: until the new cluster is complete nothing of the old one changes, and an interrupted upgrade is
 * either discarded (incomplete) or finished (complete, only the renames left) at the next start
 * ({@link #resumeInterrupted}). Where the old binaries are missing the start is refused with the exact steps.
 * Stateless; blocking; call it under the data directory's lock.</p>
 */
final class EmbeddedUpgrade {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedUpgrade.class);

    /** The only earlier major this project embedded. */
    static final int LEGACY_MAJOR = 14;
    /** Where the build puts the PostgreSQL 14 archives (broker-db pom, maven-dependency-plugin). */
    static final String LEGACY_RESOURCES = "dev/claudemesh/broker/db/legacy-postgres-14/";
    /** The new cluster while it is being built. */
    static final String UPGRADE_DIR = "postgres-upgrade";
    /** Written into {@link #UPGRADE_DIR} once it holds every row. */
    static final String COMPLETE_MARKER = "CLAUDEMESH_UPGRADE_COMPLETE";

    private static final String SCHEMA = Migrator.SCHEMA;

    /** The PostgreSQL 14 binaries for zonky; one instance, so that zonky unpacks them once per JVM. */
    static final PgBinaryResolver LEGACY_BINARIES = (system, machineHardware) -> {
        InputStream in = legacyArchive(system, machineHardware);
        if (in == null) {
            throw new IOException("no PostgreSQL " + LEGACY_MAJOR + " binaries for " + system + " " + machineHardware);
        }
        return in;
    };

    private EmbeddedUpgrade() {
    }

    /** Finishes or discards an upgrade that a crash interrupted. */
    static void resumeInterrupted(Path home) throws IOException {
        Path next = home.resolve(UPGRADE_DIR);
        if (!Files.exists(next)) {
            return;
        }
        Path cluster = home.resolve(EmbeddedDatabase.CLUSTER_DIR);
        if (Files.exists(next.resolve(COMPLETE_MARKER))) {
            log.info("finishing the upgrade of {} that was interrupted after the copy", cluster);
            putInPlace(home, next, cluster);
        } else {
            log.warn("discarding the incomplete upgrade in {} (the process stopped during the copy); it starts over",
                    next);
            deleteTree(next);
        }
    }

    /**
     * Upgrades {@code <home>/postgres} when it is a PostgreSQL {@value #LEGACY_MAJOR} cluster; refuses a cluster of
     * another major than the bundled one with the steps to take.
     */
    static void upgradeIfNeeded(Path home, String password) throws IOException {
        Path cluster = home.resolve(EmbeddedDatabase.CLUSTER_DIR);
        int major = majorOf(cluster);
        if (major < 0 || major == EmbeddedDatabase.MAJOR_VERSION) {
            return;
        }
        if (major > EmbeddedDatabase.MAJOR_VERSION) {
            throw new IllegalStateException("BROKER_DATA_DIR: " + cluster + " was created by PostgreSQL " + major
                    + ", newer than this broker's PostgreSQL " + EmbeddedDatabase.MAJOR_VERSION
                    + "; run the broker version that created it, or a newer one");
        }
        if (major != LEGACY_MAJOR) {
            throw new IllegalStateException("BROKER_DATA_DIR: " + cluster + " was created by PostgreSQL " + major
                    + "; only PostgreSQL " + LEGACY_MAJOR + " clusters are upgraded automatically. Dump schema "
                    + SCHEMA + " with that version's pg_dump, move the folder aside, start this broker once and "
                    + "restore the dump with psql -h localhost (password in " + EmbeddedAuth.PASSWORD_FILE + ")");
        }
        if (!legacyBinariesAvailable()) {
            throw new IllegalStateException("BROKER_DATA_DIR: " + cluster + " holds a PostgreSQL " + LEGACY_MAJOR
                    + " cluster, and this broker runs PostgreSQL " + EmbeddedDatabase.MAJOR_VERSION + "; the automatic "
                    + "upgrade needs the PostgreSQL " + LEGACY_MAJOR + " binaries, which this jar carries for Linux "
                    + "x86_64 only. Copy " + home + " to a Linux x86_64 machine, start this broker there once (it "
                    + "upgrades the directory and stops being needed), and copy the directory back");
        }
        upgrade(home, cluster, password);
    }

    private static void upgrade(Path home, Path cluster, String password) throws IOException {
        Path next = home.resolve(UPGRADE_DIR);
        log.warn("upgrading the embedded PostgreSQL in {} from {} to {} (dump and restore of schema {}); the old "
                + "cluster is kept", cluster, LEGACY_MAJOR, EmbeddedDatabase.MAJOR_VERSION, SCHEMA);
        long t0 = System.nanoTime();
        EmbeddedPostgres old = null;
        EmbeddedPostgres fresh = null;
        long rows;
        try {
            old = EmbeddedDatabase.builder(home, cluster, password, 0, Map.of(), LEGACY_BINARIES).start();
            fresh = EmbeddedDatabase.builder(home, next, password, 0, Map.of(), null).start();
            try (Connection from = old.getPostgresDatabase().getConnection();
                 Connection to = fresh.getPostgresDatabase().getConnection()) {
                String version = Migrator.recordedVersion(from);
                if (version != null) {
                    new Migrator(fresh.getPostgresDatabase()).migrate(version);
                }
                rows = copySchema(from, to);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("upgrade of " + cluster + " to PostgreSQL " + EmbeddedDatabase.MAJOR_VERSION
                    + " failed (the old cluster is unchanged): " + e.getSQLState() + " " + e.getMessage(), e);
        } finally {
            stopAndWait(fresh, next);
            stopAndWait(old, cluster);
        }
        Files.writeString(next.resolve(COMPLETE_MARKER), "complete\n", StandardCharsets.UTF_8);
        Path backup = putInPlace(home, next, cluster);
        log.warn("upgraded the embedded PostgreSQL {} -> {} in {} ms ({} rows); the old cluster is in {}: delete it "
                        + "once the broker runs as expected", LEGACY_MAJOR, EmbeddedDatabase.MAJOR_VERSION,
                (System.nanoTime() - t0) / 1_000_000, rows, backup);
    }

    /** Copies every table and sequence of schema mesh (history tables aside) in one transaction; returns rows. */
    static long copySchema(Connection from, Connection to) throws SQLException, IOException {
        CopyManager source = from.unwrap(PGConnection.class).getCopyAPI();
        PGConnection target = to.unwrap(PGConnection.class);
        long total = 0;
        to.setAutoCommit(false);
        try {
            try (Statement st = to.createStatement()) {
                st.execute("SET LOCAL session_replication_role = replica"); // no FK checks while tables fill
            }
            for (String table : strings(from, "SELECT table_name FROM information_schema.tables WHERE table_schema = "
                    + "'" + SCHEMA + "' AND table_type = 'BASE TABLE' AND table_name NOT IN ('"
                    + Migrator.HISTORY_TABLE + "', '" + Migrator.LEGACY_HISTORY_TABLE + "') ORDER BY table_name")) {
                String columns = strings(from, "SELECT column_name FROM information_schema.columns WHERE table_schema"
                        + " = '" + SCHEMA + "' AND table_name = '" + table + "' ORDER BY ordinal_position").stream()
                        .map(EmbeddedUpgrade::quote).collect(Collectors.joining(", "));
                String name = SCHEMA + "." + quote(table) + " (" + columns + ")";
                long copied;
                try (PGCopyOutputStream sink = new PGCopyOutputStream(target, "COPY " + name + " FROM STDIN")) {
                    copied = source.copyOut("COPY " + name + " TO STDOUT", sink);
                }
                long there = count(to, SCHEMA + "." + quote(table));
                if (there != copied) {
                    throw new SQLException("table " + table + ": " + copied + " rows read, " + there + " written");
                }
                total += copied;
            }
            try (Statement st = from.createStatement();
                 ResultSet rs = st.executeQuery("SELECT sequencename, last_value FROM pg_sequences "
                         + "WHERE schemaname = '" + SCHEMA + "' AND last_value IS NOT NULL");
                 PreparedStatement set = to.prepareStatement("SELECT setval(?::regclass, ?, true)")) {
                while (rs.next()) {
                    set.setString(1, SCHEMA + "." + quote(rs.getString(1)));
                    set.setLong(2, rs.getLong(2));
                    set.execute();
                }
            }
            to.commit();
            return total;
        } catch (SQLException | IOException | RuntimeException e) {
            to.rollback();
            throw e;
        } finally {
            to.setAutoCommit(true);
        }
    }

    /** The major version in {@code <cluster>/PG_VERSION}, or -1 when there is no cluster yet. */
    static int majorOf(Path cluster) throws IOException {
        Path file = cluster.resolve("PG_VERSION");
        if (!Files.exists(file)) {
            return -1;
        }
        String text = Files.readString(file, StandardCharsets.US_ASCII).strip();
        try {
            return Integer.parseInt(text.contains(".") ? text.substring(0, text.indexOf('.')) : text);
        } catch (NumberFormatException e) {
            throw new IllegalStateException("BROKER_DATA_DIR: " + file + " says '" + text + "' (expected: a major "
                    + "version)", e);
        }
    }

    /** True when the jar carries the PostgreSQL 14 binaries for this machine. */
    static boolean legacyBinariesAvailable() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "");
        if (!os.contains("linux")) {
            return false;
        }
        try (InputStream in = legacyArchive("Linux", arch)) {
            return in != null;
        } catch (IOException e) {
            return false;
        }
    }

    private static InputStream legacyArchive(String system, String machineHardware) {
        String arch = "amd64".equals(machineHardware) ? "x86_64" : machineHardware;
        String base = LEGACY_RESOURCES + "postgres-" + system.toLowerCase(Locale.ROOT) + "-" + arch;
        ClassLoader cl = EmbeddedUpgrade.class.getClassLoader();
        String distribution = LinuxUtils.getDistributionName();
        if (distribution != null) {
            InputStream specific = cl.getResourceAsStream(base + "-"
                    + distribution.replace(' ', '_').toLowerCase(Locale.ROOT) + ".txz");
            if (specific != null) {
                return specific;
            }
        }
        return cl.getResourceAsStream(base + ".txz");
    }

    /** Moves the old cluster aside and the new one in; returns where the old one went. */
    private static Path putInPlace(Path home, Path next, Path cluster) throws IOException {
        Path backup = null;
        if (Files.exists(cluster)) {
            backup = home.resolve(EmbeddedDatabase.CLUSTER_DIR + "-" + LEGACY_MAJOR + "-backup-"
                    + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
            Files.move(cluster, backup, StandardCopyOption.ATOMIC_MOVE);
        }
        Files.move(next, cluster, StandardCopyOption.ATOMIC_MOVE);
        Files.delete(cluster.resolve(COMPLETE_MARKER));
        return backup;
    }

    private static void stopAndWait(EmbeddedPostgres pg, Path cluster) throws IOException {
        if (pg == null) {
            return;
        }
        long pid = Postmaster.read(cluster).map(Postmaster.PidFile::pid).orElse(-1L);
        pg.close();
        if (pid > 0) {
            ProcessHandle.of(pid).ifPresent(h -> {
                try {
                    h.onExit().get(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (Exception e) {
                    throw new IllegalStateException("PostgreSQL (pid " + pid + ") on " + cluster + " does not stop", e);
                }
            });
        }
    }

    private static List<String> strings(Connection c, String sql) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    private static long count(Connection c, String table) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*) FROM " + table)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static String quote(String identifier) {
        return "\"" + identifier.replace("\"", "\"\"") + "\"";
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
