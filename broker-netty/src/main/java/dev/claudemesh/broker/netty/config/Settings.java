package dev.claudemesh.broker.netty.config;

import dev.claudemesh.broker.db.DataSourceFactory;

import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

import static dev.claudemesh.broker.netty.config.Setting.choice;
import static dev.claudemesh.broker.netty.config.Setting.integer;
import static dev.claudemesh.broker.netty.config.Setting.longInt;
import static dev.claudemesh.broker.netty.config.Setting.secret;
import static dev.claudemesh.broker.netty.config.Setting.text;

/**
 * Every setting of the broker (PROTOCOL §8 names), in the order {@code --help}, the README table and the startup
 * description list them. Adding a setting: a constant here (with its help text), an entry in {@link #ALL}, an
 * accessor in {@code BrokerConfig}; the rest follows. Stateless.
 */
public final class Settings {

    private static final int DAY_S = 86_400;
    private static final long DAY_MS = 86_400_000L;
    private static final long HOUR_MS = 3_600_000L;
    private static final Pattern HEX64 = Pattern.compile("[0-9a-fA-F]{64}");
    private static final Pattern WS_URL = Pattern.compile("wss?://.+");
    private static final Set<String> URL_SCHEMES = Set.of("postgres", "postgresql", "jdbc:postgresql");

    // ---------------------------------------------------------------------------------------- where and what

    public static final Setting<Integer> PORT = integer("BROKER_PORT", "port", 7900, 0, 65535, "",
            "HTTP + WebSocket port (0 = any free port)");
    public static final Setting<String> BIND = text("BROKER_BIND", "bind", "0.0.0.0",
            "address to listen on: 0.0.0.0 for every interface, 127.0.0.1 for this host only",
            (s, v) -> v.trim(), v -> v);
    public static final Setting<String> DATABASE_URL = text("DATABASE_URL", "database", null,
            "postgres://user:pass@host:5432/db or jdbc:postgresql://…; unset = embedded PostgreSQL in BROKER_DATA_DIR",
            Settings::databaseUrl, Settings::redactUrl);
    public static final Setting<String> DATA_DIR = text("BROKER_DATA_DIR", "dataDir", "./data",
            "embedded PostgreSQL (when DATABASE_URL is unset): cluster, password file and lock (one broker per directory)", Settings::path, v -> v);
    public static final Setting<Integer> DATABASE_CONNECT_TIMEOUT_SECONDS = integer("DATABASE_CONNECT_TIMEOUT_SECONDS",
            "databaseConnectTimeoutSeconds", 60, 0, 3600, "s",
            "at startup, keep retrying an unreachable DATABASE_URL (with back-off) this long before giving up");

    // ---------------------------------------------------------------------------------------- threads and writer

    public static final Setting<Integer> EVENT_LOOP_THREADS = integer("BROKER_EVENT_LOOP_THREADS", "eventLoopThreads",
            0, 0, 1024, "", "Netty event loops (0 = number of cores)");
    public static final Setting<Integer> WRITER_THREADS = integer("BROKER_WRITER_THREADS", "writerThreads", 0, 0, 64,
            "", "durable writers, each a thread with BROKER_WRITER_PIPELINE database connections (0 = one per 4 "
                    + "cores, 1 to 8)");
    public static final Setting<Integer> WRITER_BATCH_SIZE = integer("BROKER_WRITER_BATCH_SIZE", "writerBatchSize",
            4096, 1, 100_000, "ops", "most ops per database transaction");
    public static final Setting<Integer> WRITER_PIPELINE = integer("BROKER_WRITER_PIPELINE", "writerPipeline", 2, 1,
            8, "batches", "durable batches in flight per writer, each its own transaction and connection: the next "
                    + "batch runs its statements while the previous one commits (1 = serial writer)");
    public static final Setting<Integer> WRITER_LINGER_US = integer("BROKER_WRITER_LINGER_US", "writerLingerUs", 0, 0,
            100_000, "µs", "how long a durable writer with nothing in flight waits for more ops before it starts a small "
                    + "batch (0 = never; measured without effect on this project's benchmarks, see docs/BENCHMARKS.md): "
                    + "at most this much later acks");
    public static final Setting<Integer> BLOCKING_THREADS = integer("BROKER_BLOCKING_THREADS", "blockingThreads", 4,
            1, 256, "", "threads for blocking work of HTTP routes (admin, /join database calls)");
    public static final Setting<Integer> QUEUE_RETENTION_HOURS = integer("QUEUE_RETENTION_HOURS",
            "queueRetentionHours", 24, 0, 87_600, "h",
            "delete message_queue rows delivered or expired longer ago than this (0 = at the next sweep)");
    public static final Setting<Integer> BACKLOG = integer("BROKER_BACKLOG", "backlog", 1024, 1, 65535, "",
            "TCP accept backlog");

