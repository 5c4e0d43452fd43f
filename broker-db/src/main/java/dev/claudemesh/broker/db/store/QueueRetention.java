package dev.claudemesh.broker.db.store;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Deletes {@code message_queue} rows the broker no longer needs: DMs delivered (born delivered, or marked in
 * {@code message_delivery}, V11), or expired, more than the retention period ago, and the delivery marks older than
 * that. Without it the tables only grow (every DM leaves a row), and so does the cost of writing to them.
 * Undelivered, unexpired DMs are never touched.
 *
 * <p>Runs on its own daemon thread every {@code periodMs}, never on the writer thread (acks do not wait for it),
 * in chunks of {@link #CHUNK} rows, each its own transaction, so it holds few locks at a time. The rows it deletes
 * are ones the writer no longer touches (marks are appended, never updated), so the two do not contend. A failed
 * sweep is logged and tried again at the next period. Thread-safe; owns its thread.</p>
 */
public final class QueueRetention implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(QueueRetention.class);

    /** Rows deleted per statement. */
    static final int CHUNK = 10_000;

    private static final String DELETE_CHUNK = "DELETE FROM mesh.message_queue WHERE ctid = ANY (ARRAY("
            + "SELECT ctid FROM mesh.message_queue "
            + "WHERE delivered_at < 'epoch'::timestamptz + ? * interval '1 millisecond' "
            + "OR expires_at < 'epoch'::timestamptz + ? * interval '1 millisecond' LIMIT " + CHUNK + "))";

    /**
     * Delivery marks appended after their DM's batch (V11) older than the cutoff, a chunk of them, with the queue rows
     * they mark, in one statement (so one transaction: a DM never loses its mark and keeps its row). A mark whose DM
     * is already gone (expired, or a second mark of the same DM) goes alone. Returns both counts.
     */
    private static final String DELETE_MARKED_CHUNK = "WITH m AS (DELETE FROM mesh.message_delivery WHERE ctid = ANY "
            + "(ARRAY(SELECT ctid FROM mesh.message_delivery "
            + "WHERE delivered_at < 'epoch'::timestamptz + ? * interval '1 millisecond' LIMIT " + CHUNK + ")) "
            + "RETURNING id), q AS (DELETE FROM mesh.message_queue q USING m WHERE q.id = m.id RETURNING 1) "
            + "SELECT (SELECT count(*) FROM m), (SELECT count(*) FROM q)";

    private final DataSource dataSource;
    private final long retentionMs;
    private final AtomicLong deleted = new AtomicLong();
    private final AtomicLong sweeps = new AtomicLong();
    private ScheduledExecutorService scheduler;

    /** A sweeper over {@code dataSource} that keeps rows for {@code retentionMs} after delivery or expiry. */
    public QueueRetention(DataSource dataSource, long retentionMs) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        if (retentionMs < 0) {
            throw new IllegalArgumentException("retentionMs: " + retentionMs + " (expected: >= 0)");
        }
        this.retentionMs = retentionMs;
    }

    /** Starts sweeping every {@code periodMs}, the first time after one period, with {@code clock} for "now". */
    public synchronized QueueRetention start(long periodMs, LongSupplier clock) {
        if (periodMs < 1) {
            throw new IllegalArgumentException("periodMs: " + periodMs + " (expected: > 0)");
        }
        if (scheduler != null) {
            throw new IllegalStateException("already started");
        }
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "broker-queue-retention");
            t.setDaemon(true);
            return t;
        });
        scheduler.scheduleWithFixedDelay(() -> {
            try {
                sweep(clock.getAsLong());
            } catch (SQLException | RuntimeException e) {
                log.warn("queue retention sweep failed, retrying in {} ms: {}", periodMs, Rows.describe(e));
            }
        }, periodMs, periodMs, TimeUnit.MILLISECONDS);
        return this;
    }

    /**
     * Deletes every row delivered or expired before {@code nowMs - retentionMs}; returns how many. Blocking; any
     * thread.
     */
    public long sweep(long nowMs) throws SQLException {
        long cutoff = nowMs - retentionMs;
        long total = 0;
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(DELETE_CHUNK);
             PreparedStatement marked = c.prepareStatement(DELETE_MARKED_CHUNK)) {
            c.setAutoCommit(true);
            ps.setLong(1, cutoff);
            ps.setLong(2, cutoff);
            int n;
            do {
                n = ps.executeUpdate();
                total += n;
            } while (n == CHUNK);
            marked.setLong(1, cutoff);
            long marks;
            do {
                try (ResultSet rs = marked.executeQuery()) {
                    rs.next();
                    marks = rs.getLong(1);
                    total += rs.getLong(2);
                }
            } while (marks == CHUNK);
        }
        deleted.addAndGet(total);
        sweeps.incrementAndGet();
        if (total > 0) {
            log.info("queue retention: deleted {} delivered or expired DMs older than {} ms", total, retentionMs);
        }
        return total;
    }

    /** Sweeps completed (successfully) since start: a signal for tests that a sweep has run. */
    public long sweeps() {
        return sweeps.get();
    }

    /** Rows deleted since start. */
    public long deletedRows() {
        return deleted.get();
    }

    /** Stops the sweeper thread (a sweep in progress finishes its current statement). Idempotent. */
    @Override
    public synchronized void close() {
        if (scheduler != null) {
            scheduler.shutdownNow();
        }
    }
}
