package dev.claudemesh.broker.netty.startup;

import dev.claudemesh.broker.db.DataDirectoryInUseException;
import dev.claudemesh.broker.db.DataSourceFactory;
import dev.claudemesh.broker.db.Database;
import dev.claudemesh.broker.db.DatabaseConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.sql.SQLException;
import java.util.Objects;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Opens the database at startup. An external {@code DATABASE_URL} that cannot be reached yet (connection refused,
 * unknown host, timeout, server starting up or out of connections) is retried with back-off — 0.5 s, 1 s, 2 s, …,
 * at most {@value #MAX_BACKOFF_MS} ms apart — for {@code DATABASE_CONNECT_TIMEOUT_SECONDS}, each failed attempt
 * logged at WARN; after that the broker gives up with one line (exit 1: a supervisor may try again later). A server
 * that refuses the credentials or has no such database is a configuration error (exit 2), at once. The embedded
 * PostgreSQL is not retried: its failures do not go away by waiting.
 *
 * <p>Runs on the starting thread; blocking. The clock and the sleeper are injected for tests.</p>
 */
public final class DatabaseStartup {

    private static final Logger log = LoggerFactory.getLogger(DatabaseStartup.class);

    static final long FIRST_BACKOFF_MS = 500;
    static final long MAX_BACKOFF_MS = 8_000;

    /** Waits between attempts; {@link Thread#sleep} in production. */
    @FunctionalInterface
    public interface Sleeper {
        void sleep(long ms) throws InterruptedException;
    }

    /** What a failed attempt means. */
    enum Failure {
        /** The server is not reachable (yet): retry until the deadline. */
        UNREACHABLE,
        /** The server refused the credentials (SQLSTATE class 28). */
        CREDENTIALS,
        /** The server has no such database (3D000). */
        NO_DATABASE,
        /** Anything else (a failed migration, a bug): give up at once. */
        OTHER
    }

    private DatabaseStartup() {
    }

    /** Opens {@code config}'s database, retrying an unreachable external server for {@code timeoutSeconds}. */
    public static Database open(DatabaseConfig config, int timeoutSeconds) {
        return open(config, () -> Database.open(config), timeoutSeconds * 1000L, System::currentTimeMillis,
                Thread::sleep);
    }

    /**
     * {@link #open(DatabaseConfig, int)} with the opener, clock and sleeper given.
     *
     * @throws StartupException when the database cannot be opened, with its one-line message and exit code
     */
    static <D> D open(DatabaseConfig config, Supplier<D> opener, long timeoutMs, LongSupplier nowMs, Sleeper sleeper) {
        Objects.requireNonNull(config, "config");
        String where = config.embedded() ? "embedded PostgreSQL in " + config.dataDir().resolve("postgres")
                : DataSourceFactory.parse(config.databaseUrl()).safeUrl();
        long start = nowMs.getAsLong();
        long deadline = start + timeoutMs;
        long backoffMs = FIRST_BACKOFF_MS;
        for (int attempt = 1; ; attempt++) {
            RuntimeException error;
            try {
                return opener.get();
            } catch (RuntimeException e) {
                error = e;
            }
            for (Throwable t = error; t != null; t = t.getCause()) {
                if (t instanceof DataDirectoryInUseException inUse) {
                    throw StartupException.inUse(inUse.getMessage(), error);
                }
            }
            if (config.embedded()) {
                throw StartupException.runtime("database: cannot start the " + where + ": " + topLine(error), error);
            }
            String cause = firstLine(error);
            Failure failure = classify(error);
            switch (failure) {
                case CREDENTIALS -> throw StartupException.configuration("DATABASE_URL: " + where
                        + " refused the credentials: " + cause, error);
                case NO_DATABASE -> throw StartupException.configuration("DATABASE_URL: " + where
                        + " has no such database: " + cause, error);
                case OTHER -> throw StartupException.runtime("database: " + where + ": " + topLine(error), error);
                case UNREACHABLE -> { }
            }
            long now = nowMs.getAsLong();
            if (now >= deadline) {
                throw StartupException.runtime("DATABASE_URL: cannot connect to " + where + " within "
                        + (timeoutMs / 1000) + " s (" + attempt + (attempt == 1 ? " attempt" : " attempts") + "): "
                        + cause, error);
            }
            long waitMs = Math.min(backoffMs, deadline - now);
            log.warn("database not reachable (attempt {}), retrying in {} ms, giving up in {} s: {}", attempt, waitMs,
                    (deadline - now + 999) / 1000, cause);
            try {
                sleeper.sleep(waitMs);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw StartupException.runtime("database: interrupted while waiting for " + where, e);
            }
            backoffMs = Math.min(MAX_BACKOFF_MS, backoffMs * 2);
        }
    }

    /** Sorts a failed attempt by the first SQL state or network exception in its cause chain. */
    static Failure classify(Throwable error) {
        for (Throwable c = error; c != null; c = c.getCause()) {
            if (c instanceof SQLException sql && sql.getSQLState() != null) {
                String state = sql.getSQLState();
                if (state.startsWith("08") || state.equals("57P03") || state.startsWith("53")) {
                    return Failure.UNREACHABLE;
                }
                if (state.startsWith("28")) {
                    return Failure.CREDENTIALS;
                }
                if (state.equals("3D000")) {
                    return Failure.NO_DATABASE;
                }
                return Failure.OTHER;
            }
            if (c instanceof ConnectException || c instanceof UnknownHostException
                    || c instanceof SocketTimeoutException || c instanceof NoRouteToHostException) {
                return Failure.UNREACHABLE;
            }
        }
        return Failure.OTHER;
    }

    /** The first line of {@code error}'s own message (or its class name). */
    static String topLine(Throwable error) {
        String m = error.getMessage();
        if (m == null || m.isBlank()) {
            return error.getClass().getSimpleName();
        }
        int nl = m.indexOf('\n');
        return (nl >= 0 ? m.substring(0, nl) : m).strip();
    }

    /**
     * The first line of the most specific message in the chain: the driver's ({@code Connection to 127.0.0.1:1
     * refused.}) rather than the pool's wrapper. Driver messages carry host, port and user, never the password.
     */
    static String firstLine(Throwable error) {
        String message = null;
        for (Throwable c = error; c != null; c = c.getCause()) {
            if (c.getMessage() != null && !c.getMessage().isBlank()) {
                message = c.getMessage();
                if (c instanceof SQLException) {
                    break;
                }
            }
        }
        if (message == null) {
            return error.getClass().getSimpleName();
        }
        int nl = message.indexOf('\n');
        return (nl >= 0 ? message.substring(0, nl) : message).strip();
    }
}
