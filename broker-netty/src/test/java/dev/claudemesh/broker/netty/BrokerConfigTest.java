package dev.claudemesh.broker.netty;

import dev.claudemesh.broker.core.BrokerSettings;
import dev.claudemesh.broker.netty.cli.Cli;
import dev.claudemesh.broker.netty.config.BuildInfo;
import dev.claudemesh.broker.netty.config.ConfigException;
import dev.claudemesh.broker.netty.config.Setting;
import dev.claudemesh.broker.netty.config.Settings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link BrokerConfig}: defaults (PROTOCOL §8), environment and flag precedence, the derived domain settings, and one
 * startup error per kind of bad value with the exact text the operator sees.
 */
class BrokerConfigTest {

    private static BrokerConfig load(Map<String, String> env, String... args) {
        return BrokerConfig.load(env, List.of(args));
    }

    private static void assertRejected(Map<String, String> env, String expectedMessage, String... args) {
        assertThatThrownBy(() -> load(env, args))
                .isInstanceOf(ConfigException.class)
                .hasMessage(expectedMessage);
    }

    @Test
    void shouldUseProtocolDefaultsWhenNothingIsSet() {
        BrokerConfig c = load(Map.of());
        assertThat(c.port()).isEqualTo(7900);
        assertThat(c.bindAddress()).isEqualTo("0.0.0.0");
        assertThat(c.databaseUrl()).isNull();
        assertThat(c.dataDir()).isEqualTo("./data");
        assertThat(c.statusTtlSeconds()).isEqualTo(60);
        assertThat(c.hookFreshWindowSeconds()).isEqualTo(30);
        assertThat(c.maxConnectionsPerMesh()).isEqualTo(100);
        assertThat(c.maxMessageBytes()).isEqualTo(65536);
        assertThat(c.hookRateLimitPerMin()).isEqualTo(30);
        assertThat(c.sendRateLimitPerMin()).isEqualTo(60);
        assertThat(c.sendRateBurst()).isEqualTo(10);
        assertThat(c.joinRateLimitPerMin()).isEqualTo(10);
        assertThat(c.hookToken()).isNull();
        assertThat(c.adminToken()).isNull();
        assertThat(c.publicUrl()).isNull();
        assertThat(c.encryptionKeyHex()).isNull();
        assertThat(c.gitSha()).isEqualTo(BuildInfo.gitSha());
        assertThat(c.tlsCert()).isNull();
        assertThat(c.tlsKey()).isNull();
        assertThat(c.logFormat()).isEqualTo("text");
        assertThat(c.graceMs()).isEqualTo(90_000);
        assertThat(c.redeliveryMs()).isEqualTo(30_000);
        assertThat(c.helloTimeoutMs()).isEqualTo(10_000);
        assertThat(c.statusSweepMs()).isEqualTo(15_000);
        assertThat(c.maxFrameBytes()).isEqualTo(65536 + 16384);
        // the pipeline's protocol values and the wiring's former literals
        assertThat(c.pingIntervalMs()).isEqualTo(30_000);
        assertThat(c.staleTimeoutMs()).isEqualTo(75_000);
        assertThat(c.maxHeaderBytes()).isEqualTo(16 * 1024);
        assertThat(c.blockingThreads()).isEqualTo(4);
        assertThat(c.httpRequestTimeoutMs()).isEqualTo(30_000);
        assertThat(c.socketWriteLowWaterBytes()).isEqualTo(256 * 1024);
        assertThat(c.socketWriteHighWaterBytes()).isEqualTo(1024 * 1024);
        assertThat(c.shutdownCloseMs()).isEqualTo(3_000);
        assertThat(c.shutdownFlushMs()).isEqualTo(5_000);
        assertThat(c.databaseConnectTimeoutSeconds()).isEqualTo(60);
        assertThat(c.logLevel()).isEqualTo("INFO");
    }

    @Test
    void shouldLetGitShaOverrideTheBuildsCommit() {
        assertThat(load(Map.of("GIT_SHA", "0123abc")).gitSha()).isEqualTo("0123abc");
    }

    @Test
    void shouldDeriveProtocolDefaultSettings() {
        assertThat(load(Map.of()).settings()).isEqualTo(BrokerSettings.defaults());
    }

