package dev.claudemesh.broker.netty.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What an operator sees when a configuration value is bad (DESIGN "Operations"): the broker, started as its own
 * process from the jar, prints one {@code configuration error: …} line naming the variable on stderr and exits 2
 * before it touches the database or binds a port. The full set of messages is unit-tested in
 * {@code BrokerConfigTest}; these runs show the operator-visible text end to end.
 */
class ConfigIT {

    private static final long EXIT_TIMEOUT_MS = 60_000;

    @TempDir
    Path dataDir;

    /**
     * A base environment that would fail fast (unreachable database, private data dir) if the bad value were
     * accepted by mistake, so a regression cannot start an embedded PostgreSQL in the working directory.
     */
    private Map<String, String> env(String... pairs) {
        Map<String, String> env = new HashMap<>();
        env.put("DATABASE_URL", "jdbc:postgresql://127.0.0.1:1/unreachable?user=nobody");
        env.put("BROKER_DATA_DIR", dataDir.toString());
        env.put("BROKER_BIND", "127.0.0.1");
        for (int i = 0; i < pairs.length; i += 2) {
            env.put(pairs[i], pairs[i + 1]);
        }
        return env;
    }

    private static void assertConfigError(BrokerProcess broker, String expectedLine) throws Exception {
        int code = broker.awaitExit(EXIT_TIMEOUT_MS);
        assertThat(code).as("exit code; stderr:\n%s", broker.stderrText()).isEqualTo(2);
        assertThat(broker.stderrLines()).contains(expectedLine);
        assertThat(broker.stdoutText()).doesNotContain("listening on");
    }

    @Test
    void shouldExitTwoNamingNonNumericPort() throws Exception {
        try (BrokerProcess broker = BrokerProcess.start(env("BROKER_PORT", "abc"), List.of())) {
            assertConfigError(broker, "configuration error: BROKER_PORT: 'abc' is not an integer (expected: 0..65535)");
        }
    }

    @Test
    void shouldNameTheVariableWhenTheBadValueCameFromAFlag() throws Exception {
        try (BrokerProcess broker = BrokerProcess.start(env(), List.of("serve", "--port", "seventy"))) {
            assertConfigError(broker,
                    "configuration error: BROKER_PORT: 'seventy' is not an integer (expected: 0..65535)");
        }
    }

    @Test
    void shouldExitTwoOnNegativeStatusTtl() throws Exception {
        try (BrokerProcess broker = BrokerProcess.start(env("STATUS_TTL_SECONDS", "-5"), List.of())) {
            assertConfigError(broker, "configuration error: STATUS_TTL_SECONDS: -5 is out of range (expected: 1..86400)");
        }
    }

    @Test
    void shouldExitTwoOnUnreadableCertificate() throws Exception {
        String cert = dataDir.resolve("missing/broker.crt").toString();
        String key = dataDir.resolve("missing/broker.key").toString();
        try (BrokerProcess broker = BrokerProcess.start(env("BROKER_TLS_CERT", cert, "BROKER_TLS_KEY", key),
                List.of())) {
            assertConfigError(broker, "configuration error: BROKER_TLS_CERT: cannot read file '" + cert + "'");
        }
    }

    @Test
    void shouldExitTwoOnUnknownFlag() throws Exception {
        try (BrokerProcess broker = BrokerProcess.start(env(), List.of("--status-ttl", "5"))) {
            int code = broker.awaitExit(EXIT_TIMEOUT_MS);
            assertThat(code).isEqualTo(2);
            assertThat(broker.stderrLines().get(0)).startsWith("configuration error: unknown option '--status-ttl' "
                    + "(did you mean --status-ttl-seconds");
        }
    }
}
