package dev.claudemesh.broker.db;

import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * Where the broker's database lives. Immutable, validated once at construction.
 *
 * @param databaseUrl         {@code DATABASE_URL}: an external server (see {@link DataSourceFactory#parse}); null or
 *                            blank selects the embedded PostgreSQL
 * @param dataDir             {@code BROKER_DATA_DIR} (default {@code ./data}): the embedded server keeps its cluster in
 *                            {@code <dataDir>/postgres}, so a restart finds its data again, its password in
 *                            {@code <dataDir>/postgres-password} and its owner's lock in {@code <dataDir>/broker.lock}
 *                            (see {@link EmbeddedDatabase}); unused with a URL
 * @param embeddedPort        TCP port of the embedded server on localhost, 0 for any free port
 * @param maxPoolSize         connections in the pool: the writer holds one while committing, member lookups and
 *                            admin operations share the rest (at least 2)
 * @param connectionTimeoutMs how long a borrower waits for a connection before the attempt counts as a database
 *                            failure (at least 250)
 */
public record DatabaseConfig(String databaseUrl, Path dataDir, int embeddedPort, int maxPoolSize,
                             long connectionTimeoutMs) {

    /** Default {@link #dataDir()}. */
    public static final Path DEFAULT_DATA_DIR = Path.of("./data");
    /** Default {@link #maxPoolSize()}. */
    public static final int DEFAULT_MAX_POOL_SIZE = 10;
    /** Default {@link #connectionTimeoutMs()}. */
    public static final long DEFAULT_CONNECTION_TIMEOUT_MS = 5_000;

    public DatabaseConfig {
        databaseUrl = databaseUrl == null || databaseUrl.isBlank() ? null : databaseUrl.trim();
        Objects.requireNonNull(dataDir, "dataDir");
        if (embeddedPort < 0 || embeddedPort > 65_535) {
            throw new IllegalArgumentException("embeddedPort: " + embeddedPort + " (expected: 0..65535)");
        }
        if (maxPoolSize < 2) {
            throw new IllegalArgumentException("maxPoolSize: " + maxPoolSize + " (expected: >= 2)");
        }
        if (connectionTimeoutMs < 250) {
            throw new IllegalArgumentException("connectionTimeoutMs: " + connectionTimeoutMs + " (expected: >= 250)");
        }
        if (databaseUrl != null) {
            DataSourceFactory.parse(databaseUrl); // fail at startup, naming the variable, not at first use
        }
    }

    /** Embedded PostgreSQL in {@code ./data}, any free port, default pool. */
    public static DatabaseConfig defaults() {
        return new DatabaseConfig(null, DEFAULT_DATA_DIR, 0, DEFAULT_MAX_POOL_SIZE, DEFAULT_CONNECTION_TIMEOUT_MS);
    }

    /** Reads {@code DATABASE_URL} and {@code BROKER_DATA_DIR} from {@code env}; everything else is the default. */
    public static DatabaseConfig fromEnvironment(Map<String, String> env) {
        Objects.requireNonNull(env, "env");
        String dataDir = env.get("BROKER_DATA_DIR");
        return new DatabaseConfig(env.get("DATABASE_URL"),
                dataDir == null || dataDir.isBlank() ? DEFAULT_DATA_DIR : Path.of(dataDir),
                0, DEFAULT_MAX_POOL_SIZE, DEFAULT_CONNECTION_TIMEOUT_MS);
    }

    /** True when no {@link #databaseUrl()} is given and the embedded server is used. */
    public boolean embedded() {
        return databaseUrl == null;
    }

    /** A copy with another {@link #databaseUrl()}. */
    public DatabaseConfig withDatabaseUrl(String url) {
        return new DatabaseConfig(url, dataDir, embeddedPort, maxPoolSize, connectionTimeoutMs);
    }

    /** A copy with another {@link #dataDir()}. */
    public DatabaseConfig withDataDir(Path dir) {
        return new DatabaseConfig(databaseUrl, dir, embeddedPort, maxPoolSize, connectionTimeoutMs);
    }

    /** A copy with another {@link #embeddedPort()}. */
    public DatabaseConfig withEmbeddedPort(int port) {
        return new DatabaseConfig(databaseUrl, dataDir, port, maxPoolSize, connectionTimeoutMs);
    }

    /** A copy with other pool settings. */
    public DatabaseConfig withPool(int maxPoolSize, long connectionTimeoutMs) {
        return new DatabaseConfig(databaseUrl, dataDir, embeddedPort, maxPoolSize, connectionTimeoutMs);
    }

    /** Loggable: the URL's password is masked. */
    @Override
    public String toString() {
        return "DatabaseConfig[" + (databaseUrl == null ? "embedded, dataDir=" + dataDir + ", port=" + embeddedPort
                : "url=" + DataSourceFactory.parse(databaseUrl).safeUrl()) + ", maxPoolSize=" + maxPoolSize
                + ", connectionTimeoutMs=" + connectionTimeoutMs + "]";
    }
}
