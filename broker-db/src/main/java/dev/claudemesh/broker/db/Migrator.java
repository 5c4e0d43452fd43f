package dev.claudemesh.broker.db;

import dev.claudemesh.broker.core.audit.AuditChain;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Brings the schema up to date at boot: runs the classpath resources {@code db/migration/V<n>__<description>.sql}
 * (copied from {@code sql/} into the jar) in version order, each in its own transaction, and records every applied
 * version in {@code mesh.schema_version}. Runs under a PostgreSQL session advisory lock so that several brokers (or
 * a broker and a CLI subcommand) starting together apply each migration exactly once. Idempotent: a second run
 * applies nothing.
 *
 * <p>Blocking; call it from the boot thread. Stateless apart from its configuration; thread-safe.</p>
 */
public final class Migrator {

    private static final Logger log = LoggerFactory.getLogger(Migrator.class);

    /** Classpath folder of the migrations. */
    public static final String LOCATION = "db/migration";
    /** Key of the advisory lock held while migrating ("claudemesh" folded into a long). */
    public static final long LOCK_KEY = 0x636c_6175_6465_6d65L;

    private static final Pattern NAME = Pattern.compile("V([0-9]+)__([A-Za-z0-9_\\-]+)\\.sql");

    private static final String CREATE_VERSION_TABLE = """
            CREATE SCHEMA IF NOT EXISTS mesh;
            CREATE TABLE IF NOT EXISTS mesh.schema_version (
              version     integer                  NOT NULL PRIMARY KEY,
              description varchar                  NOT NULL,
              checksum    varchar                  NOT NULL,
              applied_at  timestamp with time zone NOT NULL DEFAULT now()
            )""";

    /**
     * One migration script.
     *
     * @param version     the number after {@code V}
     * @param description the part after {@code __}, without {@code .sql}
     * @param resource    classpath resource name
     * @param sql         the script
     * @param checksum    SHA-256 hex of the script's UTF-8 bytes
     */
    public record Migration(int version, String description, String resource, String sql, String checksum) {
    }

    private final DataSource dataSource;
    private final ClassLoader classLoader;
    private final String location;

    /** Migrates with the scripts under {@link #LOCATION} of this class's class loader. */
    public Migrator(DataSource dataSource) {
        this(dataSource, Migrator.class.getClassLoader(), LOCATION);
    }