    // ---------------------------------------------------------------------------------------- protocol (§8)

    public static final Setting<Integer> STATUS_TTL_SECONDS = integer("STATUS_TTL_SECONDS", "statusTtlSeconds", 60,
            1, DAY_S, "s", "a working status older than this flips to idle");
    public static final Setting<Integer> HOOK_FRESH_WINDOW_SECONDS = integer("HOOK_FRESH_WINDOW_SECONDS",
            "hookFreshWindowSeconds", 30, 0, DAY_S, "s", "a hook status outranks set_status for this long");
    public static final Setting<Integer> MAX_CONNECTIONS_PER_MESH = integer("MAX_CONNECTIONS_PER_MESH",
            "maxConnectionsPerMesh", 100, 1, 1_000_000, "", "leases per mesh (grace leases count)");
    public static final Setting<Integer> MAX_MESSAGE_BYTES = integer("MAX_MESSAGE_BYTES", "maxMessageBytes", 65536,
            1024, 16 * 1024 * 1024, "bytes",
            "nonce + ciphertext + targetSpec of a send; HTTP body limit; the frame limit is this + 16384");
    public static final Setting<Integer> HOOK_RATE_LIMIT_PER_MIN = integer("HOOK_RATE_LIMIT_PER_MIN",
            "hookRateLimitPerMin", 30, 0, 1_000_000, "/min", "hook requests per pid:cwd (0 = off)");
    public static final Setting<Integer> SEND_RATE_LIMIT_PER_MIN = integer("SEND_RATE_LIMIT_PER_MIN",
            "sendRateLimitPerMin", 60, 0, 100_000_000, "/min", "sends per member (0 = off, for load tests)");
    public static final Setting<Integer> SEND_RATE_BURST = integer("SEND_RATE_BURST", "sendRateBurst", 10, 1,
            100_000_000, "", "send token-bucket size");
    public static final Setting<Integer> JOIN_RATE_LIMIT_PER_MIN = integer("JOIN_RATE_LIMIT_PER_MIN",
            "joinRateLimitPerMin", 10, 0, 1_000_000, "/min", "POST /join per client address (0 = off)");

    // ---------------------------------------------------------------------------------------- secrets and identity

    public static final Setting<String> HOOK_TOKEN = secret("BROKER_HOOK_TOKEN", "hookToken",
            "when set, hooks need Authorization: Bearer TOKEN", (s, v) -> v);
    public static final Setting<String> ADMIN_TOKEN = secret("BROKER_ADMIN_TOKEN", "adminToken",
            "enables the admin API (Authorization: Bearer TOKEN); unset = admin API off", (s, v) -> v);
    public static final Setting<String> ENCRYPTION_KEY = secret("BROKER_ENCRYPTION_KEY", "encryptionKey",
            "64 hex chars; encrypts mesh owner secrets at rest", Settings::hex64);
    public static final Setting<String> PUBLIC_URL = text("BROKER_PUBLIC_URL", "publicUrl", null,
            "the ws(s):// URL put into invites; unset = ws://127.0.0.1:PORT/ws", Settings::wsUrl, v -> v);
    public static final Setting<String> TLS_CERT = text("BROKER_TLS_CERT", "tlsCert", null,
            "PEM certificate chain: serve wss:// and https:// directly (with BROKER_TLS_KEY)", Settings::readable,
            v -> v);
    public static final Setting<String> TLS_KEY = text("BROKER_TLS_KEY", "tlsKey", null,
            "PKCS#8 PEM private key of BROKER_TLS_CERT", Settings::readable, v -> v);
    public static final Setting<String> LOG_FORMAT = choice("BROKER_LOG_FORMAT", "logFormat", "text",
            "log lines as text, or one JSON object per line", "text", "json");
    public static final Setting<String> LOG_LEVEL = text("BROKER_LOG_LEVEL", "logLevel", "INFO",
            "level of the broker's log: ERROR, WARN, INFO, DEBUG or TRACE", Settings::logLevel, v -> v);
    public static final Setting<String> GIT_SHA = text("GIT_SHA", "gitSha", null,
            "commit reported by /health; unset = the commit the jar was built from", (s, v) -> v.trim(), v -> v);

