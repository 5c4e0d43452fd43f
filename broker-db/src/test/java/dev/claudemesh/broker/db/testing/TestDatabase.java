package dev.claudemesh.broker.db.testing;

import com.zaxxer.hikari.HikariDataSource;
import dev.claudemesh.broker.db.DataSourceFactory;
import dev.claudemesh.broker.db.DataSourceFactory.JdbcTarget;

import javax.sql.DataSource;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One migrated database on the test server, made by {@link TestDatabases#newDatabase()}. Hand its
 * {@link #databaseUrl()} to a broker as {@code DATABASE_URL}, or use {@link #dataSource()} directly; several brokers
 * may be started on it one after the other (restart tests).
 *
 * <p>Owns the pools it created: {@link #close()} closes them and drops the database (best effort). Thread-safe.</p>
 */
public final class TestDatabase implements AutoCloseable {

    private final String name;
    private final JdbcTarget target;
    private final JdbcTarget adminToDrop;
    private final List<HikariDataSource> pools = new ArrayList<>();
    private HikariDataSource dataSource;
    private boolean closed;

    TestDatabase(String name, JdbcTarget target, JdbcTarget adminToDrop) {
        this.name = Objects.requireNonNull(name, "name");
        this.target = Objects.requireNonNull(target, "target");
        this.adminToDrop = adminToDrop;
    }

    /** The database's name on the server. */
    public String name() {
        return target.databaseName();
    }

    /** {@code jdbc:postgresql://host:port/name[?params]}. */
    public String jdbcUrl() {
        return target.jdbcUrl();
    }

    /** User to connect as (may be null when the URL carries it). */
    public String user() {
        return target.user();
    }

    /** Password (may be null). */
    public String password() {
        return target.password();
    }

    /** URL, user and password together. */
    public JdbcTarget target() {
        return target;
    }

    /**
     * The database as a {@code DATABASE_URL} value: {@code jdbc:postgresql://…} with the credentials moved into a
     * {@code user:password@} part, which {@link DataSourceFactory#parse} moves back out.
     */
    public String databaseUrl() {
        if (target.user() == null) {
            return target.jdbcUrl();
        }
        String prefix = "jdbc:postgresql://";
        String userInfo = enc(target.user()) + (target.password() == null ? "" : ":" + enc(target.password()));
        return prefix + userInfo + "@" + target.jdbcUrl().substring(prefix.length());
    }

    /** A shared small pool on this database (created on first use, closed by {@link #close()}). */
    public synchronized DataSource dataSource() {
        if (dataSource == null) {
            dataSource = newDataSource(4, 2_000);
        }
        return dataSource;
    }

    /**
     * A new pool on this database, closed by {@link #close()} unless the caller closes it first (e.g. to simulate a
     * broker that stopped).
     */
    public synchronized HikariDataSource newDataSource(int maxPoolSize, long connectionTimeoutMs) {
        if (closed) {
            throw new IllegalStateException("closed");
        }
        HikariDataSource ds = DataSourceFactory.create(target, "test-" + name, maxPoolSize, connectionTimeoutMs);
        pools.add(ds);
        return ds;
    }

    /**
     * Makes the database refuse new connections and ends every session on it except the caller's, simulating an
     * outage of the server (for writer retry tests). Undo with {@link #allowConnections()}.
     */
    public void refuseConnections() {
        adminExecute("ALTER DATABASE " + target.databaseName() + " WITH ALLOW_CONNECTIONS false");
        adminExecute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '"
                + target.databaseName() + "' AND pid <> pg_backend_pid()");
    }

    /** Ends a simulated outage. */
    public void allowConnections() {
        adminExecute("ALTER DATABASE " + target.databaseName() + " WITH ALLOW_CONNECTIONS true");
    }

    /** Closes the pools, then drops the database if {@link TestDatabases} created it. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (HikariDataSource ds : pools) {
            ds.close();
        }
        pools.clear();
        if (adminToDrop != null) {
            try (Connection c = TestDatabases.connect(adminToDrop); Statement st = c.createStatement()) {
                st.execute("DROP DATABASE IF EXISTS " + target.databaseName() + " WITH (FORCE)");
            } catch (SQLException e) {
                // best effort: the server is disposable
            }
        }
    }

    private void adminExecute(String sql) {
        JdbcTarget admin = adminToDrop != null ? adminToDrop : target;
        try (Connection c = TestDatabases.connect(admin); Statement st = c.createStatement()) {
            st.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(sql + ": " + e.getMessage(), e);
        }
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    @Override
    public String toString() {
        return "TestDatabase[" + target.safeUrl() + "]";
    }
}
