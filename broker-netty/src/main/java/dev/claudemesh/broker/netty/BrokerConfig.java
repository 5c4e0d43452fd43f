package dev.claudemesh.broker.netty;

import dev.claudemesh.broker.core.BrokerSettings;
import dev.claudemesh.broker.netty.config.BuildInfo;
import dev.claudemesh.broker.netty.config.ConfigException;
import dev.claudemesh.broker.netty.config.ServerFlags;
import dev.claudemesh.broker.netty.config.Setting;
import dev.claudemesh.broker.netty.config.Settings;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import static dev.claudemesh.broker.netty.config.Settings.*;

/**
 * The broker's whole configuration, immutable and validated once at startup (STYLE habit 10). Every setting is
 * described once in {@link Settings}: an environment variable (PROTOCOL §8 names) overridable by a flag, with its
 * default, range, unit and help. A bad value fails {@link #load} with a {@link ConfigException} naming the variable
 * and the accepted range. {@link #describe()} (logged once at startup) and {@link #toString()} show secrets only as
 * {@code set}/{@code unset} and mask the password of {@code DATABASE_URL}.
 *
 * <p>Checks that need the file system or the network (the data directory, the bind address, the port) are made at
 * startup, before the database is touched ({@code startup.Preflight}); this class only parses and cross-checks.</p>
 */
public final class BrokerConfig {

    /** Value of every setting in {@link Settings#ALL}; null = unset. */
    private final Map<Setting<?>, Object> values;

    private BrokerConfig(Map<Setting<?>, Object> values) {
        this.values = values;
        if ((tlsCert() == null) != (tlsKey() == null)) {
            throw new ConfigException("BROKER_TLS_CERT and BROKER_TLS_KEY must be set together");
        }
        lessThan(WRITER_LOW_WATER, WRITER_HIGH_WATER);
        lessThan(SOCKET_WRITE_LOW_WATER_BYTES, SOCKET_WRITE_HIGH_WATER_BYTES);
        lessThan(PING_INTERVAL_MS, STALE_TIMEOUT_MS);
    }

    /**
     * Builds the configuration from {@code env} overridden by server flags in {@code args} ({@code --name value} or
     * {@code --name=value}; see {@link ServerFlags}).
     *
     * @throws ConfigException on an unknown flag or a bad value
     */
    public static BrokerConfig load(Map<String, String> env, List<String> args) {
        return load(env, ServerFlags.parse(args));
    }

    /**
     * Builds the configuration from {@code env} overridden by {@code flags} (a setting's flag value wins over its
     * variable; an empty value is unset, i.e. the default).
     *
     * @throws ConfigException on a bad value
     */
    public static BrokerConfig load(Map<String, String> env, Map<Setting<?>, String> flags) {
        Objects.requireNonNull(env, "env");
        Objects.requireNonNull(flags, "flags");
        Map<Setting<?>, Object> values = new IdentityHashMap<>();
        for (Setting<?> s : Settings.ALL) {
            String text = flags.containsKey(s) ? flags.get(s) : env.get(s.env());
            values.put(s, s.parse(text));
        }
        return new BrokerConfig(values);
    }

    /** The value of {@code setting}; null when it is unset. */
    @SuppressWarnings("unchecked")
    public <T> T get(Setting<T> setting) {
        if (!values.containsKey(setting)) {
            throw new IllegalArgumentException("setting: " + setting + " (expected: one of Settings.ALL)");
        }
        return (T) values.get(setting);
    }

    private <T extends Comparable<T>> void lessThan(Setting<T> low, Setting<T> high) {
        T l = get(low);
        T h = get(high);
        if (l.compareTo(h) >= 0) {
            throw new ConfigException(low.env() + ": " + l + " (expected: < " + high.env() + "=" + h + ")");
        }
    }

    // ------------------------------------------------------------------------------------ accessors, by area

    public int port() {
        return get(PORT);
    }

    public String bindAddress() {
        return get(BIND);
    }

    /** {@code DATABASE_URL}, or null for the embedded PostgreSQL. */
    public String databaseUrl() {
        return get(DATABASE_URL);
    }

    public String dataDir() {
        return get(DATA_DIR);
    }

    public int databaseConnectTimeoutSeconds() {
        return get(DATABASE_CONNECT_TIMEOUT_SECONDS);
    }

    public int eventLoopThreads() {
        return get(EVENT_LOOP_THREADS);
    }

    /** {@code BROKER_WRITER_THREADS} as set (0 = automatic); {@link #writerThreads()} is the effective count. */
    public int writerThreadsSetting() {
        return get(WRITER_THREADS);
    }

    /**
     * Durable writers (each a thread and a database connection; meshes are spread over them): the setting, or for 0
     * one per 4 cores, at least 1 and at most 8.
     */
    public int writerThreads() {
        int set = writerThreadsSetting();
        return set > 0 ? set : Math.max(1, Math.min(8, Runtime.getRuntime().availableProcessors() / 4));
    }

    public int writerBatchSize() {
        return get(WRITER_BATCH_SIZE);
    }

    /** {@code BROKER_WRITER_LINGER_US}: how long an idle writer waits to gather a small batch (0 = never). */
    public int writerLingerMicros() {
        return get(WRITER_LINGER_US);
    }

    /** {@code BROKER_WRITER_PIPELINE}: durable batches in flight per writer (1 = serial). */
    public int writerPipeline() {
        return get(WRITER_PIPELINE);
    }

    public int blockingThreads() {
        return get(BLOCKING_THREADS);
    }

    public int queueRetentionHours() {
        return get(QUEUE_RETENTION_HOURS);
    }

    public int backlog() {
        return get(BACKLOG);
    }

    public int statusTtlSeconds() {
        return get(STATUS_TTL_SECONDS);
    }