    // ---------------------------------------------------------------------------------------- timing and limits

    public static final Setting<Long> GRACE_MS = longInt("BROKER_GRACE_MS", "graceMs", 90_000, 1, DAY_MS, "ms",
            "a lease outlives its closed socket this long (protocol constant; tests shorten it)");
    public static final Setting<Long> REDELIVERY_MS = longInt("BROKER_REDELIVERY_MS", "redeliveryMs", 30_000, 1,
            DAY_MS, "ms", "an un-acked DM push is redelivered after this (protocol constant)");
    public static final Setting<Long> HELLO_TIMEOUT_MS = longInt("BROKER_HELLO_TIMEOUT_MS", "helloTimeoutMs", 10_000,
            1, HOUR_MS, "ms", "a socket that has not authenticated within this is closed 1008 hello_timeout");
    public static final Setting<Long> STATUS_SWEEP_MS = longInt("BROKER_STATUS_SWEEP_MS", "statusSweepMs", 15_000, 1,
            HOUR_MS, "ms", "period of the status TTL sweep (protocol: 15 s)");
    public static final Setting<Long> PING_INTERVAL_MS = longInt("BROKER_PING_INTERVAL_MS", "pingIntervalMs", 30_000,
            1, HOUR_MS, "ms", "WebSocket ping period (protocol: 30 s)");
    public static final Setting<Long> STALE_TIMEOUT_MS = longInt("BROKER_STALE_TIMEOUT_MS", "staleTimeoutMs", 75_000,
            1, DAY_MS, "ms", "a socket with no inbound traffic for this long is terminated (protocol: 75 s)");
    public static final Setting<Long> HTTP_REQUEST_TIMEOUT_MS = longInt("BROKER_HTTP_REQUEST_TIMEOUT_MS",
            "httpRequestTimeoutMs", 30_000, 1, HOUR_MS, "ms",
            "an HTTP request (headers and body) must arrive within this (slowloris guard)");
    public static final Setting<Integer> MAX_HEADER_BYTES = integer("BROKER_MAX_HEADER_BYTES", "maxHeaderBytes",
            16 * 1024, 1024, 1024 * 1024, "bytes", "HTTP header block limit");
    public static final Setting<Long> MAX_PENDING_BYTES_PER_SOCKET = longInt("BROKER_MAX_PENDING_BYTES_PER_SOCKET",
            "maxPendingBytesPerSocket", 16L * 1024 * 1024, 1024, 1024L * 1024 * 1024, "bytes",
            "outbound bytes one peer may have pending before it is closed 1008 slow_consumer");
    public static final Setting<Integer> SOCKET_WRITE_LOW_WATER_BYTES = integer("BROKER_SOCKET_WRITE_LOW_WATER_BYTES",
            "socketWriteLowWaterBytes", 256 * 1024, 1024, 64 * 1024 * 1024, "bytes",
            "a socket's outbound buffer is writable again below this");
    public static final Setting<Integer> SOCKET_WRITE_HIGH_WATER_BYTES = integer(
            "BROKER_SOCKET_WRITE_HIGH_WATER_BYTES", "socketWriteHighWaterBytes", 1024 * 1024, 2048, 256 * 1024 * 1024,
            "bytes", "a socket's outbound buffer is unwritable above this");
    public static final Setting<Integer> WRITER_HIGH_WATER = integer("BROKER_WRITER_HIGH_WATER", "writerHighWater",
            50_000, 2, 100_000_000, "ops", "queued writer ops above which the broker stops reading from peers");
    public static final Setting<Integer> WRITER_LOW_WATER = integer("BROKER_WRITER_LOW_WATER", "writerLowWater",
            25_000, 1, 100_000_000, "ops", "queued writer ops below which it reads again");
    public static final Setting<Long> RETENTION_SWEEP_MS = longInt("BROKER_RETENTION_SWEEP_MS", "retentionSweepMs",
            600_000, 1, DAY_MS, "ms", "period of the message_queue retention sweep");
    public static final Setting<Long> SHUTDOWN_CLOSE_MS = longInt("BROKER_SHUTDOWN_CLOSE_MS", "shutdownCloseMs", 3_000,
            0, 60_000, "ms", "on SIGTERM, how long to wait for every mesh to close its peers (1001)");
    public static final Setting<Long> SHUTDOWN_FLUSH_MS = longInt("BROKER_SHUTDOWN_FLUSH_MS", "shutdownFlushMs", 5_000,
            0, 60_000, "ms", "on SIGTERM, how long to wait for the writer to commit what it accepted");