    /** Migrates with the scripts under {@code location} of {@code classLoader} (tests use other folders). */
    public Migrator(DataSource dataSource, ClassLoader classLoader, String location) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.classLoader = Objects.requireNonNull(classLoader, "classLoader");
        this.location = Objects.requireNonNull(location, "location");
    }

    /**
     * Applies every migration that is not yet recorded, in version order.
     *
     * @return the migrations applied by this call (empty when the schema was up to date)
     * @throws IllegalStateException when a migration fails (its transaction is rolled back) or the scripts are
     *                               inconsistent (two scripts with one version)
     */
    public List<Migration> migrate() {
        List<Migration> available = available();
        List<Migration> applied = new ArrayList<>();
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(true);
            try (Statement st = c.createStatement()) {
                st.execute("SELECT pg_advisory_lock(" + LOCK_KEY + ")");
            }
            try {
                try (Statement st = c.createStatement()) {
                    st.execute(CREATE_VERSION_TABLE);
                }
                Map<Integer, String> done = appliedChecksums(c);
                for (Migration m : available) {
                    String checksum = done.get(m.version());
                    if (checksum != null) {
                        if (!checksum.equals(m.checksum())) {
                            log.warn("migration V{} ({}) changed after it was applied; the change is not re-run",
                                    m.version(), m.resource());
                        }
                        continue;
                    }
                    apply(c, m);
                    applied.add(m);
                }
            } finally {
                try (Statement st = c.createStatement()) {
                    st.execute("SELECT pg_advisory_unlock(" + LOCK_KEY + ")");
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("migration failed: " + e.getSQLState() + " " + firstLine(e.getMessage()),
                    e);
        }
        if (applied.isEmpty()) {
            log.info("database schema is up to date ({} migrations)", available.size());
        }
        return applied;
    }

    /** Versions recorded in {@code mesh.schema_version}, ascending; empty when the table does not exist yet. */
    public List<Integer> appliedVersions() {
        try (Connection c = dataSource.getConnection();
             Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT to_regclass('mesh.schema_version') IS NOT NULL")) {
            rs.next();
            if (!rs.getBoolean(1)) {
                return List.of();
            }
            return List.copyOf(appliedChecksums(c).keySet());
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read mesh.schema_version: " + firstLine(e.getMessage()), e);
        }
    }

    /** The migrations found on the classpath, in version order. */
    public List<Migration> available() {
        Map<Integer, Migration> byVersion = new TreeMap<>();
        for (String name : resourceNames()) {
            Matcher m = NAME.matcher(name);
            if (!m.matches()) {
                continue;
            }
            int version = Integer.parseInt(m.group(1));
            String resource = location + "/" + name;
            String sql = read(resource);
            Migration migration = new Migration(version, m.group(2), resource, sql,
                    AuditChain.sha256Hex(sql.getBytes(StandardCharsets.UTF_8)));
            Migration other = byVersion.putIfAbsent(version, migration);
            if (other != null && !other.checksum().equals(migration.checksum())) {
                throw new IllegalStateException("two migrations with version " + version + ": " + other.resource()
                        + " and " + resource);
            }
        }
        return List.copyOf(byVersion.values());
    }

    /** Parses a file name like {@code V12__add_x.sql} into its version, or -1 when it is not a migration. */
    static int versionOf(String fileName) {
        Matcher m = NAME.matcher(fileName);
        return m.matches() ? Integer.parseInt(m.group(1)) : -1;
    }

    private void apply(Connection c, Migration m) throws SQLException {
        long t0 = System.nanoTime();
        c.setAutoCommit(false);
        try {
            try (Statement st = c.createStatement()) {
                st.execute(m.sql());
            }
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO mesh.schema_version (version, description, checksum) VALUES (?, ?, ?)")) {
                ps.setInt(1, m.version());
                ps.setString(2, m.description());
                ps.setString(3, m.checksum());
                ps.executeUpdate();
            }
            c.commit();
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            throw new IllegalStateException("migration " + m.resource() + " failed: " + firstLine(e.getMessage()), e);
        } finally {
            c.setAutoCommit(true);
        }
        log.info("applied migration V{} {} in {} ms", m.version(), m.description(),
                (System.nanoTime() - t0) / 1_000_000);
    }

    private static Map<Integer, String> appliedChecksums(Connection c) throws SQLException {
        Map<Integer, String> done = new TreeMap<>();
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT version, checksum FROM mesh.schema_version ORDER BY version")) {
            while (rs.next()) {
                done.put(rs.getInt(1), rs.getString(2));
            }
        }
        return done;
    }

    private List<String> resourceNames() {
        Map<String, Boolean> names = new HashMap<>();
        try {
            Enumeration<URL> roots = classLoader.getResources(location);
            while (roots.hasMoreElements()) {
                URL url = roots.nextElement();
                switch (url.getProtocol()) {
                    case "file" -> {
                        try (DirectoryStream<Path> dir = Files.newDirectoryStream(Path.of(url.toURI()))) {
                            for (Path p : dir) {
                                names.put(p.getFileName().toString(), Boolean.TRUE);
                            }
                        }
                    }
                    case "jar" -> {
                        JarURLConnection conn = (JarURLConnection) url.openConnection();
                        conn.setUseCaches(false);
                        try (JarFile jar = conn.getJarFile()) {
                            String prefix = location + "/";
                            Enumeration<JarEntry> entries = jar.entries();
                            while (entries.hasMoreElements()) {
                                String entry = entries.nextElement().getName();
                                if (entry.startsWith(prefix) && entry.indexOf('/', prefix.length()) < 0
                                        && entry.length() > prefix.length()) {
                                    names.put(entry.substring(prefix.length()), Boolean.TRUE);
                                }
                            }
                        }
                    }
                    default -> log.warn("cannot list migrations in {} (unsupported protocol)", url);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + location, e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException("cannot list " + location, e);
        }
        return new ArrayList<>(names.keySet());
    }

    private String read(String resource) {
        try (InputStream in = classLoader.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("migration vanished: " + resource);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + resource, e);
        }
    }

    static String firstLine(String message) {
        if (message == null) {
            return "";
        }
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }
}
