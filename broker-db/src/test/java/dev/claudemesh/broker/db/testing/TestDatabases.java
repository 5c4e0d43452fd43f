package dev.claudemesh.broker.db.testing;

import dev.claudemesh.broker.db.DataSourceFactory;
import dev.claudemesh.broker.db.DataSourceFactory.JdbcTarget;
import dev.claudemesh.broker.db.EmbeddedDatabase;
import dev.claudemesh.broker.db.Migrator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Comparator;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * The real PostgreSQL that integration tests run against (DESIGN "Persistence": no mocks of the database), picked
 * once per JVM, in this order:
 * <ol>
 *   <li>{@code BROKER_TEST_DATABASE_URL} (environment or system property), any form
 *       {@link DataSourceFactory#parse} accepts: a server CI provides;</li>
 *   <li>a Testcontainers PostgreSQL, when Testcontainers is on the test classpath and a Docker engine is
 *       reachable (checked without throwing);</li>
 *   <li>one embedded PostgreSQL (zonky) per JVM, started lazily in a temporary directory and stopped by a shutdown
 *       hook.</li>
 * </ol>
 * {@link #newDatabase()} creates a fresh, uniquely named, migrated database on that server for each caller, so test
 * classes (and broker instances) are isolated from each other, and a test can start a broker again on the same
 * database to test restarts.
 *
 * <p>Thread-safe. Shipped in broker-db's test-jar for broker-netty's integration tests.</p>
 */
public final class TestDatabases {

    private static final Logger log = LoggerFactory.getLogger(TestDatabases.class);

    /** Names the external test server. */
    public static final String URL_VARIABLE = "BROKER_TEST_DATABASE_URL";
    /** Set (to anything) to skip the Testcontainers attempt even when Docker is reachable. */
    public static final String NO_DOCKER_VARIABLE = "BROKER_TEST_NO_DOCKER";

    private static volatile Server server;

    private TestDatabases() {
    }

    /**
     * A fresh database, with the migrations applied, on this JVM's test server. The caller closes it (which closes
     * its pools and drops the database, best effort).
     */
    public static TestDatabase newDatabase() {
        Server s = server();
        String name = "cm_" + UUID.randomUUID().toString().replace("-", "").substring(0, 20).toLowerCase(Locale.ROOT);
        JdbcTarget target;
        boolean created;
        try (Connection c = connect(s.admin()); Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE " + name);
            target = s.admin().withDatabase(name);
            created = true;
        } catch (SQLException e) {
            if (!"42501".equals(e.getSQLState())) {
                throw new IllegalStateException("cannot create test database on " + s.describe() + ": "
                        + e.getMessage(), e);
            }
            // No CREATEDB privilege: share the configured database (tests use fresh meshes, so they still pass).
            log.warn("no privilege to create databases on {}; tests share database {}", s.describe(),
                    s.admin().databaseName());
            target = s.admin();
            created = false;
        }
        TestDatabase db = new TestDatabase(name, target, created ? s.admin() : null);
        new Migrator(db.dataSource()).migrate();
        return db;
    }

    /** Which server the tests use, e.g. {@code embedded PostgreSQL at localhost:34567}. */
    public static String serverDescription() {
        return server().describe();
    }

    /** Opens a plain JDBC connection (no pool) to {@code target}. */
    static Connection connect(JdbcTarget target) throws SQLException {
        Properties p = new Properties();
        if (target.user() != null) {
            p.setProperty("user", target.user());
        }
        if (target.password() != null) {
            p.setProperty("password", target.password());
        }
        return DriverManager.getConnection(target.jdbcUrl(), p);
    }

    private static Server server() {
        Server s = server;
        if (s == null) {
            synchronized (TestDatabases.class) {
                s = server;
                if (s == null) {
                    s = pick();
                    server = s;
                    log.info("integration tests use {}", s.describe());
                }
            }
        }
        return s;
    }

    private static Server pick() {
        String url = setting(URL_VARIABLE);
        if (url != null) {
            JdbcTarget t = DataSourceFactory.parse(url);
            return new Server(t, URL_VARIABLE + " (" + t.safeUrl() + ")");
        }
        if (setting(NO_DOCKER_VARIABLE) == null && dockerMayBeReachable()) {
            try {
                Server s = ContainerServer.tryStart();
                if (s != null) {
                    return s;
                }
            } catch (LinkageError | RuntimeException e) {
                // Testcontainers missing from this classpath, or Docker refused: fall through to embedded.
                log.info("Testcontainers unavailable ({}); using embedded PostgreSQL", e.toString());
            }
        }
        return startEmbedded();
    }

    /** Cheap pre-check so that a machine without Docker does not pay for Testcontainers' probing. */
    private static boolean dockerMayBeReachable() {
        if (System.getenv("DOCKER_HOST") != null) {
            return true;
        }
        String home = System.getProperty("user.home", "");
        return Files.exists(Path.of("/var/run/docker.sock"))
                || Files.exists(Path.of(home, ".docker", "run", "docker.sock"))
                || Files.exists(Path.of(home, ".testcontainers.properties"));
    }

    private static Server startEmbedded() {
        try {
            Path dir = Files.createTempDirectory("broker-test-pg");
            // A test server: speed over durability, and room for many pools.
            EmbeddedDatabase pg = EmbeddedDatabase.start(dir, 0, Map.of(
                    "fsync", "off",
                    "synchronous_commit", "off",
                    "full_page_writes", "off",
                    "max_connections", "300"));
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    pg.close();
                } finally {
                    deleteTree(dir);
                }
            }, "broker-test-pg-shutdown"));
            return new Server(pg.target(), "embedded PostgreSQL at localhost:" + pg.port());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort: a temp dir
        }
    }

    private static String setting(String name) {
        String v = System.getProperty(name);
        if (v == null || v.isBlank()) {
            v = System.getenv(name);
        }
        return v == null || v.isBlank() ? null : v.trim();
    }

    /** A server that can create databases: a superuser connection to its maintenance database. */
    record Server(JdbcTarget admin, String describe) {
    }

    /**
     * Everything that touches Testcontainers, in its own class so that it is only loaded (and only needs to be on
     * the classpath) when Docker may be reachable.
     */
    private static final class ContainerServer {

        static Server tryStart() {
            if (!org.testcontainers.DockerClientFactory.instance().isDockerAvailable()) {
                return null;
            }
            org.testcontainers.containers.PostgreSQLContainer<?> c =
                    new org.testcontainers.containers.PostgreSQLContainer<>("postgres:16-alpine");
            c.start();
            // Ryuk removes the container when the JVM exits.
            return new Server(new JdbcTarget(c.getJdbcUrl(), c.getUsername(), c.getPassword()),
                    "Testcontainers " + c.getDockerImageName() + " at " + c.getHost() + ":" + c.getFirstMappedPort());
        }
    }
}