    // ---------------------------------------------------------------------------------------- presence (PROTOCOL-MESH §1-§3)

    public static final Setting<Integer> LEASE_METADATA_MAX_BYTES = integer("LEASE_METADATA_MAX_BYTES",
            "leaseMetadataMaxBytes", 4096, 64, 1_048_576, "bytes",
            "largest profile (set_profile) or stats object (set_stats) a lease may hold, as JSON; kept per member in "
                    + "peer_state");

    // ---------------------------------------------------------------------------------------- workspace (§4-§6)

    public static final Setting<Integer> STATE_MAX_KEY_CHARS = integer("STATE_MAX_KEY_CHARS", "stateMaxKeyChars", 256,
            1, 65_536, "chars", "longest shared-state key (longer: bad_request)");
    public static final Setting<Integer> STATE_MAX_VALUE_BYTES = integer("STATE_MAX_VALUE_BYTES", "stateMaxValueBytes",
            16_384, 16, 16 * 1024 * 1024, "bytes",
            "largest shared-state value, as compact JSON with numbers written out (larger: bad_request)");
    public static final Setting<Integer> STATE_MAX_ENTRIES_PER_MESH = integer("STATE_MAX_ENTRIES_PER_MESH",
            "stateMaxEntriesPerMesh", 1_000, 1, 10_000_000, "keys",
            "shared-state keys per mesh (keys are never deleted; a new key over this: limit_exceeded)");
    public static final Setting<Integer> STATE_LIST_MAX_ENTRIES = integer("STATE_LIST_MAX_ENTRIES",
            "stateListMaxEntries", 500, 1, 10_000_000, "entries",
            "most entries in one list_state reply (the first by key)");
    public static final Setting<Integer> MEMORY_MAX_CONTENT_CHARS = integer("MEMORY_MAX_CONTENT_CHARS",
            "memoryMaxContentChars", 8_192, 1, 16 * 1024 * 1024, "chars",
            "longest remember content or recall query (longer: bad_request)");
    public static final Setting<Integer> MEMORY_MAX_ROWS_PER_MESH = integer("MEMORY_MAX_ROWS_PER_MESH",
            "memoryMaxRowsPerMesh", 10_000, 1, 100_000_000, "rows", "memory rows per mesh, forgotten ones included"
            + " (at the cap the oldest forgotten make room; else limit_exceeded)");
    public static final Setting<Integer> MEMORY_FORGOTTEN_RETENTION_HOURS = integer(
            "MEMORY_FORGOTTEN_RETENTION_HOURS", "memoryForgottenRetentionHours", 168, 1, 87_600, "h",
            "forgotten memories are deleted this long after forget");
    public static final Setting<Integer> TASK_MAX_PER_MESH = integer("TASK_MAX_PER_MESH", "taskMaxPerMesh", 10_000, 1,
            100_000_000, "tasks",
            "tasks per mesh, done ones included (at the cap the oldest done make room; else limit_exceeded)");
    public static final Setting<Integer> TASK_MAX_TEXT_CHARS = integer("TASK_MAX_TEXT_CHARS", "taskMaxTextChars",
            2_000, 1, 16 * 1024 * 1024, "chars",
            "longest task title, result, assignee or priority (longer: bad_request)");
    public static final Setting<Integer> TASK_DONE_RETENTION_HOURS = integer("TASK_DONE_RETENTION_HOURS",
            "taskDoneRetentionHours", 720, 1, 87_600, "h", "done tasks are deleted this long after completion");
    public static final Setting<Integer> WORKSPACE_MAX_TAGS = integer("WORKSPACE_MAX_TAGS", "workspaceMaxTags", 20, 1,
            10_000, "tags", "most tags of one memory or task (more: bad_request)");
    public static final Setting<Integer> WORKSPACE_MAX_TAG_CHARS = integer("WORKSPACE_MAX_TAG_CHARS",
            "workspaceMaxTagChars", 64, 1, 65_536, "chars", "longest tag of a memory or task (longer: bad_request)");

