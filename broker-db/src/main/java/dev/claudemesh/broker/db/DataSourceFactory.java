package dev.claudemesh.broker.db;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.postgresql.ds.PGSimpleDataSource;

import javax.sql.DataSource;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * Turns a {@code DATABASE_URL} into a JDBC target and a HikariCP pool. Stateless and thread-safe.
 *
 * <p>Accepted forms: {@code postgres://user:pass@host:port/db?params}, {@code postgresql://…} (both as libpq and
 * Heroku-style platforms write them; user and password are URL-decoded) and {@code jdbc:postgresql://…} (passed
 * through; a {@code user:pass@} part, which the JDBC driver does not understand, is moved out of the URL).</p>
 */
public final class DataSourceFactory {

    private static final String JDBC_PREFIX = "jdbc:postgresql://";

    private DataSourceFactory() {
    }

    /**
     * Where to connect: a {@code jdbc:postgresql://host:port/db[?params]} URL and optional credentials (null when
     * the URL carries them itself or none are needed). {@link #toString()} never shows the password.
     */
    public record JdbcTarget(String jdbcUrl, String user, String password) {
        public JdbcTarget {
            Objects.requireNonNull(jdbcUrl, "jdbcUrl");
            if (!jdbcUrl.startsWith(JDBC_PREFIX)) {
                throw new IllegalArgumentException("jdbcUrl: " + jdbcUrl + " (expected: " + JDBC_PREFIX + "…)");
            }
        }

        /** The database name: the path of the URL. */
        public String databaseName() {
            String rest = jdbcUrl.substring(JDBC_PREFIX.length());
            int slash = rest.indexOf('/');
            if (slash < 0) {
                return "";
            }
            int q = rest.indexOf('?', slash);
            return rest.substring(slash + 1, q < 0 ? rest.length() : q);
        }

        /** The same server and parameters with another database name. */
        public JdbcTarget withDatabase(String databaseName) {
            Objects.requireNonNull(databaseName, "databaseName");
            String rest = jdbcUrl.substring(JDBC_PREFIX.length());
            int slash = rest.indexOf('/');
            int q = rest.indexOf('?');
            String authority = slash >= 0 ? rest.substring(0, slash) : (q >= 0 ? rest.substring(0, q) : rest);
            String query = q >= 0 ? rest.substring(q) : "";
            return new JdbcTarget(JDBC_PREFIX + authority + "/" + databaseName + query, user, password);
        }

        /** The URL with any {@code password=} parameter masked, for logs. */
        public String safeUrl() {
            return jdbcUrl.replaceAll("(?i)(password=)[^&]*", "$1***");
        }

        @Override
        public String toString() {
            return "JdbcTarget[" + safeUrl() + ", user=" + user + ", password=" + (password == null ? "none" : "***")
                    + "]";
        }
    }

    /**
     * Parses {@code databaseUrl} (see the class comment for the accepted forms).
     *
     * @throws IllegalArgumentException when the URL is not a PostgreSQL URL; the message never contains the password
     */
    public static JdbcTarget parse(String databaseUrl) {
        Objects.requireNonNull(databaseUrl, "databaseUrl");
        String url = databaseUrl.trim();
        String rest;
        if (url.startsWith(JDBC_PREFIX)) {
            rest = url.substring(JDBC_PREFIX.length());
        } else if (url.startsWith("postgres://")) {
            rest = url.substring("postgres://".length());
        } else if (url.startsWith("postgresql://")) {
            rest = url.substring("postgresql://".length());
        } else {
            throw new IllegalArgumentException("DATABASE_URL: unsupported scheme (expected: postgres://, "
                    + "postgresql:// or jdbc:postgresql://)");
        }
        int end = indexOfAny(rest, '/', '?');
        String authority = end < 0 ? rest : rest.substring(0, end);
        String pathAndQuery = end < 0 ? "" : rest.substring(end);
        String user = null;
        String password = null;
        int at = authority.lastIndexOf('@');
        if (at >= 0) {
            String userInfo = authority.substring(0, at);
            authority = authority.substring(at + 1);
            int colon = userInfo.indexOf(':');
            user = decode(colon < 0 ? userInfo : userInfo.substring(0, colon));
            password = colon < 0 ? null : decode(userInfo.substring(colon + 1));
            if (user.isEmpty()) {
                user = null;
            }
        }
        if (authority.isEmpty()) {
            throw new IllegalArgumentException("DATABASE_URL: missing host");
        }
        int q = pathAndQuery.indexOf('?');
        String path = q < 0 ? pathAndQuery : pathAndQuery.substring(0, q);
        String query = q < 0 ? "" : pathAndQuery.substring(q);
        if (path.isEmpty() || path.equals("/")) {
            path = "/postgres";
        }
        return new JdbcTarget(JDBC_PREFIX + authority + path + query, user, password);
    }

    /**
     * Creates a pool for {@code target}. The pool fails fast when the server is unreachable at creation, hands out
     * auto-commit connections and waits at most {@code connectionTimeoutMs} for a connection, so the writer notices
     * an outage within that time.
     *
     * @param poolName           shows in thread names and logs
     * @param maxPoolSize        maximum connections, at least 1
     * @param connectionTimeoutMs how long {@code getConnection()} waits, at least 250 (HikariCP's minimum)
     */
    public static HikariDataSource create(JdbcTarget target, String poolName, int maxPoolSize,
                                          long connectionTimeoutMs) {
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(poolName, "poolName");
        if (maxPoolSize < 1) {
            throw new IllegalArgumentException("maxPoolSize: " + maxPoolSize + " (expected: > 0)");
        }
        if (connectionTimeoutMs < 250) {
            throw new IllegalArgumentException("connectionTimeoutMs: " + connectionTimeoutMs + " (expected: >= 250)");
        }
        HikariConfig hc = new HikariConfig();
        hc.setPoolName(poolName);
        hc.setJdbcUrl(target.jdbcUrl());
        if (target.user() != null) {
            hc.setUsername(target.user());
        }
        if (target.password() != null) {
            hc.setPassword(target.password());
        }
        hc.setMaximumPoolSize(maxPoolSize);
        hc.setMinimumIdle(Math.min(2, maxPoolSize));
        hc.setConnectionTimeout(connectionTimeoutMs);
        hc.setValidationTimeout(Math.min(connectionTimeoutMs, 5_000L));
        hc.setAutoCommit(true);
        hc.addDataSourceProperty("ApplicationName", "claudemesh-broker");
        hc.addDataSourceProperty("tcpKeepAlive", "true");
        // Server error details can quote row values (e.g. "Failing row contains (…)"): keep them out of
        // exception messages so that no payload can reach a log line.
        hc.addDataSourceProperty("logServerErrorDetail", "false");
        return new HikariDataSource(hc);
    }

    /**
     * A data source without a pool for {@code target}: every {@code getConnection()} opens a new connection. For
     * short boot-time work (migrations) that must not compete with the pool's limit.
     */
    public static DataSource unpooled(JdbcTarget target) {
        Objects.requireNonNull(target, "target");
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setURL(target.jdbcUrl());
        if (target.user() != null) {
            ds.setUser(target.user());
        }
        if (target.password() != null) {
            ds.setPassword(target.password());
        }
        ds.setApplicationName("claudemesh-broker");
        ds.setLogServerErrorDetail(false);
        return ds;
    }

    private static int indexOfAny(String s, char a, char b) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == a || c == b) {
                return i;
            }
        }
        return -1;
    }

    private static String decode(String s) {
        return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }
}
