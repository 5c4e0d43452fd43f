package dev.claudemesh.broker.db.store;

import dev.claudemesh.broker.core.audit.AuditChain;
import dev.claudemesh.broker.core.model.StoredMessage;
import dev.claudemesh.broker.core.port.DurableLog;
import dev.claudemesh.broker.core.port.DurableOp;
import dev.claudemesh.broker.core.port.PressureListener;
import dev.claudemesh.broker.core.port.WriterStats;
import dev.claudemesh.broker.db.Database;
import dev.claudemesh.broker.db.jooq.mesh.tables.Presence;
import org.jooq.BatchBindStep;
import org.jooq.DSLContext;
import org.jooq.InsertValuesStep11;
import org.jooq.SQLDialect;
import org.jooq.conf.Settings;
import org.jooq.impl.DSL;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.claudemesh.broker.db.jooq.mesh.Tables.AUDIT_LOG;
import static dev.claudemesh.broker.db.jooq.mesh.Tables.MESSAGE_QUEUE;
import static dev.claudemesh.broker.db.jooq.mesh.Tables.PRESENCE;
import static org.jooq.impl.DSL.excluded;

/**
 * The single writer of durable state (DESIGN "Data flow" step 5, STYLE habit 9): submitters put ops on an
 * unbounded queue that never drops work; one daemon thread drains up to {@link Config#maxBatch()} ops, applies them
 * in ONE transaction (one array-bound statement per table for queue rows, delivery marks and audit rows, see
 * {@link BatchPlan}), commits, and only then runs the
 * ops' callbacks, in submission order. When the backlog passes {@link Config#highWaterOps()} the pressure listeners
 * hear {@code true} (the transport stops reading from peers) and {@code false} once it drops below
 * {@link Config#lowWaterOps()}.
 *
 * <p>On any failure the transaction is rolled back, {@link #databaseHealthy()} turns false and the same batch is
 * retried with exponential backoff ({@link Config#retryInitialMs()} to {@link Config#retryMaxMs()}) until it
 * commits: no op is dropped and no callback runs for uncommitted work. A batch whose COMMIT failed may have committed
 * anyway (the connection broke after the server committed): the retry first reads the chain head of one of the batch's
 * meshes, and when it is the batch's own last hash the batch is not applied again. Batches without audit rows are
 * simply re-applied: their statements are idempotent (queue inserts skip existing ids, presence upserts and delivery
 * marks set the same values). While idle the writer probes the database every
 * {@link Config#healthProbeIntervalMs()} so that health follows the database without traffic.</p>
 *
 * <p>Audit chain: this writer is the only writer of {@code audit_log}. It caches the last hash of every mesh it has
 * written to (loaded from the database on first use), computes each event's hash with {@link AuditChain} over the
 * canonical JSON that it stores verbatim, and restores the cache to its pre-batch state when a batch fails.</p>
 *
 * <p>Threads: {@link #submit}, {@link #flush}, {@link #backlog()} and the getters may be called from any thread;
 * submit never blocks (it computes an audit event's canonical JSON). Callbacks and
 * listeners run on the writer thread (pressure {@code true} on the submitting thread) and must not block. Owns its
 * thread; not the {@link DataSource}.</p>
 */