    // ---------------------------------------------------------------------------------------- scheduler (PROTOCOL-MESH §7)

    public static final Setting<Integer> SCHEDULE_MAX_PENDING_PER_MEMBER = integer("SCHEDULE_MAX_PENDING_PER_MEMBER",
            "scheduleMaxPendingPerMember", 100, 1, 100_000, "",
            "pending scheduled messages (one-shot or cron) one member may have; more: schedule answers limit_exceeded");
    public static final Setting<Integer> SCHEDULE_MIN_CRON_INTERVAL_SECONDS = integer(
            "SCHEDULE_MIN_CRON_INTERVAL_SECONDS", "scheduleMinCronIntervalSeconds", 60, 60, 31_622_400, "s",
            "shortest time a cron schedule may leave between two fires (60 = every minute is allowed)");
    public static final Setting<Integer> SCHEDULE_RETRY_SECONDS = integer("SCHEDULE_RETRY_SECONDS",
            "scheduleRetrySeconds", 60, 1, 86_400, "s",
            "a scheduled message that could not be sent (recipient offline, rate limit, grants) is tried again after this");
    public static final Setting<Long> SCHEDULE_TICK_MS = longInt("BROKER_SCHEDULE_TICK_MS", "scheduleTickMs", 1_000, 1,
            60_000, "ms", "how often a mesh with pending scheduled messages looks at the clock (fires are this late at most)");

    // ---------------------------------------------------------------------------------------- topics and API keys