    public int hookFreshWindowSeconds() {
        return get(HOOK_FRESH_WINDOW_SECONDS);
    }

    public int maxConnectionsPerMesh() {
        return get(MAX_CONNECTIONS_PER_MESH);
    }

    public int maxMessageBytes() {
        return get(MAX_MESSAGE_BYTES);
    }

    public int hookRateLimitPerMin() {
        return get(HOOK_RATE_LIMIT_PER_MIN);
    }

    public int sendRateLimitPerMin() {
        return get(SEND_RATE_LIMIT_PER_MIN);
    }

    public int sendRateBurst() {
        return get(SEND_RATE_BURST);
    }

    public int joinRateLimitPerMin() {
        return get(JOIN_RATE_LIMIT_PER_MIN);
    }

    /** A secret: never log it. */
    public String hookToken() {
        return get(HOOK_TOKEN);
    }

    /** A secret: never log it. */
    public String adminToken() {
        return get(ADMIN_TOKEN);
    }

    /** A secret: never log it. */
    public String encryptionKeyHex() {
        return get(ENCRYPTION_KEY);
    }

    public String publicUrl() {
        return get(PUBLIC_URL);
    }

    public String tlsCert() {
        return get(TLS_CERT);
    }

    public String tlsKey() {
        return get(TLS_KEY);
    }

    public String logFormat() {
        return get(LOG_FORMAT);
    }

    public String logLevel() {
        return get(LOG_LEVEL);
    }

    /** {@code GIT_SHA}, else the commit the jar was built from, else {@code unknown}. */
    public String gitSha() {
        String set = get(GIT_SHA);
        return set != null ? set : BuildInfo.gitSha();
    }

    public long graceMs() {
        return get(GRACE_MS);
    }

    public long redeliveryMs() {
        return get(REDELIVERY_MS);
    }

    public long helloTimeoutMs() {
        return get(HELLO_TIMEOUT_MS);
    }

    public long statusSweepMs() {
        return get(STATUS_SWEEP_MS);
    }

    public long pingIntervalMs() {
        return get(PING_INTERVAL_MS);
    }

    public long staleTimeoutMs() {
        return get(STALE_TIMEOUT_MS);
    }

    public long httpRequestTimeoutMs() {
        return get(HTTP_REQUEST_TIMEOUT_MS);
    }

    public int maxHeaderBytes() {
        return get(MAX_HEADER_BYTES);
    }

    public long maxPendingBytesPerSocket() {
        return get(MAX_PENDING_BYTES_PER_SOCKET);
    }

    public int socketWriteLowWaterBytes() {
        return get(SOCKET_WRITE_LOW_WATER_BYTES);
    }

    public int socketWriteHighWaterBytes() {
        return get(SOCKET_WRITE_HIGH_WATER_BYTES);
    }

    public int writerHighWaterOps() {
        return get(WRITER_HIGH_WATER);
    }

    public int writerLowWaterOps() {
        return get(WRITER_LOW_WATER);
    }

    public long retentionSweepMs() {
        return get(RETENTION_SWEEP_MS);
    }

    public long shutdownCloseMs() {
        return get(SHUTDOWN_CLOSE_MS);
    }

    public long shutdownFlushMs() {
        return get(SHUTDOWN_FLUSH_MS);
    }

    // ------------------------------------------------------------------------------------ derived

    /** The domain settings derived from this configuration. */
    public BrokerSettings settings() {
        BrokerSettings d = BrokerSettings.defaults();
        return new BrokerSettings(maxConnectionsPerMesh(), maxMessageBytes(), sendRateLimitPerMin(), sendRateBurst(),
                statusTtlSeconds() * 1000L, hookFreshWindowSeconds() * 1000L, hookRateLimitPerMin(), graceMs(),
                d.skewMs(), d.attestationMaxMs(), redeliveryMs(), d.pendingHookMs(), d.dmExpiryMs(),
                d.idempotencyWindowMs(), statusSweepMs());
    }

    /** The WebSocket frame limit: {@code MAX_MESSAGE_BYTES + 16384} (PROTOCOL §2). */
    public int maxFrameBytes() {
        return maxMessageBytes() + 16384;
    }

    /** The URL put in invites: {@code BROKER_PUBLIC_URL}, else {@code ws://127.0.0.1:<port>/ws}. */
    public String effectivePublicUrl(int boundPort) {
        String set = publicUrl();
        return set != null ? set : "ws://127.0.0.1:" + boundPort + "/ws";
    }

    /**
     * One line for the startup log: {@code key=value} for every setting (secrets as {@code set}/{@code unset}, the
     * database URL's password masked), then what the broker derives from them.
     */
    public String describe() {
        List<String> parts = new ArrayList<>(Settings.ALL.size() + 4);
        for (Setting<?> s : Settings.ALL) {
            parts.add(s.key() + "=" + shown(s));
        }
        parts.add("effective: database=" + (databaseUrl() == null ? "embedded(" + dataDir() + ")" : "external"));
        parts.add("writerThreads=" + writerThreads());
        parts.add("tls=" + (tlsCert() == null ? "off" : "on"));
        parts.add("adminApi=" + (adminToken() == null ? "off" : "on"));
        return String.join(" ", parts);
    }

    private <T> String shown(Setting<T> s) {
        return s.shown(get(s));
    }

    /** {@link #describe()}, so that logging a configuration by mistake shows no secret either. */
    @Override
    public String toString() {
        return "BrokerConfig[" + describe() + "]";
    }

    /** Whether native epoll should be used (on Linux when available). */
    public static boolean epollPreferred() {
        return !"false".equalsIgnoreCase(System.getProperty("broker.epoll", "true"));
    }
}