public final class PgDurableLog implements DurableLog, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PgDurableLog.class);

    /** Rows per multi-row INSERT: keeps each statement far below PostgreSQL's 65535 bind parameters. */
    static final int ROWS_PER_STATEMENT = 1_000;

    /** Epoch milliseconds travel as int8; this plus {@code ms * interval '1 millisecond'} is exact. */
    private static final String EPOCH = "'epoch'::timestamptz";

    /**
     * Writer configuration. Immutable, validated at construction.
     *
     * @param maxBatch              most ops applied in one transaction
     * @param highWaterOps          backlog above which pressure turns on
     * @param lowWaterOps           backlog below which pressure turns off again ({@code < highWaterOps})
     * @param retryInitialMs        first wait after a failed batch
     * @param retryMaxMs            longest wait between retries (the wait doubles up to this)
     * @param healthProbeIntervalMs idle time after which the writer runs {@code SELECT 1}
     * @param closeTimeoutMs        how long {@link #close()} waits for the backlog to drain
     * @param threadName            name of the writer thread
     */
    public record Config(int maxBatch, int highWaterOps, int lowWaterOps, long retryInitialMs, long retryMaxMs,
                         long healthProbeIntervalMs, long closeTimeoutMs, String threadName) {

        public Config {
            if (maxBatch < 1) {
                throw new IllegalArgumentException("maxBatch: " + maxBatch + " (expected: > 0)");
            }
            if (lowWaterOps < 0 || lowWaterOps >= highWaterOps) {
                throw new IllegalArgumentException("lowWaterOps: " + lowWaterOps + " (expected: 0 <= lowWaterOps < "
                        + "highWaterOps=" + highWaterOps + ")");
            }
            if (retryInitialMs < 1) {
                throw new IllegalArgumentException("retryInitialMs: " + retryInitialMs + " (expected: > 0)");
            }
            if (retryMaxMs < retryInitialMs) {
                throw new IllegalArgumentException("retryMaxMs: " + retryMaxMs + " (expected: >= retryInitialMs="
                        + retryInitialMs + ")");
            }
            if (healthProbeIntervalMs < 1) {
                throw new IllegalArgumentException("healthProbeIntervalMs: " + healthProbeIntervalMs
                        + " (expected: > 0)");
            }
            if (closeTimeoutMs < 0) {
                throw new IllegalArgumentException("closeTimeoutMs: " + closeTimeoutMs + " (expected: >= 0)");
            }
            Objects.requireNonNull(threadName, "threadName");
        }

        /** 4096 ops per batch, water marks 50 000 / 25 000, retry 100 ms to 2 s, probe every 2 s, close waits 5 s. */
        public static Config defaults() {
            return new Config(4_096, 50_000, 25_000, 100, 2_000, 2_000, 5_000, "broker-db-writer");
        }

        /** A copy with another {@link #maxBatch()}. */
        public Config withMaxBatch(int n) {
            return new Config(n, highWaterOps, lowWaterOps, retryInitialMs, retryMaxMs, healthProbeIntervalMs,
                    closeTimeoutMs, threadName);
        }

        /** A copy with other water marks. */
        public Config withWaterMarks(int high, int low) {
            return new Config(maxBatch, high, low, retryInitialMs, retryMaxMs, healthProbeIntervalMs,
                    closeTimeoutMs, threadName);
        }

        /** A copy with other retry waits. */
        public Config withRetry(long initialMs, long maxMs) {
            return new Config(maxBatch, highWaterOps, lowWaterOps, initialMs, maxMs, healthProbeIntervalMs,
                    closeTimeoutMs, threadName);
        }

        /** A copy with another {@link #healthProbeIntervalMs()}. */
        public Config withHealthProbeIntervalMs(long ms) {
            return new Config(maxBatch, highWaterOps, lowWaterOps, retryInitialMs, retryMaxMs, ms, closeTimeoutMs,
                    threadName);
        }

        /** A copy with another {@link #closeTimeoutMs()}. */
        public Config withCloseTimeoutMs(long ms) {
            return new Config(maxBatch, highWaterOps, lowWaterOps, retryInitialMs, retryMaxMs, healthProbeIntervalMs,
                    ms, threadName);
        }
    }

    /** A queued op, or a marker (op null) whose callback completes a {@link #flush}. */
    private record Pending(DurableOp op, String canonicalPayload, Runnable callback) {
    }

    private static final Pending STOP = new Pending(null, null, null);

    private final DataSource dataSource;
    private final Config config;
    private final Settings settings = Database.settings();
    private final LinkedBlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
    private final AtomicInteger backlog = new AtomicInteger();
    private final List<PressureListener> pressureListeners = new CopyOnWriteArrayList<>();
    private final Object pressureLock = new Object();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Thread thread;

    private volatile boolean aboveHighWater;
    private volatile boolean healthy = true;
    /** Writer thread only: the current attempt has sent (or is sending) its COMMIT. */
    private boolean commitStarted;
    /** Set by close() when the backlog could not be drained in time: stop retrying. */
    private volatile boolean abandon;

    // Metrics: written by the writer thread only, read from anywhere.
    private volatile int lastBatchSize;
    private volatile long lastCommitLatencyMicros;
    private volatile long committedOps;
    private volatile long committedBatches;
    private volatile long failedAttempts;
    private volatile long callbackFailures;

    // Confined to the writer thread.
    private final Map<String, String> lastHashByMesh = new HashMap<>();
    private final BatchPlan plan = new BatchPlan();

    private PgDurableLog(DataSource dataSource, Config config) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.config = Objects.requireNonNull(config, "config");
        this.thread = new Thread(this::run, config.threadName());
        this.thread.setDaemon(true);
    }

    /** Creates the writer over {@code dataSource} and starts its thread. */
    public static PgDurableLog start(DataSource dataSource, Config config) {
        PgDurableLog writer = new PgDurableLog(dataSource, config);
        writer.thread.start();
        log.info("durable writer started: maxBatch={}, highWaterOps={}, lowWaterOps={}, retry={}..{} ms, "
                        + "healthProbeIntervalMs={}", config.maxBatch(), config.highWaterOps(), config.lowWaterOps(),
                config.retryInitialMs(), config.retryMaxMs(), config.healthProbeIntervalMs());
        return writer;
    }

    /**
     * Queues {@code op}. Validates it first, on the caller's thread, so that a malformed op fails here instead of
     * failing its batch over and over.
     *
     * @throws NullPointerException     when a required field of {@code op} is null
     * @throws IllegalStateException    after {@link #close()}
     */
    @Override
    public void submit(DurableOp op, Runnable onCommitted) {
        String canonical = validate(op);
        if (closed.get()) {
            throw new IllegalStateException("durable log closed");
        }
        int n = backlog.incrementAndGet();
        queue.add(new Pending(op, canonical, onCommitted));
        if (n > config.highWaterOps() && !aboveHighWater) {
            updatePressure();
        }
    }

    @Override
    public boolean aboveHighWater() {
        return aboveHighWater;
    }

    @Override
    public void addPressureListener(PressureListener listener) {
        pressureListeners.add(Objects.requireNonNull(listener, "listener"));
    }

    @Override
    public boolean databaseHealthy() {
        return healthy;
    }

    /** Number of ops waiting to be written. */
    public int backlog() {
        return backlog.get();
    }

    @Override
    public WriterStats stats() {
        return new WriterStats(backlog.get(), lastBatchSize, lastCommitLatencyMicros, committedOps, committedBatches,
                failedAttempts, callbackFailures);
    }

    /**
     * Waits until every op submitted before this call is committed (and its callback has run), or
     * {@code timeoutMs} passes. Must not be called from the writer thread (i.e. from a callback).
     */
    @Override
    public boolean flush(long timeoutMs) {
        if (Thread.currentThread() == thread) {
            throw new IllegalStateException("flush() from the writer thread would wait for itself");
        }
        if (!thread.isAlive()) {
            return backlog.get() == 0;
        }
        CountDownLatch done = new CountDownLatch(1);
        queue.add(new Pending(null, null, done::countDown));
        try {
            return done.await(timeoutMs, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Stops accepting ops, waits up to {@link Config#closeTimeoutMs()} for the backlog to commit, then stops the
     * writer thread. Ops still uncommitted then (database down) are logged as lost. Idempotent.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        boolean drained = flush(config.closeTimeoutMs());
        if (!drained) {
            abandon = true;
            thread.interrupt();
        }
        queue.add(STOP);
        try {
            thread.join(Math.max(1_000, config.closeTimeoutMs()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        int left = backlog.get();
        if (left > 0) {
            log.error("durable writer closed with {} ops not committed (database unavailable)", left);
        } else {
            log.info("durable writer closed: {} ops in {} batches committed", committedOps, committedBatches);
        }
    }

    /** Number of real ops in the last committed batch. */
    public int lastBatchSize() {
        return lastBatchSize;
    }

    /** Wall time of the last successful transaction (statements and commit), in microseconds. */
    public long lastCommitLatencyMicros() {
        return lastCommitLatencyMicros;
    }

    /** Ops committed since start. */
    public long committedOps() {
        return committedOps;
    }

    /** Transactions committed since start. */
    public long committedBatches() {
        return committedBatches;
    }

    /** Failed attempts (each is rolled back and retried) since start. */
    public long failedAttempts() {
        return failedAttempts;
    }

    /** Callbacks that threw (logged and skipped) since start. */
    public long callbackFailures() {
        return callbackFailures;
    }

    // ------------------------------------------------------------------------------------------ submit side

    private static String validate(DurableOp op) {
        Objects.requireNonNull(op, "op");
        if (op instanceof DurableOp.EnqueueMessage e) {
            StoredMessage m = Objects.requireNonNull(e.message(), "message");
            Objects.requireNonNull(m.messageId(), "messageId");
            Objects.requireNonNull(m.meshId(), "meshId");
            Objects.requireNonNull(m.targetKey(), "targetKey");
            Objects.requireNonNull(m.priority(), "priority");
            Objects.requireNonNull(m.nonce(), "nonce");
            Objects.requireNonNull(m.ciphertext(), "ciphertext");
        } else if (op instanceof DurableOp.MarkDelivered m) {
            Objects.requireNonNull(m.meshId(), "meshId");
            Objects.requireNonNull(m.messageId(), "messageId");
        } else if (op instanceof DurableOp.UpsertPresence u) {
            Objects.requireNonNull(u.presenceId(), "presenceId");
            Objects.requireNonNull(u.meshId(), "meshId");
            Objects.requireNonNull(u.memberId(), "memberId");
        } else if (op instanceof DurableOp.DisconnectPresence d) {
            Objects.requireNonNull(d.meshId(), "meshId");
            Objects.requireNonNull(d.presenceId(), "presenceId");
        } else if (op instanceof DurableOp.AppendAudit a) {
            Objects.requireNonNull(a.meshId(), "meshId");
            return Objects.requireNonNull(a.event().canonicalPayload(), "canonicalPayload");
        }
        return null;
    }

    private void updatePressure() {
        synchronized (pressureLock) {
            int n = backlog.get();
            boolean next = aboveHighWater ? n >= config.lowWaterOps() : n > config.highWaterOps();
            if (next == aboveHighWater) {
                return;
            }
            aboveHighWater = next;
            if (next) {
                log.warn("durable backlog {} ops above high-water mark {}: pressure on", n, config.highWaterOps());
            } else {
                log.info("durable backlog {} ops below low-water mark {}: pressure off", n, config.lowWaterOps());
            }
            for (PressureListener l : pressureListeners) {
                try {
                    l.pressureChanged(next);
                } catch (RuntimeException e) {
                    log.error("pressure listener failed", e);
                }
            }
        }
    }

    // ------------------------------------------------------------------------------------------ writer thread

    private void run() {
        List<Pending> batch = new ArrayList<>(config.maxBatch());
        try {
            while (true) {
                Pending first;
                try {
                    first = queue.poll(config.healthProbeIntervalMs(), TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    if (abandon) {
                        return;
                    }
                    continue;
                }
                if (first == STOP) {
                    return;
                }
                if (first == null) {
                    probe();
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch, config.maxBatch() - 1);
                boolean stop = batch.get(batch.size() - 1) == STOP;
                if (stop) {
                    batch.remove(batch.size() - 1);
                }
                if (!writeWithRetry(batch)) {
                    return;
                }
                batch.clear();
                if (stop) {
                    return;
                }
            }
        } catch (RuntimeException | Error e) {
            log.error("durable writer thread died; nothing more will be written", e);
            healthy = false;
            throw e;
        }
    }

    /** Commits {@code batch}, retrying until it succeeds; false when abandoned by {@link #close()}. */
    private boolean writeWithRetry(List<Pending> batch) {
        long backoffMs = config.retryInitialMs();
        int attempt = 0;
        // Set when an attempt failed during its commit, so that it may have committed after all: the chain head each
        // of its meshes then has. The next attempt reads one mesh's head to tell which way it went.
        Map<String, String> headsIfCommitted = null;
        while (true) {
            attempt++;
            Map<String, String> undo = new HashMap<>();
            commitStarted = false;
            long t0 = System.nanoTime();
            try {
                if (headsIfCommitted != null) {
                    if (committedBefore(headsIfCommitted)) {
                        lastHashByMesh.putAll(headsIfCommitted);
                        setHealthy(true);
                        log.info("durable batch of {} ops had committed before its connection failed; not re-applied",
                                batch.size());
                        break;
                    }
                    headsIfCommitted = null;
                }
                if (writeOnce(batch, undo)) {
                    lastCommitLatencyMicros = (System.nanoTime() - t0) / 1_000;
                    setHealthy(true);
                }
                break;
            } catch (Exception e) {
                if (commitStarted && !undo.isEmpty()) {
                    headsIfCommitted = new HashMap<>();
                    for (String meshId : undo.keySet()) {
                        headsIfCommitted.put(meshId, lastHashByMesh.get(meshId));
                    }
                }
                restore(undo);
                failedAttempts++;
                if (healthy || attempt == 1) {
                    log.warn("durable batch of {} ops failed, rolled back, retrying in {} ms: {}", batch.size(),
                            backoffMs, Rows.describe(e));
                } else if (attempt % 20 == 0) {
                    log.warn("durable batch still failing after {} attempts, backlog {}: {}", attempt,
                            backlog.get(), Rows.describe(e));
                }
                setHealthy(false);
                if (abandon) {
                    return false;
                }
                try {
                    Thread.sleep(backoffMs);
                } catch (InterruptedException ie) {
                    if (abandon) {
                        return false;
                    }
                }
                backoffMs = Math.min(backoffMs * 2, config.retryMaxMs());
            }
        }
        if (attempt > 1) {
            log.info("durable batch committed after {} attempts", attempt);
        }
        int ops = 0;
        for (Pending p : batch) {
            if (p.op() != null) {
                ops++;
            }
        }
        if (ops > 0) {
            lastBatchSize = ops;
            committedOps += ops;
            committedBatches++;
        }
        int left = backlog.addAndGet(-ops);
        // Before the callbacks: a flush() whose marker is in this batch returns once they ran, and must then see the
        // pressure that this commit lifted as lifted.
        if (aboveHighWater && left < config.lowWaterOps()) {
            updatePressure();
        }
        for (Pending p : batch) {
            Runnable cb = p.callback();
            if (cb == null) {
                continue;
            }
            try {
                cb.run();
            } catch (RuntimeException e) {
                callbackFailures++;
                log.error("durable callback failed", e);
            }
        }
        return true;
    }

    /** Applies the batch in one transaction; false when it held only flush markers (nothing to write). */
    private boolean writeOnce(List<Pending> batch, Map<String, String> undo) throws SQLException {
        plan.clear();
        for (Pending p : batch) {
            if (p.op() != null) {
                plan.add(p.op(), p.canonicalPayload());
            }
        }
        if (plan.isEmpty()) {
            return false;
        }
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                DSLContext tx = DSL.using(c, SQLDialect.POSTGRES, settings);
                insertMessages(c, plan.enqueues);
                upsertPresences(tx, new ArrayList<>(plan.upserts.values()));
                disconnectPresences(tx, plan.disconnectAtMsByPresenceId);
                markDelivered(c, plan.marks);
                appendAudits(c, tx, plan.audits, undo);
                commitStarted = true;
                c.commit();
                return true;
            } catch (SQLException | RuntimeException e) {
                try {
                    c.rollback();
                } catch (SQLException re) {
                    e.addSuppressed(re);
                }
                throw e;
            }
        } finally {
            plan.clear();
        }
    }

    /**
     * One fixed statement per batch, whatever its size: the rows travel as one array per column, so the text never
     * changes and pgjdbc server-prepares it once per connection (a jOOQ multi-row VALUES statement had a new text,
     * hence a new parse and plan, for every row count, and rendering it was most of this thread's CPU).
     * {@code ON CONFLICT} keeps a retried batch idempotent; a row that exists without a delivery mark takes the
     * folded-in one.
     */
    static final String INSERT_MESSAGES = "INSERT INTO mesh.message_queue (id, mesh_id, sender_member_id, "
            + "sender_member_pubkey, sender_pubkey, sender_name, target_key, priority, nonce, ciphertext, "
            + "client_message_id, request_fingerprint, subtype, created_at, expires_at, delivered_at) "
            + "SELECT id, mesh_id, smid, smpk, spk, sname, tkey, prio, nonce, ct, cmid, fp, st, "
            + EPOCH + " + c * interval '1 millisecond', " + EPOCH + " + e * interval '1 millisecond', "
            + EPOCH + " + d * interval '1 millisecond' "
            + "FROM unnest(?::varchar[], ?::varchar[], ?::varchar[], ?::varchar[], ?::varchar[], ?::varchar[], "
            + "?::varchar[], ?::varchar[], ?::varchar[], ?::varchar[], ?::varchar[], ?::varchar[], ?::varchar[], "
            + "?::int8[], ?::int8[], ?::int8[]) "
            + "AS r(id, mesh_id, smid, smpk, spk, sname, tkey, prio, nonce, ct, cmid, fp, st, c, e, d) "
            + "ON CONFLICT (id) DO UPDATE SET delivered_at = EXCLUDED.delivered_at "
            + "WHERE message_queue.delivered_at IS NULL AND EXCLUDED.delivered_at IS NOT NULL";

    /**
     * Delivery marks of DMs enqueued in earlier batches, as one statement; the first mark wins (the plan keeps one
     * mark per id). The join is on the primary key only: a {@code delivered_at IS NULL} condition here matches the
     * partial index's predicate, and the generic plan of a prepared statement then scanned that whole index (dead
     * entries included, ~30 ms per batch on a grown table) instead of looking up each id.
     */
    static final String MARK_DELIVERED = "UPDATE mesh.message_queue q SET delivered_at = COALESCE(q.delivered_at, "
            + EPOCH + " + u.d * interval '1 millisecond') "
            + "FROM unnest(?::varchar[], ?::int8[]) AS u(id, d) WHERE q.id = u.id";

    /**
     * Audit rows in chain order (ordinality orders the ids the bigserial hands out). {@code created_at} arrives as
     * epoch milliseconds; integer interval arithmetic keeps it exact, so every row re-hashes. No {@code ON CONFLICT}:
     * the table has no unique key on the hash any more (V3), and a batch is never applied twice (see the class
     * comment).
     */
    static final String INSERT_AUDITS = "INSERT INTO mesh.audit_log (mesh_id, event_type, actor_id, "
            + "payload_canonical, created_at, prev_hash, hash) "
            + "SELECT mesh_id, ev, actor, payload, " + EPOCH + " + c * interval '1 millisecond', prev, h "
            + "FROM unnest(?::varchar[], ?::varchar[], ?::varchar[], ?::varchar[], ?::int8[], ?::varchar[], "
            + "?::varchar[]) WITH ORDINALITY AS r(mesh_id, ev, actor, payload, c, prev, h, n) ORDER BY n";

    private static void insertMessages(Connection c, List<BatchPlan.Enqueue> rows) throws SQLException {
        if (rows.isEmpty()) {
            return;
        }
        int n = rows.size();
        String[][] text = new String[13][n];
        Long[] created = new Long[n];
        Long[] expires = new Long[n];
        Long[] delivered = new Long[n];
        for (int i = 0; i < n; i++) {
            BatchPlan.Enqueue row = rows.get(i);
            StoredMessage m = row.message();
            text[0][i] = Rows.clean(m.messageId());
            text[1][i] = Rows.clean(m.meshId());
            text[2][i] = Rows.clean(m.senderMemberId());
            text[3][i] = Rows.clean(m.senderMemberPubkey());
            text[4][i] = Rows.clean(m.senderPubkey());
            text[5][i] = Rows.clean(m.senderName());
            text[6][i] = Rows.clean(m.targetKey());
            text[7][i] = Rows.clean(m.priority());
            text[8][i] = new String(m.nonce(), StandardCharsets.US_ASCII);
            text[9][i] = new String(m.ciphertext(), StandardCharsets.US_ASCII);
            text[10][i] = Rows.clean(m.clientMessageId());
            text[11][i] = Rows.clean(m.requestFingerprint());
            text[12][i] = m.subtype();
            created[i] = m.createdAtMs();
            expires[i] = m.expiresAtMs();
            delivered[i] = row.deliveredAtMs();
        }
        try (PreparedStatement ps = c.prepareStatement(INSERT_MESSAGES)) {
            int p = 1;
            for (String[] column : text) {
                ps.setArray(p++, c.createArrayOf("varchar", column));
            }
            ps.setArray(p++, c.createArrayOf("int8", created));
            ps.setArray(p++, c.createArrayOf("int8", expires));
            ps.setArray(p, c.createArrayOf("int8", delivered));
            ps.executeUpdate();
        }
    }

    private static void upsertPresences(DSLContext tx, List<DurableOp.UpsertPresence> upserts) {
        Presence p = PRESENCE;
        for (int from = 0; from < upserts.size(); from += ROWS_PER_STATEMENT) {
            int to = Math.min(upserts.size(), from + ROWS_PER_STATEMENT);
            InsertValuesStep11<?, String, String, String, String, String, String, String, Long, String, String,
                    OffsetDateTime> step = tx.insertInto(p, p.ID, p.MESH_ID, p.MEMBER_ID, p.SESSION_PUBKEY,
                    p.SESSION_ID, p.DISPLAY_NAME, p.CWD, p.PID, p.STATUS, p.PEER_ROLE, p.CONNECTED_AT);
            for (int i = from; i < to; i++) {
                DurableOp.UpsertPresence u = upserts.get(i);
                step = step.values(Rows.clean(u.presenceId()), u.meshId(), u.memberId(), Rows.clean(u.sessionPubkey()),
                        Rows.clean(u.sessionId()), Rows.clean(u.displayName()), Rows.clean(u.cwd()), u.pid(),
                        Rows.clean(u.status()), Rows.clean(u.peerRole()), Rows.time(u.connectedAtMs()));
            }
            step.onConflict(p.ID).doUpdate()
                    .set(p.MESH_ID, excluded(p.MESH_ID))
                    .set(p.MEMBER_ID, excluded(p.MEMBER_ID))
                    .set(p.SESSION_PUBKEY, excluded(p.SESSION_PUBKEY))
                    .set(p.SESSION_ID, excluded(p.SESSION_ID))
                    .set(p.DISPLAY_NAME, excluded(p.DISPLAY_NAME))
                    .set(p.CWD, excluded(p.CWD))
                    .set(p.PID, excluded(p.PID))
                    .set(p.STATUS, excluded(p.STATUS))
                    .set(p.PEER_ROLE, excluded(p.PEER_ROLE))
                    .set(p.CONNECTED_AT, excluded(p.CONNECTED_AT))
                    .set(p.DISCONNECTED_AT, (OffsetDateTime) null)
                    .execute();
        }
    }

    private static void disconnectPresences(DSLContext tx, Map<String, Long> atMsByPresenceId) {
        if (atMsByPresenceId.isEmpty()) {
            return;
        }
        Presence p = PRESENCE;
        BatchBindStep batch = tx.batch(tx.update(p)
                .set(p.DISCONNECTED_AT, (OffsetDateTime) null)
                .where(p.ID.eq((String) null)));
        atMsByPresenceId.forEach((id, atMs) -> batch.bind(Rows.time(atMs), Rows.clean(id)));
        batch.execute();
    }

    private static void markDelivered(Connection c, List<DurableOp.MarkDelivered> marks) throws SQLException {
        if (marks.isEmpty()) {
            return;
        }
        int n = marks.size();
        String[] ids = new String[n];
        Long[] at = new Long[n];
        for (int i = 0; i < n; i++) {
            ids[i] = Rows.clean(marks.get(i).messageId());
            at[i] = marks.get(i).deliveredAtMs();
        }
        try (PreparedStatement ps = c.prepareStatement(MARK_DELIVERED)) {
            ps.setArray(1, c.createArrayOf("varchar", ids));
            ps.setArray(2, c.createArrayOf("int8", at));
            ps.executeUpdate();
        }
    }

    private void appendAudits(Connection c, DSLContext tx, List<BatchPlan.Audit> audits, Map<String, String> undo)
            throws SQLException {
        if (audits.isEmpty()) {
            return;
        }
        int n = audits.size();
        String[][] text = new String[6][n];
        Long[] created = new Long[n];
        for (int i = 0; i < n; i++) {
            DurableOp.AppendAudit op = audits.get(i).op();
            String meshId = Rows.clean(op.meshId());
            String eventType = Rows.clean(op.eventType());
            String actorId = Rows.clean(op.actorId());
            String payload = audits.get(i).canonicalPayload();
            long createdAtMs = op.createdAtMs();
            String prev = lastHash(tx, meshId, undo);
            String hash = AuditChain.hash(prev, meshId, eventType, actorId, payload, createdAtMs);
            lastHashByMesh.put(meshId, hash);
            text[0][i] = meshId;
            text[1][i] = eventType;
            text[2][i] = actorId;
            text[3][i] = payload;
            text[4][i] = prev;
            text[5][i] = hash;
            created[i] = createdAtMs;
        }
        try (PreparedStatement ps = c.prepareStatement(INSERT_AUDITS)) {
            ps.setArray(1, c.createArrayOf("varchar", text[0]));
            ps.setArray(2, c.createArrayOf("varchar", text[1]));
            ps.setArray(3, c.createArrayOf("varchar", text[2]));
            ps.setArray(4, c.createArrayOf("varchar", text[3]));
            ps.setArray(5, c.createArrayOf("int8", created));
            ps.setArray(6, c.createArrayOf("varchar", text[4]));
            ps.setArray(7, c.createArrayOf("varchar", text[5]));
            ps.executeUpdate();
        }
    }

    /**
     * Whether a batch whose commit outcome is unknown did commit: true when the chain head of one of its meshes is the
     * hash that batch appended last ({@code headsIfCommitted}: mesh id → that hash). All of a batch's audit rows are
     * in one transaction, so one mesh tells for all. A batch without audit rows never gets here: re-applying it is
     * harmless (queue inserts skip existing ids, presence upserts and delivery marks set the same values).
     */
    private boolean committedBefore(Map<String, String> headsIfCommitted) throws SQLException {
        Map.Entry<String, String> probe = headsIfCommitted.entrySet().iterator().next();
        try (Connection c = dataSource.getConnection()) {
            return probe.getValue().equals(chainHead(DSL.using(c, SQLDialect.POSTGRES, settings), probe.getKey()));
        }
    }

    /** The stored hash of the mesh's last audit row, or null when it has none (via audit_log_mesh_id_idx). */
    private static String chainHead(DSLContext dsl, String meshId) {
        return dsl.select(AUDIT_LOG.HASH).from(AUDIT_LOG)
                .where(AUDIT_LOG.MESH_ID.eq(meshId))
                .orderBy(AUDIT_LOG.ID.desc())
                .limit(1)
                .fetchOne(AUDIT_LOG.HASH);
    }

    /** The mesh's last hash, loaded on first use; records the pre-batch cache state in {@code undo}. */
    private String lastHash(DSLContext tx, String meshId, Map<String, String> undo) {
        String cached = lastHashByMesh.get(meshId);
        if (!undo.containsKey(meshId)) {
            undo.put(meshId, cached);
        }
        if (cached != null) {
            return cached;
        }
        String last = chainHead(tx, meshId);
        String prev = last == null ? AuditChain.GENESIS : last;
        lastHashByMesh.put(meshId, prev);
        return prev;
    }

    /** Puts the audit cache back to where it was before a failed batch (null = not loaded). */
    private void restore(Map<String, String> undo) {
        undo.forEach((meshId, before) -> {
            if (before == null) {
                lastHashByMesh.remove(meshId);
            } else {
                lastHashByMesh.put(meshId, before);
            }
        });
    }

    private void probe() {
        try (Connection c = dataSource.getConnection(); Statement st = c.createStatement()) {
            st.execute("SELECT 1");
            setHealthy(true);
        } catch (SQLException | RuntimeException e) {
            if (healthy) {
                log.warn("database health probe failed: {}", Rows.describe(e));
            }
            setHealthy(false);
        }
    }

    private void setHealthy(boolean now) {
        if (healthy != now) {
            healthy = now;
            if (now) {
                log.info("database reachable again");
            }
        }
    }
}