    public static final Setting<Integer> TOPICS_MAX_PER_MESH = integer("TOPICS_MAX_PER_MESH", "topicsMaxPerMesh", 1000,
            1, 1_000_000, "", "topics a mesh may hold (topic_create beyond it: limit_exceeded)");
    public static final Setting<Integer> TOPIC_MESSAGES_MAX_PER_TOPIC = integer("TOPIC_MESSAGES_MAX_PER_TOPIC",
            "topicMessagesMaxPerTopic", 10_000, 10, 10_000_000, "messages",
            "history kept per topic: a post beyond it deletes the topic's oldest messages (and their mentions)");
    public static final Setting<Integer> TOPIC_STREAMS_MAX_PER_MESH = integer("TOPIC_STREAMS_MAX_PER_MESH",
            "topicStreamsMaxPerMesh", 100, 1, 100_000, "", "open /api/v1 topic event streams per mesh (more: 429)");
    public static final Setting<Long> TOPIC_STREAM_HEARTBEAT_MS = longInt("TOPIC_STREAM_HEARTBEAT_MS",
            "topicStreamHeartbeatMs", 30_000, 100, DAY_MS, "ms", "a topic event stream sends a heartbeat event this often");
    public static final Setting<Long> TOPIC_STREAM_MAX_PENDING_BYTES = longInt("TOPIC_STREAM_MAX_PENDING_BYTES",
            "topicStreamMaxPendingBytes", 1_048_576, 1024, 1L << 30, "bytes",
            "a topic event stream whose client leaves more than this unread is closed (it resumes with Last-Event-ID)");
    public static final Setting<Integer> API_KEYS_MAX_PER_MEMBER = integer("API_KEYS_MAX_PER_MEMBER",
            "apiKeysMaxPerMember", 50, 1, 100_000, "", "live (unrevoked, unexpired) API keys a member may hold");
    public static final Setting<Integer> API_KEY_MAX_TTL_HOURS = integer("API_KEY_MAX_TTL_HOURS", "apiKeyMaxTtlHours",
            720, 1, 87_600, "h", "API keys expire this long after creation at the latest (also without expiresAt)");
    public static final Setting<Integer> API_KEY_RETENTION_HOURS = integer("API_KEY_RETENTION_HOURS",
            "apiKeyRetentionHours", 168, 0, 87_600, "h",
            "API keys revoked or expired longer ago than this are deleted (when the mesh mints a key)");

    // ---------------------------------------------------------------------------------------- audit log over the WebSocket (PROTOCOL-MESH §14)

    public static final Setting<Integer> AUDIT_QUERY_MAX_ROWS = integer("AUDIT_QUERY_MAX_ROWS", "auditQueryMaxRows",
            500, 1, 100_000, "rows", "most audit rows one audit_query returns (a larger limit is capped to it)");

    // ---------------------------------------------------------------------------------------- contexts, skills, streams, vault

    public static final Setting<Integer> MAX_CONTEXTS_PER_MESH = integer("BROKER_MAX_CONTEXTS_PER_MESH",
            "maxContextsPerMesh", 1000, 1, 1_000_000, "",
            "shared contexts per mesh (one per member); list_contexts returns at most this many");
    public static final Setting<Integer> CONTEXT_RETENTION_DAYS = integer("BROKER_CONTEXT_RETENTION_DAYS",
            "contextRetentionDays", 30, 0, 36_500, "days",
            "a context not updated for this long is no longer listed and is deleted (0 = kept for ever)");
    public static final Setting<Integer> MAX_SKILLS_PER_MESH = integer("BROKER_MAX_SKILLS_PER_MESH",
            "maxSkillsPerMesh", 500, 1, 1_000_000, "", "skills per mesh; list_skills returns at most this many");
    public static final Setting<Integer> MAX_SKILL_INSTRUCTIONS_BYTES = integer("BROKER_MAX_SKILL_INSTRUCTIONS_BYTES",
            "maxSkillInstructionsBytes", 65_536, 1, 16 * 1024 * 1024, "bytes",
            "UTF-8 bytes of one skill's instructions (a frame is also limited by MAX_MESSAGE_BYTES + 16384)");
    public static final Setting<Integer> MAX_STREAMS_PER_MESH = integer("BROKER_MAX_STREAMS_PER_MESH",
            "maxStreamsPerMesh", 200, 1, 1_000_000, "", "streams per mesh; list_streams returns at most this many");
    public static final Setting<Integer> MAX_SUBSCRIPTIONS_PER_LEASE = integer("BROKER_MAX_SUBSCRIPTIONS_PER_LEASE",
            "maxSubscriptionsPerLease", 50, 1, 100_000, "", "stream subscriptions of one session");
    public static final Setting<Integer> STREAM_BUFFER_BYTES = integer("BROKER_STREAM_BUFFER_BYTES",
            "streamBufferBytes", 1024 * 1024, 1024, 256 * 1024 * 1024, "bytes",
            "stream_data held for one subscription that does not keep up; beyond it its oldest frames are dropped");
    public static final Setting<Integer> MAX_VAULT_ENTRIES_PER_MEMBER = integer("BROKER_MAX_VAULT_ENTRIES_PER_MEMBER",
            "maxVaultEntriesPerMember", 200, 1, 1_000_000, "", "vault entries of one member in one mesh");
    public static final Setting<Integer> MAX_VAULT_ENTRY_BYTES = integer("BROKER_MAX_VAULT_ENTRY_BYTES",
            "maxVaultEntryBytes", 65_536, 1, 16 * 1024 * 1024, "bytes",
            "UTF-8 bytes of one vault entry (key, ciphertext, nonce, sealed key, mount path and description)");

