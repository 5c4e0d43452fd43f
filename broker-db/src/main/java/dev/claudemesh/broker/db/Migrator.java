package dev.claudemesh.broker.db;

import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationVersion;
import org.flywaydb.core.api.configuration.FluentConfiguration;
import org.flywaydb.core.api.output.MigrateOutput;
import org.flywaydb.core.api.output.MigrateResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Brings the schema up to date at boot with Flyway: runs the classpath scripts {@code db/migration/V<n>__<what>.sql}
 * (copied from {@code sql/} into the jar) in version order, each in its own transaction, records them in
 * {@code mesh.flyway_schema_history} and validates the checksums of those already applied. Flyway's own lock (a
 * PostgreSQL advisory lock) makes several brokers, or a broker and a CLI subcommand, starting together apply each
 * script exactly once. Idempotent: a second run applies nothing.
 *
 * <p>A database migrated by the hand-written migrator of earlier versions (history in {@code mesh.schema_version},
 * no Flyway history) is adopted once: Flyway's history is baselined at the highest version recorded there, so
 * V1..Vn are not run again and later scripts are (see docs/ARCHITECTURE.md "Schema migrations"). The old table stays
 * as a record.</p>
 *
 * <p>Blocking; call it from the boot thread. Uses up to three connections of its data source at once. Stateless
 * apart from its configuration; thread-safe.</p>
 */
public final class Migrator {

    private static final Logger log = LoggerFactory.getLogger(Migrator.class);

    /** Classpath folder of the migrations. */
    public static final String LOCATION = "db/migration";
    /** Schema of the broker's tables and of Flyway's history table. */
    public static final String SCHEMA = "mesh";
    /** Flyway's history table (in {@link #SCHEMA}). */
    public static final String HISTORY_TABLE = "flyway_schema_history";
    /** The history table of the hand-written migrator of earlier versions (in {@link #SCHEMA}). */
    public static final String LEGACY_HISTORY_TABLE = "schema_version";
    /**
     * The session advisory lock the earlier migrator held while migrating; held here while adopting its history, so
     * that an adoption never runs beside an old broker's migration or another adoption.
     */
    public static final long LEGACY_LOCK_KEY = 0x636c_6175_6465_6d65L;

    /**
     * One migration that a call applied (or, for {@link #adoptLegacyHistory()}, the baseline it recorded).
     *
     * @param version     the number after {@code V}
     * @param description the part after {@code __}, underscores as spaces
     */
    public record Applied(String version, String description) {
        public Applied {
            Objects.requireNonNull(version, "version");
            Objects.requireNonNull(description, "description");
        }
    }

    private final DataSource dataSource;
    private final ClassLoader classLoader;
    private final String[] locations;

    /** Migrates with the scripts under {@link #LOCATION} of this class's class loader. */
    public Migrator(DataSource dataSource) {
        this(dataSource, Migrator.class.getClassLoader(), LOCATION);
    }