    @Test
    void shouldCarryEveryTimingKnobIntoSettings() {
        BrokerSettings s = load(Map.of("STATUS_TTL_SECONDS", "2", "HOOK_FRESH_WINDOW_SECONDS", "3",
                "BROKER_STATUS_SWEEP_MS", "250", "BROKER_GRACE_MS", "1500", "BROKER_REDELIVERY_MS", "700",
                "HOOK_RATE_LIMIT_PER_MIN", "5", "MAX_CONNECTIONS_PER_MESH", "7", "MAX_MESSAGE_BYTES", "2048",
                "SEND_RATE_LIMIT_PER_MIN", "0", "SEND_RATE_BURST", "4")).settings();
        assertThat(s.statusTtlMs()).isEqualTo(2_000);
        assertThat(s.hookFreshWindowMs()).isEqualTo(3_000);
        assertThat(s.statusSweepMs()).isEqualTo(250);
        assertThat(s.graceMs()).isEqualTo(1_500);
        assertThat(s.redeliveryMs()).isEqualTo(700);
        assertThat(s.hookRateLimitPerMin()).isEqualTo(5);
        assertThat(s.maxConnectionsPerMesh()).isEqualTo(7);
        assertThat(s.maxMessageBytes()).isEqualTo(2048);
        assertThat(s.sendRateLimitPerMin()).isZero();
        assertThat(s.sendRateBurst()).isEqualTo(4);
        // the protocol's constants stay constants
        BrokerSettings d = BrokerSettings.defaults();
        assertThat(s.skewMs()).isEqualTo(d.skewMs());
        assertThat(s.pendingHookMs()).isEqualTo(d.pendingHookMs());
        assertThat(s.dmExpiryMs()).isEqualTo(d.dmExpiryMs());
    }

    @Test
    void shouldTreatEmptyVariableAsUnset() {
        BrokerConfig c = load(Map.of("BROKER_PORT", "", "BROKER_HOOK_TOKEN", ""));
        assertThat(c.port()).isEqualTo(7900);
        assertThat(c.hookToken()).isNull();
    }

    @Test
    void shouldLetFlagsOverrideEnvironmentInBothSpellings() {
        BrokerConfig c = load(Map.of("BROKER_PORT", "8000", "STATUS_TTL_SECONDS", "90"),
                "--port", "9000", "--status-ttl-seconds=5", "--hook-token", "s3cret");
        assertThat(c.port()).isEqualTo(9000);
        assertThat(c.statusTtlSeconds()).isEqualTo(5);
        assertThat(c.hookToken()).isEqualTo("s3cret");
    }

    @Test
    void shouldNameFlagsAfterVariables() {
        assertThat(Settings.PORT.flag()).isEqualTo("--port");
        assertThat(Settings.STATUS_TTL_SECONDS.flag()).isEqualTo("--status-ttl-seconds");
        assertThat(Settings.DATABASE_URL.flag()).isEqualTo("--database-url");
        assertThat(Settings.TLS_CERT.flag()).isEqualTo("--tls-cert");
        assertThat(Settings.ALL).extracting(Setting::env).doesNotHaveDuplicates();
        assertThat(Settings.ALL).extracting(Setting::flag).doesNotHaveDuplicates();
        assertThat(Settings.ALL).extracting(Setting::key).doesNotHaveDuplicates();
        for (Setting<?> s : Settings.ALL) {
            assertThat(Settings.byFlag(s.flag())).isSameAs(s);
        }
    }

    @Test
    void shouldAcceptEveryDefaultItDocuments() {
        // each setting's own default parses (a default out of its range would fail every start)
        for (Setting<?> s : Settings.ALL) {
            if (s.defaultText() != null) {
                assertThat(s.parse(s.defaultText())).as(s.env()).isNotNull();
            }
        }
    }

    @Test
    void shouldRejectNonNumericPort() {
        assertRejected(Map.of("BROKER_PORT", "abc"), "BROKER_PORT: 'abc' is not an integer (expected: 0..65535)");
        assertRejected(Map.of(), "BROKER_PORT: 'http' is not an integer (expected: 0..65535)", "--port", "http");
    }

    @Test
    void shouldRejectPortOutOfRange() {
        assertRejected(Map.of("BROKER_PORT", "70000"), "BROKER_PORT: 70000 is out of range (expected: 0..65535)");
    }

    @Test
    void shouldRejectNegativeStatusTtl() {
        assertRejected(Map.of("STATUS_TTL_SECONDS", "-5"),
                "STATUS_TTL_SECONDS: -5 is out of range (expected: 1..86400)");
    }

    @Test
    void shouldRejectZeroStatusTtlButAllowZeroFreshWindow() {
        assertRejected(Map.of("STATUS_TTL_SECONDS", "0"),
                "STATUS_TTL_SECONDS: 0 is out of range (expected: 1..86400)");
        assertThat(load(Map.of("HOOK_FRESH_WINDOW_SECONDS", "0")).hookFreshWindowSeconds()).isZero();
    }

    @Test
    void shouldRejectMessageLimitBelowOneKibibyte() {
        assertRejected(Map.of("MAX_MESSAGE_BYTES", "100"),
                "MAX_MESSAGE_BYTES: 100 is out of range (expected: 1024..16777216)");
    }

    @Test
    void shouldRejectNonPositiveSweepPeriod() {
        assertRejected(Map.of("BROKER_STATUS_SWEEP_MS", "0"),
                "BROKER_STATUS_SWEEP_MS: 0 is out of range (expected: 1..3600000)");
    }