    /** Every setting, in display order. */
    public static final List<Setting<?>> ALL = List.of(PORT, BIND, DATABASE_URL, DATA_DIR,
            DATABASE_CONNECT_TIMEOUT_SECONDS, EVENT_LOOP_THREADS, WRITER_THREADS, WRITER_BATCH_SIZE, WRITER_PIPELINE, WRITER_LINGER_US,
            BLOCKING_THREADS,
            QUEUE_RETENTION_HOURS, BACKLOG, STATUS_TTL_SECONDS, HOOK_FRESH_WINDOW_SECONDS, MAX_CONNECTIONS_PER_MESH,
            MAX_MESSAGE_BYTES, HOOK_RATE_LIMIT_PER_MIN, SEND_RATE_LIMIT_PER_MIN, SEND_RATE_BURST,
            JOIN_RATE_LIMIT_PER_MIN, HOOK_TOKEN, ADMIN_TOKEN, ENCRYPTION_KEY, PUBLIC_URL, TLS_CERT, TLS_KEY,
            LOG_FORMAT, LOG_LEVEL, GIT_SHA, GRACE_MS, REDELIVERY_MS, HELLO_TIMEOUT_MS, STATUS_SWEEP_MS,
            PING_INTERVAL_MS, STALE_TIMEOUT_MS, HTTP_REQUEST_TIMEOUT_MS, MAX_HEADER_BYTES,
            MAX_PENDING_BYTES_PER_SOCKET, SOCKET_WRITE_LOW_WATER_BYTES, SOCKET_WRITE_HIGH_WATER_BYTES,
            WRITER_HIGH_WATER, WRITER_LOW_WATER, RETENTION_SWEEP_MS, SHUTDOWN_CLOSE_MS, SHUTDOWN_FLUSH_MS,
            LEASE_METADATA_MAX_BYTES,
            STATE_MAX_KEY_CHARS, STATE_MAX_VALUE_BYTES, STATE_MAX_ENTRIES_PER_MESH, STATE_LIST_MAX_ENTRIES,
            MEMORY_MAX_CONTENT_CHARS, MEMORY_MAX_ROWS_PER_MESH, MEMORY_FORGOTTEN_RETENTION_HOURS, TASK_MAX_PER_MESH,
            TASK_MAX_TEXT_CHARS, TASK_DONE_RETENTION_HOURS, WORKSPACE_MAX_TAGS, WORKSPACE_MAX_TAG_CHARS,
            SCHEDULE_MAX_PENDING_PER_MEMBER, SCHEDULE_MIN_CRON_INTERVAL_SECONDS, SCHEDULE_RETRY_SECONDS,
            SCHEDULE_TICK_MS,
            // topics and API keys
            TOPICS_MAX_PER_MESH, TOPIC_MESSAGES_MAX_PER_TOPIC, TOPIC_STREAMS_MAX_PER_MESH, TOPIC_STREAM_HEARTBEAT_MS, TOPIC_STREAM_MAX_PENDING_BYTES,
            API_KEYS_MAX_PER_MEMBER, API_KEY_MAX_TTL_HOURS, API_KEY_RETENTION_HOURS,
            // the audit log over the WebSocket
            AUDIT_QUERY_MAX_ROWS,
            // contexts, skills, streams, vault

            MAX_CONTEXTS_PER_MESH, CONTEXT_RETENTION_DAYS, MAX_SKILLS_PER_MESH, MAX_SKILL_INSTRUCTIONS_BYTES,
            MAX_STREAMS_PER_MESH, MAX_SUBSCRIPTIONS_PER_LEASE, STREAM_BUFFER_BYTES, MAX_VAULT_ENTRIES_PER_MEMBER,
            MAX_VAULT_ENTRY_BYTES);

