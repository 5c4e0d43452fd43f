package dev.claudemesh.broker.db;

import com.zaxxer.hikari.HikariDataSource;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.conf.Settings;
import org.jooq.impl.DSL;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.util.List;
import java.util.Objects;

/**
 * The broker's database: the embedded server (when no {@code DATABASE_URL} is configured), the connection pool and
 * a migrated schema. {@link #open} does all of it at boot; {@link #close()} releases it in reverse order.
 *
 * <p>Owns the pool and, when embedded, the server process. Close the users of {@link #dataSource()} (writer,
 * directory) before closing this. Thread-safe after {@link #open}; {@code open} and {@code close} block.</p>
 */
public final class Database implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Database.class);

    static {
        // jOOQ prints a banner and a "tip of the day" on first use unless told not to.
        if (System.getProperty("org.jooq.no-logo") == null) {
            System.setProperty("org.jooq.no-logo", "true");
        }
        if (System.getProperty("org.jooq.no-tips") == null) {
            System.setProperty("org.jooq.no-tips", "true");
        }
    }

    private final EmbeddedDatabase embedded;
    private final HikariDataSource dataSource;
    private final DataSourceFactory.JdbcTarget target;
    private final DSLContext dsl;
    private final List<Migrator.Applied> appliedAtOpen;

    private Database(EmbeddedDatabase embedded, HikariDataSource dataSource, DataSourceFactory.JdbcTarget target,
                     List<Migrator.Applied> appliedAtOpen) {
        this.embedded = embedded;
        this.dataSource = dataSource;
        this.target = target;
        this.dsl = dsl(dataSource);
        this.appliedAtOpen = appliedAtOpen;
    }

    /**
     * Starts the embedded server if {@code config} names no URL, creates the pool and runs the migrations.
     *
     * @throws DataDirectoryInUseException when the embedded server's data directory is held by another live process
     * @throws IllegalStateException        (or {@link java.io.UncheckedIOException}) when the server cannot be started
     *                                      or reached, or a migration fails; nothing is left running in that case
     */
    public static Database open(DatabaseConfig config) {
        Objects.requireNonNull(config, "config");
        log.info("database: {}", config);
        EmbeddedDatabase embedded = null;
        HikariDataSource ds = null;
        try {
            DataSourceFactory.JdbcTarget target;
            if (config.embedded()) {
                embedded = EmbeddedDatabase.start(config.dataDir(), config.embeddedPort());
                target = embedded.target();
            } else {
                target = DataSourceFactory.parse(config.databaseUrl());
            }
            ds = DataSourceFactory.create(target, "broker-db", config.maxPoolSize(), config.connectionTimeoutMs());
            // Flyway holds up to three connections at once: not taken from a pool that may be as small as two
            List<Migrator.Applied> applied = new Migrator(DataSourceFactory.unpooled(target)).migrate();
            return new Database(embedded, ds, target, applied);
        } catch (RuntimeException e) {
            if (ds != null) {
                ds.close();
            }
            if (embedded != null) {
                embedded.close();
            }
            throw e;
        }
    }

    /**
     * A jOOQ context for PostgreSQL over {@code dataSource}, with execute logging off (jOOQ's DEBUG logging would
     * print bind values, i.e. nonces and ciphertexts). Thread-safe; each query borrows and returns a connection.
     */
    public static DSLContext dsl(DataSource dataSource) {
        Objects.requireNonNull(dataSource, "dataSource");
        return DSL.using(dataSource, SQLDialect.POSTGRES, settings());
    }

    /** The jOOQ settings used by every context of this module. */
    public static Settings settings() {
        return new Settings().withExecuteLogging(false).withRenderSchema(true);
    }

    /** The pool. Shared by the writer, the member directory and the admin repository. */
    public DataSource dataSource() {
        return dataSource;
    }

    /** A jOOQ context over {@link #dataSource()}. */
    public DSLContext dsl() {
        return dsl;
    }

    /** Where the pool connects (the password is never shown by its {@code toString}). */
    public DataSourceFactory.JdbcTarget target() {
        return target;
    }

    /** True when this instance runs the embedded server. */
    public boolean embedded() {
        return embedded != null;
    }

    /** The migrations {@link #open} applied (empty when the schema was already up to date). */
    public List<Migrator.Applied> appliedAtOpen() {
        return appliedAtOpen;
    }

    /** Closes the pool, then stops the embedded server if there is one. Idempotent. */
    @Override
    public void close() {
        try {
            dataSource.close();
        } finally {
            if (embedded != null) {
                embedded.close();
            }
        }
    }

    @Override
    public String toString() {
        return "Database[" + target.safeUrl() + (embedded != null ? ", embedded in " + embedded.dataDirectory() : "")
                + "]";
    }
}