    @Test
    void shouldRejectUnreadableCertificate(@TempDir Path dir) throws Exception {
        Path key = Files.writeString(dir.resolve("key.pem"), "not checked here");
        String missing = dir.resolve("missing-cert.pem").toString();
        assertRejected(Map.of("BROKER_TLS_CERT", missing, "BROKER_TLS_KEY", key.toString()),
                "BROKER_TLS_CERT: cannot read file '" + missing + "'");
        // a directory is not a certificate file either
        assertRejected(Map.of("BROKER_TLS_CERT", dir.toString(), "BROKER_TLS_KEY", key.toString()),
                "BROKER_TLS_CERT: cannot read file '" + dir + "'");
    }

    @Test
    void shouldRejectUnreadableKey(@TempDir Path dir) throws Exception {
        Path cert = Files.writeString(dir.resolve("cert.pem"), "not checked here");
        String missing = dir.resolve("missing-key.pem").toString();
        assertRejected(Map.of("BROKER_TLS_CERT", cert.toString(), "BROKER_TLS_KEY", missing),
                "BROKER_TLS_KEY: cannot read file '" + missing + "'");
    }

    @Test
    void shouldRequireCertificateAndKeyTogether(@TempDir Path dir) throws Exception {
        Path cert = Files.writeString(dir.resolve("cert.pem"), "x");
        assertRejected(Map.of("BROKER_TLS_CERT", cert.toString()),
                "BROKER_TLS_CERT and BROKER_TLS_KEY must be set together");
        assertRejected(Map.of("BROKER_TLS_KEY", cert.toString()),
                "BROKER_TLS_CERT and BROKER_TLS_KEY must be set together");
    }

    @Test
    void shouldRejectMalformedEncryptionKeyPublicUrlAndLogFormat() {
        assertRejected(Map.of("BROKER_ENCRYPTION_KEY", "abcd"),
                "BROKER_ENCRYPTION_KEY: must be 64 hex chars (32 bytes)");
        assertRejected(Map.of("BROKER_PUBLIC_URL", "http://example.com/ws"),
                "BROKER_PUBLIC_URL: 'http://example.com/ws' (expected: a ws:// or wss:// URL)");
        assertRejected(Map.of("BROKER_LOG_FORMAT", "xml"), "BROKER_LOG_FORMAT: 'xml' (expected: one of text, json)");
        assertRejected(Map.of("BROKER_LOG_LEVEL", "loud"),
                "BROKER_LOG_LEVEL: 'loud' (expected: one of ERROR, WARN, INFO, DEBUG, TRACE)");
        assertThat(load(Map.of("BROKER_LOG_LEVEL", "debug")).logLevel()).isEqualTo("DEBUG");
    }

    @Test
    void shouldRejectADatabaseUrlThatIsNotPostgresWithoutQuotingIt() {
        assertRejected(Map.of("DATABASE_URL", "mysql://root:hunter2@db/x"),
                "DATABASE_URL: unsupported scheme 'mysql' (expected: postgres://, postgresql:// or jdbc:postgresql://)");
        assertRejected(Map.of("DATABASE_URL", "hunter2"),
                "DATABASE_URL: unsupported scheme '' (expected: postgres://, postgresql:// or jdbc:postgresql://)");
        assertRejected(Map.of("DATABASE_URL", "postgres://u:hunter2@/x"), "DATABASE_URL: missing host");
    }

    @Test
    void shouldRejectContradictingTimingAndBufferSettings() {
        assertRejected(Map.of("BROKER_PING_INTERVAL_MS", "80000"),
                "BROKER_PING_INTERVAL_MS: 80000 (expected: < BROKER_STALE_TIMEOUT_MS=75000)");
        assertRejected(Map.of("BROKER_WRITER_LOW_WATER", "60000"),
                "BROKER_WRITER_LOW_WATER: 60000 (expected: < BROKER_WRITER_HIGH_WATER=50000)");
        assertRejected(Map.of("BROKER_SOCKET_WRITE_LOW_WATER_BYTES", "2097152"),
                "BROKER_SOCKET_WRITE_LOW_WATER_BYTES: 2097152 (expected: < BROKER_SOCKET_WRITE_HIGH_WATER_BYTES=1048576)");
        assertRejected(Map.of("DATABASE_CONNECT_TIMEOUT_SECONDS", "-1"),
                "DATABASE_CONNECT_TIMEOUT_SECONDS: -1 is out of range (expected: 0..3600)");
    }

    @Test
    void shouldRejectUnknownFlagMissingValueAndRepeatedFlag() {
        assertRejected(Map.of(), "Unknown options: '--prot', '1'", "--prot", "1");
        assertRejected(Map.of(), "Missing required parameter for option '--port' (<n>)", "--port");
        assertRejected(Map.of(), "option '--port' (<n>) should be specified only once", "--port", "1", "--port=2");
    }