    private Settings() {
    }

    /** The setting whose flag is {@code flag} ({@code --port}), or null. */
    public static Setting<?> byFlag(String flag) {
        for (Setting<?> s : ALL) {
            if (s.flag().equals(flag)) {
                return s;
            }
        }
        return null;
    }

    /**
     * The README's configuration table, one row per setting: {@code | `ENV` | `default` | unit | help |}. The README
     * carries it verbatim (a test checks), so the documentation cannot drift from the code.
     */
    public static String markdownTable() {
        StringBuilder b = new StringBuilder("| variable | default | unit | meaning |\n|---|---|---|---|\n");
        for (Setting<?> s : ALL) {
            b.append("| `").append(s.env()).append("` | ")
                    .append(s.defaultText() == null ? "unset" : "`" + s.defaultText() + "`")
                    .append(" | ").append(s.unit())
                    .append(" | ").append(s.help().replace("|", "\\|"))
                    .append(s.secret() ? " (secret: never logged)" : "")
                    .append(" |\n");
        }
        return b.toString();
    }

    /** {@code postgres://user:***@host/db}, {@code …password=***}: for logs and descriptions. */
    static String redactUrl(String url) {
        return url.replaceAll("//([^:/@]+):[^@]*@", "//$1:***@").replaceAll("(?i)password=[^&]*", "password=***");
    }

    private static String databaseUrl(Setting<String> s, String v) {
        String url = v.trim();
        int sep = url.indexOf("://");
        String scheme = sep < 0 ? "" : url.substring(0, sep).toLowerCase(Locale.ROOT);
        if (!URL_SCHEMES.contains(scheme)) {
            // the scheme only: the rest of the URL may hold a password
            throw new ConfigException(s.env() + ": unsupported scheme '" + (sep < 0 ? "" : url.substring(0, sep))
                    + "' (expected: postgres://, postgresql:// or jdbc:postgresql://)");
        }
        try {
            DataSourceFactory.parse(url);
        } catch (IllegalArgumentException e) {
            String m = e.getMessage();
            throw new ConfigException(m != null && m.startsWith(s.env() + ":") ? m : s.env() + ": " + m);
        }
        return url;
    }

    private static String path(Setting<String> s, String v) {
        try {
            Path.of(v);
        } catch (InvalidPathException e) {
            throw new ConfigException(s.env() + ": '" + v + "' is not a valid path (" + e.getReason() + ")");
        }
        return v;
    }

    private static String hex64(Setting<String> s, String v) {
        if (!HEX64.matcher(v).matches()) {
            throw new ConfigException(s.env() + ": must be 64 hex chars (32 bytes)");
        }
        return v;
    }

    private static String wsUrl(Setting<String> s, String v) {
        if (!WS_URL.matcher(v).matches()) {
            throw new ConfigException(s.env() + ": '" + v + "' (expected: a ws:// or wss:// URL)");
        }
        return v;
    }

    private static String readable(Setting<String> s, String v) {
        Path p;
        try {
            p = Path.of(v);
        } catch (InvalidPathException e) {
            throw new ConfigException(s.env() + ": cannot read file '" + v + "'");
        }
        if (!Files.isRegularFile(p) || !Files.isReadable(p)) {
            throw new ConfigException(s.env() + ": cannot read file '" + v + "'");
        }
        return v;
    }

    private static String logLevel(Setting<String> s, String v) {
        String level = v.trim().toUpperCase(Locale.ROOT);
        if (!Set.of("ERROR", "WARN", "INFO", "DEBUG", "TRACE").contains(level)) {
            throw new ConfigException(s.env() + ": '" + v.trim() + "' (expected: one of ERROR, WARN, INFO, DEBUG, TRACE)");
        }
        return level;
    }
}
