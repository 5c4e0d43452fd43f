package dev.claudemesh.broker.db;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Objects;
import java.util.Optional;

/**
 * The embedded PostgreSQL of a data directory, reached for a short task (a backup) whether or not a broker runs on
 * it. A broker holds the directory's lock ({@code broker.lock}) for as long as it runs, so a second server can never
 * be started on it; but the running server accepts TCP connections on localhost from whoever knows its password, and
 * both the port ({@code postgres/postmaster.pid}, line 4) and the password ({@code postgres-password}, 0600) are
 * files of the directory. So:
 * <ul>
 *   <li>directory in use ({@link DataDirectoryInUseException}): <em>attach</em> to the owner's server with that port
 *       and password, after checking that the server reached is the one whose data directory this is
 *       ({@code SHOW data_directory}); nothing is started or stopped, and the broker is not disturbed;</li>
 *   <li>directory free: {@link EmbeddedDatabase#start start} the server for the task (under the lock, as a broker
 *       would, but without migrations) and stop it at {@link #close()}; a broker started meanwhile is refused.</li>
 * </ul>
 * Whoever may read the data directory may do this; nobody else can (the password file is owner-only).
 *
 * <p>Owns the server it started, if any. Blocking; not thread-safe.</p>
 */
public final class EmbeddedAccess implements AutoCloseable {

    private final EmbeddedDatabase started;
    private final DataSourceFactory.JdbcTarget target;
    private final long ownerPid;

    private EmbeddedAccess(EmbeddedDatabase started, DataSourceFactory.JdbcTarget target, long ownerPid) {
        this.started = started;
        this.target = target;
        this.ownerPid = ownerPid;
    }

    /**
     * Reaches the server of {@code dataDirectory}: the running broker's, or one started here.
     *
     * @throws IllegalStateException when the directory holds no cluster, or its owner's server cannot be reached
     */
    public static EmbeddedAccess open(Path dataDirectory) {
        Objects.requireNonNull(dataDirectory, "dataDirectory");
        Path dir = dataDirectory.toAbsolutePath().normalize();
        Path cluster = dir.resolve(EmbeddedDatabase.CLUSTER_DIR);
        if (!Files.isRegularFile(cluster.resolve("PG_VERSION"))) {
            throw new IllegalStateException("BROKER_DATA_DIR " + dir + " holds no embedded database (no "
                    + cluster.resolve("PG_VERSION") + ")");
        }
        try {
            EmbeddedDatabase db = EmbeddedDatabase.start(dir, 0);
            return new EmbeddedAccess(db, db.target(), -1);
        } catch (DataDirectoryInUseException e) {
            return attach(dir, cluster, e.ownerPid());
        }
    }

    private static EmbeddedAccess attach(Path dir, Path cluster, long ownerPid) {
        String owner = ownerPid > 0 ? "process " + ownerPid : "another process";
        Optional<Postmaster.PidFile> pidFile = Postmaster.read(cluster);
        if (pidFile.isEmpty() || pidFile.get().port() <= 0) {
            throw new IllegalStateException("BROKER_DATA_DIR " + dir + " is in use by " + owner + ", but its "
                    + "PostgreSQL is not running (no port in " + cluster.resolve(Postmaster.PID_FILE) + "); the "
                    + "broker is starting or stopping: try again in a moment");
        }
        String password;
        try {
            password = Files.readString(EmbeddedAuth.passwordFile(dir), StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + EmbeddedAuth.passwordFile(dir) + " (run this as the "
                    + "user the broker runs as): " + e.getMessage(), e);
        }
        DataSourceFactory.JdbcTarget target = new DataSourceFactory.JdbcTarget("jdbc:postgresql://localhost:"
                + pidFile.get().port() + "/" + EmbeddedDatabase.DATABASE, EmbeddedDatabase.USER, password);
        requireCluster(target, cluster);
        return new EmbeddedAccess(null, target, ownerPid);
    }

    /** Refuses a server on that port that is not this directory's (a stale pid file, a reused port). */
    private static void requireCluster(DataSourceFactory.JdbcTarget target, Path cluster) {
        try (Connection c = DataSourceFactory.unpooled(target).getConnection();
             Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SHOW data_directory")) {
            rs.next();
            Path served = Path.of(rs.getString(1)).toRealPath();
            if (!served.equals(cluster.toRealPath())) {
                throw new IllegalStateException("the PostgreSQL on " + target.safeUrl() + " serves " + served
                        + ", not " + cluster);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot connect to the running broker's embedded PostgreSQL on "
                    + target.safeUrl() + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Where to connect (superuser {@code postgres}, database {@code postgres}). */
    public DataSourceFactory.JdbcTarget target() {
        return target;
    }

    /** True when the server belongs to a running broker (nothing was started). */
    public boolean attached() {
        return started == null;
    }

    /** The running owner's process id when {@link #attached()}, else -1. */
    public long ownerPid() {
        return ownerPid;
    }

    /** Stops the server if it was started here; leaves a running broker's alone. */
    @Override
    public void close() {
        if (started != null) {
            started.close();
        }
    }

    @Override
    public String toString() {
        return "EmbeddedAccess[" + target.safeUrl() + (attached() ? ", attached to process " + ownerPid
                : ", started") + "]";
    }
}