    @Test
    void shouldDescribeWithoutSecrets() {
        Map<String, String> env = new HashMap<>();
        env.put("DATABASE_URL", "postgres://broker:hunter2@db:5432/claudemesh");
        env.put("BROKER_HOOK_TOKEN", "hook-secret");
        env.put("BROKER_ADMIN_TOKEN", "admin-secret");
        env.put("BROKER_ENCRYPTION_KEY", "ab".repeat(32));
        String d = load(env).describe();
        assertThat(d).contains("database=postgres://broker:***@db:5432/claudemesh")
                .contains("hookToken=set").contains("adminToken=set").contains("encryptionKey=set")
                .contains("statusSweepMs=15000")
                .doesNotContain("hunter2").doesNotContain("hook-secret").doesNotContain("admin-secret")
                .doesNotContain("abab");
        assertThat(load(Map.of("DATABASE_URL", "jdbc:postgresql://db/x?user=u&password=pw")).describe())
                .contains("password=***").doesNotContain("pw&").doesNotContain("=pw");
    }

    /** A recognisable value for each secret setting (the encryption key must still be 64 hex to be accepted). */
    private static String secretValue(Setting<?> s) {
        return s == Settings.ENCRYPTION_KEY ? "5ec2e75ec2e7" + "0".repeat(40) + "5ec2e75ec2e7" : "SECRET-" + s.env() + "-VALUE";
    }

    /** The parts of a secret value that must never be shown (the encryption key's recognisable ends). */
    private static List<String> fragments(Setting<?> s) {
        return s == Settings.ENCRYPTION_KEY ? List.of(secretValue(s), "5ec2e75ec2e7") : List.of(secretValue(s));
    }

    @Test
    void shouldShowNoSecretValueInToStringDescriptionOrHelp() {
        List<Setting<?>> secrets = Settings.ALL.stream().filter(Setting::secret).toList();
        assertThat(secrets).contains(Settings.HOOK_TOKEN, Settings.ADMIN_TOKEN, Settings.ENCRYPTION_KEY);
        Map<String, String> env = new HashMap<>();
        for (Setting<?> s : secrets) {
            env.put(s.env(), secretValue(s));
        }
        env.put("DATABASE_URL", "postgres://broker:DBPASS-VALUE@db:5432/claudemesh?password=DBPASS-PARAM");
        List<String> never = new ArrayList<>(List.of("DBPASS-VALUE", "DBPASS-PARAM"));
        secrets.forEach(s -> never.addAll(fragments(s)));

        BrokerConfig fromEnv = load(env);
        List<String> flags = new ArrayList<>();
        for (Setting<?> s : secrets) {
            flags.add(s.flag());
            flags.add(secretValue(s));
        }
        BrokerConfig fromFlags = load(Map.of("DATABASE_URL", env.get("DATABASE_URL")), flags.toArray(String[]::new));
        ByteArrayOutputStream help = new ByteArrayOutputStream();
        PrintStream helpOut = new PrintStream(help, true, StandardCharsets.UTF_8);
        assertThat(Cli.run(new String[] {"serve", "--help"}, env, helpOut, helpOut))
                .isZero();

        for (String shown : List.of(fromEnv.toString(), fromEnv.describe(), fromFlags.toString(),
                fromFlags.describe(), help.toString(StandardCharsets.UTF_8))) {
            assertThat(shown).isNotEmpty();
            for (String secret : never) {
                assertThat(shown).doesNotContain(secret);
            }
        }
        // the secrets are there, only not shown
        assertThat(fromEnv.adminToken()).isEqualTo(secretValue(Settings.ADMIN_TOKEN));
        assertThat(fromFlags.hookToken()).isEqualTo(secretValue(Settings.HOOK_TOKEN));
        assertThat(fromEnv.describe()).contains("adminToken=set", "hookToken=set", "encryptionKey=set",
                "database=postgres://broker:***@db:5432/claudemesh?password=***");
        // nor does a refusal quote a secret
        assertThatThrownBy(() -> load(Map.of("BROKER_ENCRYPTION_KEY", "SECRET-BUT-NOT-HEX")))
                .hasMessage("BROKER_ENCRYPTION_KEY: must be 64 hex chars (32 bytes)");
    }

    @Test
    void shouldDefaultPublicUrlToBoundPort() {
        assertThat(load(Map.of()).effectivePublicUrl(4321)).isEqualTo("ws://127.0.0.1:4321/ws");
        assertThat(load(Map.of("BROKER_PUBLIC_URL", "wss://mesh.example.com/ws")).effectivePublicUrl(4321))
                .isEqualTo("wss://mesh.example.com/ws");
    }
}
