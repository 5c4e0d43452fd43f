package dev.claudemesh.broker.netty;

import dev.claudemesh.broker.core.BrokerSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
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
                .isInstanceOf(BrokerConfig.ConfigException.class)
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
        assertThat(c.gitSha()).isEqualTo("unknown");
        assertThat(c.tlsCert()).isNull();
        assertThat(c.tlsKey()).isNull();
        assertThat(c.logFormat()).isEqualTo("text");
        assertThat(c.graceMs()).isEqualTo(90_000);
        assertThat(c.redeliveryMs()).isEqualTo(30_000);
        assertThat(c.helloTimeoutMs()).isEqualTo(10_000);
        assertThat(c.statusSweepMs()).isEqualTo(15_000);
        assertThat(c.maxFrameBytes()).isEqualTo(65536 + 16384);
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
        assertThat(BrokerConfig.flagOf("BROKER_PORT")).isEqualTo("--port");
        assertThat(BrokerConfig.flagOf("STATUS_TTL_SECONDS")).isEqualTo("--status-ttl-seconds");
        assertThat(BrokerConfig.flagOf("DATABASE_URL")).isEqualTo("--database-url");
        assertThat(BrokerConfig.flagOf("BROKER_TLS_CERT")).isEqualTo("--tls-cert");
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
        assertRejected(Map.of("BROKER_LOG_FORMAT", "xml"), "BROKER_LOG_FORMAT: 'xml' (expected: text or json)");
    }

    @Test
    void shouldRejectUnknownFlagAndMissingValue() {
        assertThatThrownBy(() -> load(Map.of(), "--prot", "1"))
                .isInstanceOf(BrokerConfig.ConfigException.class)
                .hasMessageStartingWith("unknown option --prot (known: --port ");
        assertRejected(Map.of(), "--port: missing value", "--port");
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

    @Test
    void shouldDefaultPublicUrlToBoundPort() {
        assertThat(load(Map.of()).effectivePublicUrl(4321)).isEqualTo("ws://127.0.0.1:4321/ws");
        assertThat(load(Map.of("BROKER_PUBLIC_URL", "wss://mesh.example.com/ws")).effectivePublicUrl(4321))
                .isEqualTo("wss://mesh.example.com/ws");
    }
}
