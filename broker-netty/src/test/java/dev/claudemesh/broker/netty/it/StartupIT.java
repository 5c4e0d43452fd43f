package dev.claudemesh.broker.netty.it;

import dev.claudemesh.broker.netty.config.BuildInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Startup failures as a supervisor sees them (issue 11 §3; README "Operations"): the broker, started as its own
 * process from the jar, prints exactly one line on stderr — no stack trace — and exits 2 for what only a change of
 * configuration can fix, 1 for what may pass (the database still coming up, the port still held). Also: an
 * unreachable database is retried with back-off and the broker starts once it answers; the port is checked before
 * the database is started; and the jar's own command-line errors.
 */
class StartupIT {

    private static final long EXIT_TIMEOUT_MS = 60_000;

    @TempDir
    Path tmp;

    private static Map<String, String> env(String... pairs) {
        Map<String, String> env = new HashMap<>();
        env.put("BROKER_BIND", "127.0.0.1");
        env.put("BROKER_PORT", "0");
        for (int i = 0; i < pairs.length; i += 2) {
            env.put(pairs[i], pairs[i + 1]);
        }
        return env;
    }

    /** The exit code is {@code code} and stderr is exactly {@code line}; nothing printed a stack trace. */
    private static void assertOneLineExit(BrokerProcess broker, int code, String line) throws Exception {
        int exit = broker.awaitExit(EXIT_TIMEOUT_MS);
        assertThat(exit).as("exit code; stderr:\n%s\nstdout:\n%s", broker.stderrText(), broker.stdoutText())
                .isEqualTo(code);
        assertThat(broker.stderrLines()).containsExactly(line);
        assertNoStackTrace(broker);
        assertThat(broker.stdoutText()).doesNotContain("listening on");
    }

    private static void assertNoStackTrace(BrokerProcess broker) {
        assertThat(broker.stdoutText() + broker.stderrText()).doesNotContain("\tat ").doesNotContain("Caused by");
    }

    @Test
    void shouldExitTwoWithOneLineForADatabaseUrlThatIsNotPostgres() throws Exception {
        try (BrokerProcess broker = BrokerProcess.start(env("DATABASE_URL", "mysql://x"), List.of())) {
            assertOneLineExit(broker, 2, "configuration error: DATABASE_URL: unsupported scheme 'mysql' "
                    + "(expected: postgres://, postgresql:// or jdbc:postgresql://)");
        }
    }

    @Test
    void shouldRetryAnUnreachableDatabaseThenExitOneWithOneLineAndNoSecret() throws Exception {
        int port = TcpForwarder.freePort();
        Map<String, String> env = env("DATABASE_URL", "jdbc:postgresql://127.0.0.1:" + port
                        + "/claudemesh?user=broker&password=SECRET-DB-PASSWORD",
                "DATABASE_CONNECT_TIMEOUT_SECONDS", "3",
                "BROKER_ADMIN_TOKEN", "SECRET-ADMIN-TOKEN", "BROKER_HOOK_TOKEN", "SECRET-HOOK-TOKEN",
                "BROKER_ENCRYPTION_KEY", "5ec2e7" + "0".repeat(52) + "5ec2e7");
        try (BrokerProcess broker = BrokerProcess.start(env, List.of())) {
            int exit = broker.awaitExit(EXIT_TIMEOUT_MS);
            assertThat(exit).as(broker.stderrText()).isEqualTo(1);
            assertThat(broker.stderrLines()).hasSize(1);
            assertThat(broker.stderrLines().get(0)).matches(Pattern.quote("startup failed: DATABASE_URL: cannot "
                    + "connect to jdbc:postgresql://127.0.0.1:" + port + "/claudemesh?user=broker&password=*** "
                    + "within 3 s (") + "\\d+" + Pattern.quote(" attempts): Connection to 127.0.0.1:" + port
                    + " refused.") + ".*");
            // each failed attempt before the deadline is logged (the back-off starts at 0.5 s)
            List<String> attempts = broker.stdoutText().lines()
                    .filter(l -> l.contains("database not reachable (attempt ")).toList();
            assertThat(attempts).hasSizeGreaterThanOrEqualTo(2);
            assertThat(attempts.get(0)).containsPattern("database not reachable \\(attempt 1\\), retrying in 500 ms, "
                    + "giving up in \\d s: Connection to 127\\.0\\.0\\.1:" + port + " refused");
            // the configuration was described once, without a secret
            assertThat(broker.stdoutText().lines().filter(l -> l.contains(" starting: port=0 ")).count()).isOne();
            String all = broker.stdoutText() + broker.stderrText();
            assertThat(all).contains("adminToken=set").doesNotContain("SECRET-").doesNotContain("5ec2e7");
            assertNoStackTrace(broker);
        }
    }

