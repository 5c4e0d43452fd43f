package dev.claudemesh.broker.db.backup;

import dev.claudemesh.broker.db.Migrator;
import org.flywaydb.core.api.MigrationVersion;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.postgresql.copy.CopyManager;

import javax.sql.DataSource;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Restores a backup ({@link BackupFormat}) into an empty database, in this order, stopping at the first problem:
 * <ol>
 *   <li>the whole file is checked against its checksum ({@link BackupReader#verify}) before the database is
 *       touched;</li>
 *   <li>its schema version must be one this broker has the migration for (a backup of a newer broker is refused);</li>
 *   <li>the database must be empty: no broker schema yet, or one at most at the backup's version with no rows;</li>
 *   <li>Flyway migrates it to exactly the backup's schema version (a broker started on it later migrates the
 *       rest);</li>
 *   <li>one transaction: the tables are filled with {@code COPY … FROM STDIN} in the file's order (parents before
 *       children, every foreign key checked), the sequences set to their backed-up values (the next audit row gets the
 *       next id), every table's row count compared with the header, the checksum compared again; only then
 *       committed.</li>
 * </ol>
 * A failure after step 4 leaves the migrated, empty schema behind (the transaction is rolled back). Stateless;
 * blocking.
 */
public final class BackupRestore {

    private BackupRestore() {
    }

    /**
     * What was restored.
     *
     * @param header the backup's header
     * @param rows   rows written
     * @param bytes  bytes of row data read
     */
    public record Result(BackupHeader header, long rows, long bytes) {
    }

    /**
     * Restores {@code file} into the database behind {@code dataSource} (which must allow two connections at once:
     * Flyway's, then the copy's).
     *
     * @throws BackupException when the file is damaged or too new, or the database is not empty
     */
    public static Result restore(DataSource dataSource, Path file) throws IOException, SQLException {
        return restore(dataSource, file, BackupReader.verify(file));
    }

    /**
     * As {@link #restore(DataSource, Path)} for a file already checked: {@code header} is what
     * {@link BackupReader#verify} returned for it (the checksum is still compared again while the rows are read).
     */
    public static Result restore(DataSource dataSource, Path file, BackupHeader header)
            throws IOException, SQLException {
        Objects.requireNonNull(dataSource, "dataSource");
        Objects.requireNonNull(header, "header");
        Migrator migrator = new Migrator(dataSource);
        List<String> known = migrator.available();
        String latest = known.isEmpty() ? "none" : known.get(known.size() - 1);
        if (known.isEmpty() || compare(header.schemaVersion(), latest) > 0) {
            throw new BackupException("the backup's schema version " + header.schemaVersion() + " is newer than this "
                    + "broker's latest (" + latest + "): restore it with the broker that wrote it ("
                    + header.producer() + ") or a newer one");
        }
        if (!known.contains(header.schemaVersion())) {
            throw new BackupException("the backup's schema version " + header.schemaVersion() + " is not one of this "
                    + "broker's migrations " + known);
        }
        try (Connection c = dataSource.getConnection()) {
            requireEmpty(c, header);
        }
        migrator.migrate(header.schemaVersion());
        try (Connection c = dataSource.getConnection()) {
            return load(c, file, header);
        }
    }

    private static void requireEmpty(Connection c, BackupHeader header) throws SQLException {
        String recorded = Migrator.recordedVersion(c);
        if (recorded == null) {
            return;
        }
        if (compare(recorded, header.schemaVersion()) > 0) {
            throw new BackupException("the target database is at schema version " + recorded + ", newer than the "
                    + "backup's " + header.schemaVersion() + ": restore into an empty database");
        }
        for (String t : SchemaCatalog.tablesInRestoreOrder(c)) {
            long n = SchemaCatalog.count(c, t);
            if (n > 0) {
                throw new BackupException("the target database is not empty (" + SchemaCatalog.qualified(t) + " has "
                        + n + " rows): restore only into an empty database");
            }
        }
    }

    private static Result load(Connection c, Path file, BackupHeader header) throws IOException, SQLException {
        c.setAutoCommit(false);
        try (BackupReader reader = BackupReader.open(file)) {
            try (Statement st = c.createStatement()) {
                for (String s : BackupFormat.SESSION) {
                    st.execute(s);
                }
            }
            requireSameTables(c, header);
            CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
            long bytes = 0;
            for (BackupHeader.Table t : header.tables()) {
                CopyIn in = copy.copyIn(SchemaCatalog.copyTarget(t.name(), t.columns()) + "FROM STDIN");
                try {
                    bytes += reader.copyTable(t, in::writeToCopy);
                    long written = in.endCopy();
                    if (written != t.rows()) {
                        throw new BackupException("table " + t.name() + ": " + written + " rows written (expected: "
                                + t.rows() + ")");
                    }
                } catch (IOException | SQLException | RuntimeException e) {
                    cancel(in);
                    throw e;
                } catch (Exception e) {
                    cancel(in);
                    throw new IllegalStateException(e);
                }
            }
            reader.finish();
            setSequences(c, header);
            for (BackupHeader.Table t : header.tables()) {
                long n = SchemaCatalog.count(c, t.name());
                if (n != t.rows()) {
                    throw new BackupException("table " + t.name() + " holds " + n + " rows after the restore "
                            + "(expected: " + t.rows() + ")");
                }
            }
            c.commit();
            return new Result(header, header.totalRows(), bytes);
        } catch (IOException | SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(true);
        }
    }

    /** The migrated schema must have exactly the backup's tables, each with the backup's columns. */
    private static void requireSameTables(Connection c, BackupHeader header) throws SQLException {
        Set<String> there = new LinkedHashSet<>(SchemaCatalog.tablesInRestoreOrder(c));
        Set<String> inFile = new LinkedHashSet<>();
        for (BackupHeader.Table t : header.tables()) {
            inFile.add(t.name());
            if (!there.contains(t.name())) {
                throw new BackupException("table " + t.name() + " of the backup does not exist at schema version "
                        + header.schemaVersion());
            }
            Set<String> columns = new HashSet<>(SchemaCatalog.columns(c, t.name()));
            if (!columns.equals(new HashSet<>(t.columns()))) {
                throw new BackupException("table " + t.name() + ": the backup's columns " + t.columns() + " differ "
                        + "from the schema's " + columns);
            }
        }
        there.removeAll(inFile);
        if (!there.isEmpty()) {
            throw new BackupException("tables " + there + " of schema version " + header.schemaVersion()
                    + " are missing from the backup");
        }
    }

    private static void setSequences(Connection c, BackupHeader header) throws SQLException {
        try (PreparedStatement set = c.prepareStatement("SELECT setval(?::regclass, ?, true)")) {
            for (BackupHeader.Sequence s : header.sequences()) {
                if (s.lastValue() != null) {
                    set.setString(1, SchemaCatalog.qualified(s.name()));
                    set.setLong(2, s.lastValue());
                    set.execute();
                }
            }
        }
    }

    private static void cancel(CopyIn in) {
        try {
            if (in.isActive()) {
                in.cancelCopy();
            }
        } catch (SQLException ignored) {
            // the transaction is rolled back next
        }
    }

    /** Compares two Flyway versions ({@code 9} < {@code 10}, {@code 1.1} < {@code 1.2}). */
    static int compare(String a, String b) {
        return MigrationVersion.fromVersion(a).compareTo(MigrationVersion.fromVersion(b));
    }
}