    /** Migrates with the scripts under {@code locations} of {@code classLoader} (tests add a folder). */
    public Migrator(DataSource dataSource, ClassLoader classLoader, String... locations) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.classLoader = Objects.requireNonNull(classLoader, "classLoader");
        if (locations.length == 0) {
            throw new IllegalArgumentException("locations: none (expected: at least one)");
        }
        this.locations = Arrays.stream(locations).map(l -> "classpath:" + Objects.requireNonNull(l, "location"))
                .toArray(String[]::new);
    }

    /**
     * Adopts a legacy history if there is one, then applies every migration that is not yet recorded.
     *
     * @return the migrations applied by this call, in order (empty when the schema was up to date)
     * @throws IllegalStateException when a migration fails (its transaction is rolled back), an applied script was
     *                               changed, or the legacy history has a gap
     */
    public List<Applied> migrate() {
        return migrate(null);
    }

    /**
     * As {@link #migrate()}, but stops after {@code targetVersion} (null: the latest). The upgrade of an embedded
     * data directory recreates the old schema version on the new server with it before it copies the rows.
     */
    public List<Applied> migrate(String targetVersion) {
        adoptLegacyHistory();
        FluentConfiguration config = configuration();
        if (targetVersion != null) {
            config.target(MigrationVersion.fromVersion(targetVersion));
        }
        MigrateResult result;
        try {
            result = config.load().migrate();
        } catch (FlywayException e) {
            throw new IllegalStateException("migration failed: " + summary(e.getMessage()), e);
        }
        List<Applied> applied = new ArrayList<>();
        for (MigrateOutput m : result.migrations) {
            applied.add(new Applied(m.version, m.description));
            log.info("applied migration V{} {} in {} ms", m.version, m.description, m.executionTime);
        }
        if (applied.isEmpty()) {
            log.info("database schema is up to date (version {})", result.initialSchemaVersion);
        }
        return List.copyOf(applied);
    }

    /**
     * Baselines Flyway's history at the highest version of a legacy {@code mesh.schema_version}, when that table
     * exists and Flyway's does not; does nothing otherwise. Runs under {@link #LEGACY_LOCK_KEY}.
     *
     * @return the baseline recorded, or empty when there was nothing to adopt
     */
    public List<Applied> adoptLegacyHistory() {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(true);
            if (!exists(c, LEGACY_HISTORY_TABLE)) {
                return List.of(); // cheap common case, no lock needed: nothing ever creates that table again
            }
            try (Statement st = c.createStatement()) {
                st.execute("SELECT pg_advisory_lock(" + LEGACY_LOCK_KEY + ")");
            }
            try {
                if (exists(c, HISTORY_TABLE)) {
                    return List.of();
                }
                int version = contiguousLegacyVersion(c);
                String description = "adopted from " + SCHEMA + "." + LEGACY_HISTORY_TABLE + " (V1..V" + version + ")";
                configuration().baselineVersion(String.valueOf(version)).baselineDescription(description).load()
                        .baseline();
                log.info("adopted the schema history of the earlier migrator: baseline at V{}; V1..V{} are not run "
                        + "again", version, version);
                return List.of(new Applied(String.valueOf(version), description));
            } finally {
                try (Statement st = c.createStatement()) {
                    st.execute("SELECT pg_advisory_unlock(" + LEGACY_LOCK_KEY + ")");
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot adopt " + SCHEMA + "." + LEGACY_HISTORY_TABLE + ": "
                    + e.getSQLState() + " " + firstLine(e.getMessage()), e);
        } catch (FlywayException e) {
            throw new IllegalStateException("cannot adopt " + SCHEMA + "." + LEGACY_HISTORY_TABLE + ": "
                    + firstLine(e.getMessage()), e);
        }
    }

    /**
     * Versions recorded as applied in Flyway's history (a baseline included), in order; empty before the first
     * migration.
     */
    public List<String> appliedVersions() {
        List<String> versions = new ArrayList<>();
        for (MigrationInfo m : info()) {
            if (m.getVersion() != null && m.getState().isApplied() && !m.getState().isFailed()) {
                versions.add(m.getVersion().getVersion());
            }
        }
        return versions;
    }

    /** Versions of the scripts found on the classpath, in order. */
    public List<String> available() {
        List<String> versions = new ArrayList<>();
        for (MigrationInfo m : info()) {
            if (m.getVersion() != null && m.getState().isResolved()) {
                versions.add(m.getVersion().getVersion());
            }
        }
        return versions;
    }

    /**
     * The highest schema version recorded in a database, by Flyway's history or else a legacy one; null when it
     * has neither (an empty database).
     */
    public static String recordedVersion(Connection c) throws SQLException {
        if (exists(c, HISTORY_TABLE)) {
            try (Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT version FROM " + SCHEMA + "." + HISTORY_TABLE
                         + " WHERE success AND version IS NOT NULL ORDER BY installed_rank DESC LIMIT 1")) {
                if (rs.next()) {
                    return rs.getString(1);
                }
            }
        }
        if (exists(c, LEGACY_HISTORY_TABLE)) {
            return String.valueOf(contiguousLegacyVersion(c));
        }
        return null;
    }

    private List<MigrationInfo> info() {
        try {
            return Arrays.asList(configuration().load().info().all());
        } catch (FlywayException e) {
            throw new IllegalStateException("cannot read the schema history: " + firstLine(e.getMessage()), e);
        }
    }

    private FluentConfiguration configuration() {
        return Flyway.configure(classLoader)
                .dataSource(dataSource)
                .locations(locations)
                // the history lives beside the broker's tables, never in a shared public schema; Flyway creates the
                // schema when it is missing (V1 creates it IF NOT EXISTS too)
                .schemas(SCHEMA)
                .table(HISTORY_TABLE)
                .validateMigrationNaming(true)
                .cleanDisabled(true)
                .baselineOnMigrate(false);
    }

    private static boolean exists(Connection c, String table) throws SQLException {
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT to_regclass('" + SCHEMA + "." + table + "') IS NOT NULL")) {
            rs.next();
            return rs.getBoolean(1);
        }
    }

    /** The highest version of the legacy history, which must be exactly 1..n. */
    private static int contiguousLegacyVersion(Connection c) throws SQLException {
        List<Integer> versions = new ArrayList<>();
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT version FROM " + SCHEMA + "." + LEGACY_HISTORY_TABLE
                     + " ORDER BY version")) {
            while (rs.next()) {
                versions.add(rs.getInt(1));
            }
        }
        for (int i = 0; i < versions.size(); i++) {
            if (versions.get(i) != i + 1) {
                throw new IllegalStateException(SCHEMA + "." + LEGACY_HISTORY_TABLE + ": versions " + versions
                        + " (expected: 1..n without gaps); repair the history by hand before upgrading");
            }
        }
        if (versions.isEmpty()) {
            throw new IllegalStateException(SCHEMA + "." + LEGACY_HISTORY_TABLE + " is empty (expected: 1..n)");
        }
        return versions.get(versions.size() - 1);
    }

    /** Flyway's first line and the first detail after it (e.g. which checksum or which statement failed). */
    static String summary(String message) {
        if (message == null) {
            return "";
        }
        return message.lines().map(String::strip).filter(l -> !l.isEmpty() && Character.isLetter(l.charAt(0)))
                .limit(2).collect(java.util.stream.Collectors.joining(": "));
    }

    static String firstLine(String message) {
        if (message == null) {
            return "";
        }
        String m = message.strip();
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }
}
