package dev.claudemesh.broker.netty.startup;

import dev.claudemesh.broker.db.DatabaseConfig;
import org.junit.jupiter.api.Test;

import java.net.ConnectException;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link DatabaseStartup} with a scripted opener and a manual clock that the sleeper advances: the back-off
 * schedule, the bound, and which failures are retried, without waiting.
 */
class DatabaseStartupTest {

    private static final DatabaseConfig EXTERNAL = DatabaseConfig.defaults()
            .withDatabaseUrl("postgres://broker:hunter2@db.example:5432/claudemesh");

    private long nowMs = 1_000_000;
    private final List<Long> sleeps = new ArrayList<>();
    private int attempts;

    private <D> D open(DatabaseConfig config, long timeoutMs, Supplier<D> opener) {
        return DatabaseStartup.open(config, () -> {
            attempts++;
            return opener.get();
        }, timeoutMs, () -> nowMs, ms -> {
            sleeps.add(ms);
            nowMs += ms;
        });
    }

    /** What the pool throws when the server refuses the connection. */
    private static RuntimeException refused() {
        SQLException driver = new SQLException("Connection to db.example:5432 refused. Check that the hostname and "
                + "port are correct.\nsecond line", "08001", new ConnectException("Connection refused"));
        return new RuntimeException("Failed to initialize pool: " + driver.getMessage(), driver);
    }

    @Test
    void shouldRetryAnUnreachableServerWithBackOffUntilItAnswers() {
        String db = open(EXTERNAL, 60_000, () -> {
            if (attempts < 5) {
                throw refused();
            }
            return "open";
        });
        assertThat(db).isEqualTo("open");
        assertThat(attempts).isEqualTo(5);
        assertThat(sleeps).containsExactly(500L, 1_000L, 2_000L, 4_000L);
    }

    @Test
    void shouldGiveUpAfterTheTimeoutWithOneLineNamingTheVariableAndNoPassword() {
        assertThatThrownBy(() -> open(EXTERNAL, 20_000, () -> {
            throw refused();
        })).isInstanceOfSatisfying(StartupException.class, e -> {
            assertThat(e.exitCode()).isEqualTo(StartupException.RUNTIME);
            assertThat(e.getMessage()).isEqualTo("DATABASE_URL: cannot connect to "
                    + "jdbc:postgresql://db.example:5432/claudemesh within 20 s (7 attempts): Connection to "
                    + "db.example:5432 refused. Check that the hostname and port are correct.")
                    .doesNotContain("hunter2").doesNotContain("\n");
        });
        // 0.5 + 1 + 2 + 4 + 8 + 4.5 (capped at the deadline) = 20 s; the back-off never exceeds 8 s
        assertThat(sleeps).containsExactly(500L, 1_000L, 2_000L, 4_000L, 8_000L, 4_500L);
        assertThat(nowMs).isEqualTo(1_020_000);
    }

    @Test
    void shouldTryOnceWhenTheTimeoutIsZero() {
        assertThatThrownBy(() -> open(EXTERNAL, 0, () -> {
            throw refused();
        })).hasMessageContaining("within 0 s (1 attempt)");
        assertThat(sleeps).isEmpty();
    }

    @Test
    void shouldTreatRefusedCredentialsAndAMissingDatabaseAsConfigurationErrors() {
        assertThatThrownBy(() -> open(EXTERNAL, 60_000, () -> {
            throw new RuntimeException(new SQLException("FATAL: password authentication failed for user \"broker\"",
                    "28P01"));
        })).isInstanceOfSatisfying(StartupException.class, e -> {
            assertThat(e.exitCode()).isEqualTo(StartupException.CONFIGURATION);
            assertThat(e.getMessage()).isEqualTo("DATABASE_URL: jdbc:postgresql://db.example:5432/claudemesh refused "
                    + "the credentials: FATAL: password authentication failed for user \"broker\"");
        });
        assertThatThrownBy(() -> open(EXTERNAL, 60_000, () -> {
            throw new RuntimeException(new SQLException("FATAL: database \"claudemesh\" does not exist", "3D000"));
        })).isInstanceOfSatisfying(StartupException.class,
                e -> assertThat(e.exitCode()).isEqualTo(StartupException.CONFIGURATION));
        assertThat(sleeps).isEmpty();
    }

    @Test
    void shouldNotRetryOtherFailuresNorTheEmbeddedServer() {
        assertThatThrownBy(() -> open(EXTERNAL, 60_000, () -> {
            throw new IllegalStateException("migration V9 failed: boom");
        })).isInstanceOfSatisfying(StartupException.class, e -> {
            assertThat(e.exitCode()).isEqualTo(StartupException.RUNTIME);
            assertThat(e.getMessage()).isEqualTo("database: jdbc:postgresql://db.example:5432/claudemesh: "
                    + "migration V9 failed: boom");
        });
        DatabaseConfig embedded = DatabaseConfig.defaults().withDataDir(Path.of("/srv/broker"));
        assertThatThrownBy(() -> open(embedded, 60_000, () -> {
            throw refused();
        })).isInstanceOfSatisfying(StartupException.class, e -> {
            assertThat(e.exitCode()).isEqualTo(StartupException.RUNTIME);
            assertThat(e.getMessage()).startsWith("database: cannot start the embedded PostgreSQL in /srv/broker/postgres: ");
        });
        assertThat(attempts).isEqualTo(2);
        assertThat(sleeps).isEmpty();
    }

    @Test
    void shouldClassifyByTheFirstSqlStateOrNetworkException() {
        assertThat(DatabaseStartup.classify(new RuntimeException(new ConnectException("x"))))
                .isEqualTo(DatabaseStartup.Failure.UNREACHABLE);
        assertThat(DatabaseStartup.classify(new SQLException("starting up", "57P03")))
                .isEqualTo(DatabaseStartup.Failure.UNREACHABLE);
        assertThat(DatabaseStartup.classify(new SQLException("too many clients", "53300")))
                .isEqualTo(DatabaseStartup.Failure.UNREACHABLE);
        assertThat(DatabaseStartup.classify(new SQLException("syntax", "42601")))
                .isEqualTo(DatabaseStartup.Failure.OTHER);
        assertThat(DatabaseStartup.classify(new IllegalStateException("x"))).isEqualTo(DatabaseStartup.Failure.OTHER);
    }
}