    @Test
    void shouldStartOnceADatabaseThatWasDownComesUp() throws Exception {
        String real = TestDb.newDatabaseUrl();
        Matcher m = Pattern.compile("^jdbc:postgresql://([^:/]+):(\\d+)/").matcher(real);
        assertThat(m.find()).as(real).isTrue();
        int port = TcpForwarder.freePort();
        String proxied = real.replaceFirst("//[^/]+/", "//127.0.0.1:" + port + "/");
        try (BrokerProcess broker = BrokerProcess.start(env("DATABASE_URL", proxied,
                "DATABASE_CONNECT_TIMEOUT_SECONDS", "120"), List.of())) {
            broker.awaitStdout(Pattern.compile("database not reachable \\(attempt 2\\)"), 60_000);
            try (TcpForwarder db = TcpForwarder.start(port, m.group(1), Integer.parseInt(m.group(2)))) {
                int brokerPort = broker.awaitPort(120_000);
                HttpResponse<String> health = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + brokerPort + "/health")).timeout(Duration.ofSeconds(10))
                        .build(), HttpResponse.BodyHandlers.ofString());
                assertThat(health.statusCode()).isEqualTo(200);
                assertThat(health.body()).contains("\"db\":\"up\"")
                        .contains("\"gitSha\":\"" + BuildInfo.gitSha() + "\"");
                broker.sigterm();
                assertThat(broker.awaitExit(EXIT_TIMEOUT_MS)).isZero();
            }
        }
    }

    @Test
    void shouldNameThePortInUseBeforeStartingTheDatabase() throws Exception {
        Path dataDir = tmp.resolve("data");
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
            int port = taken.getLocalPort();
            // the embedded default: had the database been started first, <data>/postgres would exist
            try (BrokerProcess broker = BrokerProcess.start(env("BROKER_PORT", String.valueOf(port),
                    "BROKER_DATA_DIR", dataDir.toString()), List.of())) {
                assertOneLineExit(broker, 1, "startup failed: BROKER_PORT: 127.0.0.1:" + port + " is already in "
                        + "use by another process (stop it, or choose another port with BROKER_PORT or --port)");
                assertThat(dataDir.resolve("postgres")).doesNotExist();
                assertThat(broker.stdoutText()).doesNotContain("database:");
            }
        }
    }

    @Test
    void shouldExitTwoForABindAddressThatCannotBeResolved() throws Exception {
        try (BrokerProcess broker = BrokerProcess.start(env("BROKER_BIND", "no-such-host.invalid",
                "BROKER_DATA_DIR", tmp.resolve("data").toString()), List.of())) {
            assertOneLineExit(broker, 2, "configuration error: BROKER_BIND: 'no-such-host.invalid' cannot be "
                    + "resolved (expected: an IP address or host name of this host, or 0.0.0.0)");
        }
    }

    @Test
    void shouldExitTwoForABindAddressOfAnotherHost() throws Exception {
        try (BrokerProcess broker = BrokerProcess.start(env("BROKER_BIND", "203.0.113.7",
                "BROKER_DATA_DIR", tmp.resolve("data").toString()), List.of())) {
            assertOneLineExit(broker, 2, "configuration error: BROKER_BIND: 203.0.113.7 is not an address of this "
                    + "host (expected: one of its addresses, 127.0.0.1, or 0.0.0.0 for all)");
        }
        assertThat(tmp.resolve("data/postgres")).doesNotExist();
    }

    @Test
    void shouldExitTwoForADataDirectoryThatIsAFile() throws Exception {
        Path file = Files.writeString(tmp.resolve("data"), "not a directory");
        try (BrokerProcess broker = BrokerProcess.start(env("BROKER_DATA_DIR", file.toString()), List.of())) {
            assertOneLineExit(broker, 2, "configuration error: BROKER_DATA_DIR: '" + file + "' is not a directory");
        }
    }

    @Test
    void shouldExitTwoForADataDirectoryThatCannotBeWritten() throws Exception {
        // /proc refuses new directories even to root, which these tests may run as
        try (BrokerProcess broker = BrokerProcess.start(env("BROKER_DATA_DIR", "/proc/claudemesh-data"),
                List.of())) {
            int exit = broker.awaitExit(EXIT_TIMEOUT_MS);
            assertThat(exit).as(broker.stderrText()).isEqualTo(2);
            assertThat(broker.stderrLines()).hasSize(1);
            assertThat(broker.stderrLines().get(0))
                    .startsWith("configuration error: BROKER_DATA_DIR: cannot create '/proc/claudemesh-data': ");
            assertNoStackTrace(broker);
        }
    }

    @Test
    void shouldAnswerTheJarsCommandLineWithoutStartingAnything() throws Exception {
        try (BrokerProcess broker = BrokerProcess.start(env(), List.of("--version"))) {
            assertThat(broker.awaitExit(EXIT_TIMEOUT_MS)).isZero();
            assertThat(broker.stdoutText().strip())
                    .isEqualTo("claudemesh-broker " + BuildInfo.version() + " (commit " + BuildInfo.gitSha() + ")");
        }
        try (BrokerProcess broker = BrokerProcess.start(env(), List.of("help"))) {
            assertThat(broker.awaitExit(EXIT_TIMEOUT_MS)).isZero();
            assertThat(broker.stdoutText()).startsWith("Usage: java -jar claudemesh-broker.jar [serve]")
                    .contains("--status-ttl-seconds").contains("invite");
        }
        try (BrokerProcess broker = BrokerProcess.start(env(), List.of("frobnicate"))) {
            assertThat(broker.awaitExit(EXIT_TIMEOUT_MS)).isEqualTo(2);
            assertThat(broker.stderrLines()).containsExactly("error: unknown command 'frobnicate' "
                            + "(commands: serve, keygen, mesh, member, audit, invite, backup, restore, help)",
                    "see: java -jar claudemesh-broker.jar --help");
        }
        try (BrokerProcess broker = BrokerProcess.start(env(), List.of("mesh", "create", "--name", "x", "--slug",
                "x", "--colour", "red"))) {
            assertThat(broker.awaitExit(EXIT_TIMEOUT_MS)).isEqualTo(2);
            assertThat(broker.stderrLines()).containsExactly("error: unknown option '--colour'",
                    "see: java -jar claudemesh-broker.jar mesh create --help");
        }
    }
}
