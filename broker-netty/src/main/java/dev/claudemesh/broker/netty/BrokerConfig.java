package dev.claudemesh.broker.netty;

import dev.claudemesh.broker.core.BrokerSettings;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The broker's whole configuration, immutable and validated once at startup (STYLE habit 10). Every setting is
 * an environment variable (PROTOCOL §8 names) overridable by a command-line flag: the variable's name in lower
 * case, without the {@code BROKER_} prefix, with dashes: {@code STATUS_TTL_SECONDS} → {@code --status-ttl-seconds},
 * {@code BROKER_PORT} → {@code --port}. A bad value fails startup with a {@link ConfigException} whose message
 * names the variable and the accepted range.
 */
public record BrokerConfig(
        int port,
        String bindAddress,
        String databaseUrl,
        String dataDir,
        int eventLoopThreads,
        int writerBatchSize,
        int backlog,
        int statusTtlSeconds,
        int hookFreshWindowSeconds,
        int maxConnectionsPerMesh,
        int maxMessageBytes,
        int hookRateLimitPerMin,
        int sendRateLimitPerMin,
        int sendRateBurst,
        int joinRateLimitPerMin,
        String hookToken,
        String adminToken,
        String publicUrl,
        String encryptionKeyHex,
        String gitSha,
        String tlsCert,
        String tlsKey,
        String logFormat,
        long graceMs,
        long redeliveryMs,
        long helloTimeoutMs,
        long statusSweepMs,
        long httpRequestTimeoutMs,
        int writerHighWaterOps,
        int writerLowWaterOps,
        long maxPendingBytesPerSocket,
        int queueRetentionHours,
        long retentionSweepMs,
        int writerThreadsSetting) {

    /** A configuration error; its message is shown to the operator as is. */
    public static final class ConfigException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public ConfigException(String message) {
            super(message);
        }
    }

    /** Every known variable with its default (null = unset). */
    static final Map<String, String> DEFAULTS = new LinkedHashMap<>();

    static {
        DEFAULTS.put("BROKER_PORT", "7900");
        DEFAULTS.put("BROKER_BIND", "0.0.0.0");
        DEFAULTS.put("DATABASE_URL", null);
        DEFAULTS.put("BROKER_DATA_DIR", "./data");
        DEFAULTS.put("BROKER_EVENT_LOOP_THREADS", "0");
        DEFAULTS.put("BROKER_WRITER_BATCH_SIZE", "4096");
        DEFAULTS.put("BROKER_BACKLOG", "1024");
        DEFAULTS.put("STATUS_TTL_SECONDS", "60");
        DEFAULTS.put("HOOK_FRESH_WINDOW_SECONDS", "30");
        DEFAULTS.put("MAX_CONNECTIONS_PER_MESH", "100");
        DEFAULTS.put("MAX_MESSAGE_BYTES", "65536");
        DEFAULTS.put("HOOK_RATE_LIMIT_PER_MIN", "30");
        DEFAULTS.put("SEND_RATE_LIMIT_PER_MIN", "60");
        DEFAULTS.put("SEND_RATE_BURST", "10");
        DEFAULTS.put("JOIN_RATE_LIMIT_PER_MIN", "10");
        DEFAULTS.put("BROKER_HOOK_TOKEN", null);
        DEFAULTS.put("BROKER_ADMIN_TOKEN", null);
        DEFAULTS.put("BROKER_PUBLIC_URL", null);
        DEFAULTS.put("BROKER_ENCRYPTION_KEY", null);
        DEFAULTS.put("GIT_SHA", "unknown");
        DEFAULTS.put("BROKER_TLS_CERT", null);
        DEFAULTS.put("BROKER_TLS_KEY", null);
        DEFAULTS.put("BROKER_LOG_FORMAT", "text");
        DEFAULTS.put("BROKER_GRACE_MS", "90000");
        DEFAULTS.put("BROKER_REDELIVERY_MS", "30000");
        DEFAULTS.put("BROKER_HELLO_TIMEOUT_MS", "10000");
        // hidden knob, like the two above: the period of the status TTL sweep (PROTOCOL §5: 15 s); tests shorten it
        DEFAULTS.put("BROKER_STATUS_SWEEP_MS", "15000");
        // hidden knobs for fault tests (docs/RELIABILITY.md): the writer's back-pressure marks, in queued ops, and
        // the outbound bytes one peer may have pending before it is closed 1008 slow_consumer
        DEFAULTS.put("BROKER_WRITER_HIGH_WATER", "50000");
        DEFAULTS.put("BROKER_WRITER_LOW_WATER", "25000");
        DEFAULTS.put("BROKER_MAX_PENDING_BYTES_PER_SOCKET", String.valueOf(16 * 1024 * 1024));
        // hidden knob: an HTTP request (headers and body) must arrive within this (slowloris guard); tests shorten it
        DEFAULTS.put("BROKER_HTTP_REQUEST_TIMEOUT_MS", "30000");
        DEFAULTS.put("QUEUE_RETENTION_HOURS", "24");
        DEFAULTS.put("BROKER_WRITER_THREADS", "0");
        // hidden knob: the period of the queue retention sweep; tests shorten it
        DEFAULTS.put("BROKER_RETENTION_SWEEP_MS", "600000");
    }

    /** The flag for a variable: {@code --status-ttl-seconds} for {@code STATUS_TTL_SECONDS}. */
    static String flagOf(String env) {
        String n = env.startsWith("BROKER_") ? env.substring("BROKER_".length()) : env;
        return "--" + n.toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /**
     * Builds the configuration from {@code env} overridden by {@code args} ({@code --name value} or
     * {@code --name=value}). Unknown flags are errors.
     */
    public static BrokerConfig load(Map<String, String> env, List<String> args) {
        Map<String, String> values = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : DEFAULTS.entrySet()) {
            String v = env.get(e.getKey());
            values.put(e.getKey(), v == null || v.isEmpty() ? e.getValue() : v);
        }
        Map<String, String> envByFlag = new LinkedHashMap<>();
        for (String k : DEFAULTS.keySet()) {
            envByFlag.put(flagOf(k), k);
        }
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            String flag = a;
            String value;
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 0) {
                flag = a.substring(0, eq);
                value = a.substring(eq + 1);
            } else {
                if (i + 1 >= args.size()) {
                    throw new ConfigException(a + ": missing value");
                }
                value = args.get(++i);
            }
            String key = envByFlag.get(flag);
            if (key == null) {
                throw new ConfigException("unknown option " + flag + " (known: " + String.join(" ", envByFlag.keySet()) + ")");
            }
            values.put(key, value);
        }
        return fromValues(values);
    }

    private static BrokerConfig fromValues(Map<String, String> v) {
        String tlsCert = v.get("BROKER_TLS_CERT");
        String tlsKey = v.get("BROKER_TLS_KEY");
        if ((tlsCert == null) != (tlsKey == null)) {
            throw new ConfigException("BROKER_TLS_CERT and BROKER_TLS_KEY must be set together");
        }
        if (tlsCert != null) {
            readable("BROKER_TLS_CERT", tlsCert);
            readable("BROKER_TLS_KEY", tlsKey);
        }
        String enc = v.get("BROKER_ENCRYPTION_KEY");
        if (enc != null && !enc.matches("[0-9a-fA-F]{64}")) {
            throw new ConfigException("BROKER_ENCRYPTION_KEY: must be 64 hex chars (32 bytes)");
        }
        String publicUrl = v.get("BROKER_PUBLIC_URL");
        if (publicUrl != null && !publicUrl.matches("wss?://.+")) {
            throw new ConfigException("BROKER_PUBLIC_URL: '" + publicUrl + "' (expected: a ws:// or wss:// URL)");
        }
        String logFormat = v.get("BROKER_LOG_FORMAT");
        if (!"text".equals(logFormat) && !"json".equals(logFormat)) {
            throw new ConfigException("BROKER_LOG_FORMAT: '" + logFormat + "' (expected: text or json)");
        }
        int highWater = intIn(v, "BROKER_WRITER_HIGH_WATER", 2, 100_000_000);
        int lowWater = intIn(v, "BROKER_WRITER_LOW_WATER", 1, 100_000_000);
        if (lowWater >= highWater) {
            throw new ConfigException("BROKER_WRITER_LOW_WATER: " + lowWater + " (expected: < BROKER_WRITER_HIGH_WATER="
                    + highWater + ")");
        }
        return new BrokerConfig(
                intIn(v, "BROKER_PORT", 0, 65535),
                v.get("BROKER_BIND"),
                v.get("DATABASE_URL"),
                v.get("BROKER_DATA_DIR"),
                intIn(v, "BROKER_EVENT_LOOP_THREADS", 0, 1024),
                intIn(v, "BROKER_WRITER_BATCH_SIZE", 1, 100_000),
                intIn(v, "BROKER_BACKLOG", 1, 65535),
                intIn(v, "STATUS_TTL_SECONDS", 1, 86_400),
                intIn(v, "HOOK_FRESH_WINDOW_SECONDS", 0, 86_400),
                intIn(v, "MAX_CONNECTIONS_PER_MESH", 1, 1_000_000),
                intIn(v, "MAX_MESSAGE_BYTES", 1024, 16 * 1024 * 1024),
                intIn(v, "HOOK_RATE_LIMIT_PER_MIN", 0, 1_000_000),
                intIn(v, "SEND_RATE_LIMIT_PER_MIN", 0, 100_000_000),
                intIn(v, "SEND_RATE_BURST", 1, 100_000_000),
                intIn(v, "JOIN_RATE_LIMIT_PER_MIN", 0, 1_000_000),
                v.get("BROKER_HOOK_TOKEN"),
                v.get("BROKER_ADMIN_TOKEN"),
                publicUrl,
                enc,
                v.get("GIT_SHA"),
                tlsCert,
                tlsKey,
                logFormat,
                intIn(v, "BROKER_GRACE_MS", 1, 86_400_000),
                intIn(v, "BROKER_REDELIVERY_MS", 1, 86_400_000),
                intIn(v, "BROKER_HELLO_TIMEOUT_MS", 1, 3_600_000),
                intIn(v, "BROKER_STATUS_SWEEP_MS", 1, 3_600_000),
                intIn(v, "BROKER_HTTP_REQUEST_TIMEOUT_MS", 1, 3_600_000),
                highWater,
                lowWater,
                intIn(v, "BROKER_MAX_PENDING_BYTES_PER_SOCKET", 1024, 1024 * 1024 * 1024),
                intIn(v, "QUEUE_RETENTION_HOURS", 0, 87_600),
                intIn(v, "BROKER_RETENTION_SWEEP_MS", 1, 86_400_000),
                intIn(v, "BROKER_WRITER_THREADS", 0, 64));
    }

    private static void readable(String name, String path) {
        Path p = Path.of(path);
        if (!Files.isRegularFile(p) || !Files.isReadable(p)) {
            throw new ConfigException(name + ": cannot read file '" + path + "'");
        }
    }

    private static int intIn(Map<String, String> v, String name, int min, int max) {
        String s = v.get(name).trim();
        long n;
        try {
            n = Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new ConfigException(name + ": '" + s + "' is not an integer (expected: " + min + ".." + max + ")");
        }
        if (n < min || n > max) {
            throw new ConfigException(name + ": " + n + " is out of range (expected: " + min + ".." + max + ")");
        }
        return (int) n;
    }

    /**
     * Durable writers (each a thread and a database connection; meshes are spread over them): the setting, or for 0
     * one per 4 cores, at least 1 and at most 8.
     */
    public int writerThreads() {
        if (writerThreadsSetting > 0) {
            return writerThreadsSetting;
        }
        return Math.max(1, Math.min(8, Runtime.getRuntime().availableProcessors() / 4));
    }

    /** The domain settings derived from this configuration. */
    public BrokerSettings settings() {
        BrokerSettings d = BrokerSettings.defaults();
        return new BrokerSettings(maxConnectionsPerMesh, maxMessageBytes, sendRateLimitPerMin, sendRateBurst,
                statusTtlSeconds * 1000L, hookFreshWindowSeconds * 1000L, hookRateLimitPerMin, graceMs,
                d.skewMs(), d.attestationMaxMs(), redeliveryMs, d.pendingHookMs(), d.dmExpiryMs(),
                d.idempotencyWindowMs(), statusSweepMs);
    }

    /** The WebSocket frame limit: {@code MAX_MESSAGE_BYTES + 16384} (PROTOCOL §2). */
    public int maxFrameBytes() {
        return maxMessageBytes + 16384;
    }

    /** The URL put in invites: {@code BROKER_PUBLIC_URL}, else {@code ws://127.0.0.1:<port>/ws}. */
    public String effectivePublicUrl(int boundPort) {
        return publicUrl != null ? publicUrl : "ws://127.0.0.1:" + boundPort + "/ws";
    }

    /** One line for the startup log; secrets are shown only as set/unset. */
    public String describe() {
        List<String> parts = new ArrayList<>();
        parts.add("port=" + port);
        parts.add("bind=" + bindAddress);
        parts.add("database=" + (databaseUrl == null ? "embedded(" + dataDir + ")" : redactUrl(databaseUrl)));
        parts.add("eventLoopThreads=" + eventLoopThreads);
        parts.add("writerBatchSize=" + writerBatchSize);
        parts.add("writerThreads=" + writerThreads());
        parts.add("queueRetentionHours=" + queueRetentionHours);
        parts.add("backlog=" + backlog);
        parts.add("statusTtlSeconds=" + statusTtlSeconds);
        parts.add("hookFreshWindowSeconds=" + hookFreshWindowSeconds);
        parts.add("maxConnectionsPerMesh=" + maxConnectionsPerMesh);
        parts.add("maxMessageBytes=" + maxMessageBytes);
        parts.add("hookRateLimitPerMin=" + hookRateLimitPerMin);
        parts.add("sendRateLimitPerMin=" + sendRateLimitPerMin);
        parts.add("sendRateBurst=" + sendRateBurst);
        parts.add("joinRateLimitPerMin=" + joinRateLimitPerMin);
        parts.add("hookToken=" + (hookToken == null ? "unset" : "set"));
        parts.add("adminToken=" + (adminToken == null ? "unset(admin API off)" : "set"));
        parts.add("publicUrl=" + publicUrl);
        parts.add("encryptionKey=" + (encryptionKeyHex == null ? "unset" : "set"));
        parts.add("tls=" + (tlsCert == null ? "off" : "on"));
        parts.add("logFormat=" + logFormat);
        parts.add("graceMs=" + graceMs);
        parts.add("redeliveryMs=" + redeliveryMs);
        parts.add("helloTimeoutMs=" + helloTimeoutMs);
        parts.add("statusSweepMs=" + statusSweepMs);
        parts.add("writerWaterMarks=" + writerHighWaterOps + "/" + writerLowWaterOps);
        parts.add("maxPendingBytesPerSocket=" + maxPendingBytesPerSocket);
        parts.add("httpRequestTimeoutMs=" + httpRequestTimeoutMs);
        return String.join(" ", parts);
    }

    private static String redactUrl(String url) {
        return url.replaceAll("//([^:/@]+):[^@]*@", "//$1:***@").replaceAll("password=[^&]*", "password=***");
    }

    /** Whether native epoll should be used (on Linux when available). */
    public static boolean epollPreferred() {
        return !"false".equalsIgnoreCase(System.getProperty("broker.epoll", "true"));
    }
}
