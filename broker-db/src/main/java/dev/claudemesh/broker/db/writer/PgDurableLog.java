package dev.claudemesh.broker.db.writer;

import dev.claudemesh.broker.core.port.DurableLog;
import dev.claudemesh.broker.core.port.DurableOp;
import dev.claudemesh.broker.core.port.PressureListener;
import dev.claudemesh.broker.core.port.WriterStats;
import dev.claudemesh.broker.db.store.Rows;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * The single writer of durable state (DESIGN "Data flow" step 5, STYLE habit 9): submitters put ops on an
 * unbounded queue that never drops work; one daemon thread drains up to {@link WriterConfig#maxBatchOps()} ops,
 * commits them in ONE transaction ({@link BatchRunner}: plan, statements, audit chain, retry until committed), and
 * only then runs the ops' callbacks, in submission order. When the backlog passes
 * {@link WriterConfig#highWaterOps()} the pressure listeners hear {@code true} (the transport stops reading from
 * peers) and {@code false} once it drops below {@link WriterConfig#lowWaterOps()}. While idle the writer probes the
 * database every {@link WriterConfig#healthProbeIntervalMs()} so that {@link #databaseHealthy()} follows the
 * database without traffic. With {@link WriterConfig#pipelineDepth()} above 1 the writer thread executes the next
 * batch while a commit thread commits the previous one and runs its callbacks ({@link BatchPipeline}: same order,
 * same exactly-once, same audit chain).
 *
 * <p>Threads: {@link #submit}, {@link #flush}, {@link #stats()} and the other queries may be called from any thread;
 * submit never blocks (it only checks the op). Callbacks and listeners run
 * on the writer thread or, pipelined, on its commit thread, one batch after the other (pressure {@code true} on the
 * submitting thread), and must not block. Owns its threads; not the {@link DataSource}.</p>
 */
public final class PgDurableLog implements DurableLog, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PgDurableLog.class);

    private final WriterConfig config;
    private final BatchExecutor executor;
    private final OpQueue queue = new OpQueue();
    private final AtomicInteger backlog = new AtomicInteger();
    private final Pressure pressure = new Pressure();
    private final WriterStatus status = new WriterStatus();
    private final BatchRunner runner;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Thread thread;
    /** Null for the serial writer ({@link WriterConfig#pipelineDepth()} 1). */
    private final BatchPipeline pipeline;
    /** Set by close() when the backlog could not be drained in time: stop retrying. */
    private volatile boolean abandon;

    private PgDurableLog(BatchExecutor executor, WriterConfig config, Sleeper sleeper, LongSupplier nanoClock) {
        this.config = Objects.requireNonNull(config, "config");
        this.executor = Objects.requireNonNull(executor, "executor");
        this.runner = new BatchRunner(executor, RetryPolicy.of(config, sleeper), status, nanoClock, () -> abandon,
                backlog::get);
        this.thread = config.threadFactory().newThread(this::run);
        this.thread.setName(config.threadName());
        this.thread.setDaemon(true);
        this.pipeline = config.pipelineDepth() == 1 ? null : new BatchPipeline(executor, runner, status, nanoClock,
                () -> abandon, this::afterCommit, () -> queue.add(Pending.WAKE), config.pipelineDepth(),
                config.threadName() + "-commit", config.threadFactory());
    }

    /** Creates the writer over {@code dataSource} and starts its thread; it waits between retries in real time. */
    public static PgDurableLog start(DataSource dataSource, WriterConfig config) {
        return start(dataSource, config, Sleeper.SYSTEM);
    }

    /** As {@link #start(DataSource, WriterConfig)}, waiting between retries with {@code sleeper}. */
    public static PgDurableLog start(DataSource dataSource, WriterConfig config, Sleeper sleeper) {
        return start(new PgBatchExecutor(dataSource), config, sleeper, System::nanoTime);
    }

    /** A writer over any executor (unit tests: a fake one). */
    static PgDurableLog start(BatchExecutor executor, WriterConfig config, Sleeper sleeper, LongSupplier nanoClock) {
        PgDurableLog writer = new PgDurableLog(executor, config, sleeper, nanoClock);
        if (writer.pipeline != null) {
            writer.pipeline.start();
        }
        writer.thread.start();
        log.info("durable writer started: {}", config);
        return writer;
    }

    /**
     * Queues {@code op}. Checks it first, on the caller's thread, so that a malformed op fails here instead of
     * failing its batch over and over.
     *
     * @throws NullPointerException  when a required field of {@code op} is null
     * @throws IllegalStateException after {@link #close()}
     */
    @Override
    public void submit(DurableOp op, Runnable onCommitted) {
        Pending pending = Pending.of(Objects.requireNonNull(op, "op"), onCommitted);
        if (closed.get()) {
            throw new IllegalStateException("durable log closed");
        }
        int n = backlog.incrementAndGet();
        queue.add(pending);
        if (n > config.highWaterOps() && !pressure.on()) {
            updatePressure();
        }
    }

    @Override
    public boolean aboveHighWater() {
        return pressure.on();
    }

    @Override
    public void addPressureListener(PressureListener listener) {
        pressure.addListener(listener);
    }

    @Override
    public boolean databaseHealthy() {
        return status.healthy();
    }

    @Override
    public WriterStats stats() {
        return status.snapshot(backlog.get());
    }

    /**
     * Waits until every op submitted before this call is committed (and its callback has run), or
     * {@code timeoutMs} passes. Must not be called from the writer's threads (i.e. from a callback).
     */
    @Override
    public boolean flush(long timeoutMs) {
        if (Thread.currentThread() == thread || pipeline != null && pipeline.isCommitThread()) {
            throw new IllegalStateException("flush() from the writer thread would wait for itself");
        }
        if (!thread.isAlive()) {
            return backlog.get() == 0;
        }
        CountDownLatch done = new CountDownLatch(1);
        queue.add(Pending.marker(done::countDown));
        try {
            return done.await(timeoutMs, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Stops accepting ops, waits up to {@link WriterConfig#closeTimeoutMs()} for the backlog to commit, then stops
     * the writer thread. Ops still uncommitted then (database down) are logged as lost. Idempotent.
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
        queue.add(Pending.STOP);
        try {
            thread.join(Math.max(1_000, config.closeTimeoutMs()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        int left = backlog.get();
        WriterStats s = status.snapshot(left);
        if (left > 0) {
            log.error("durable writer closed with {} ops not committed (database unavailable)", left);
        } else {
            log.info("durable writer closed: {} ops in {} batches committed", s.committedOps(), s.committedBatches());
        }
    }

    /** The water-mark rule: on above {@code highWaterOps}, off again below {@code lowWaterOps}. */
    private void updatePressure() {
        pressure.update(on -> {
            int n = backlog.get();
            boolean next = on ? n >= config.lowWaterOps() : n > config.highWaterOps();
            if (next && !on) {
                log.warn("durable backlog {} ops above high-water mark {}: pressure on", n, config.highWaterOps());
            } else if (!next && on) {
                log.info("durable backlog {} ops below low-water mark {}: pressure off", n, config.lowWaterOps());
            }
            return next;
        });
    }

    /** Ops submitted and not yet taken by the writer thread (tests). */
    int queued() {
        return queue.size();
    }

    // ------------------------------------------------------------------------------------------ writer thread

    private void run() {
        List<Pending> batch = new ArrayList<>(config.maxBatchOps());
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
                if (first == Pending.STOP) {
                    drainPipeline();
                    return;
                }
                if (first == null) {
                    if (pipeline != null && !pipeline.settleFailures()) {
                        return;
                    }
                    if (pipeline == null || pipeline.idle()) {
                        probe();
                    }
                    continue;
                }
                batch.add(first);
                // pipelined: wait for a transaction slot before taking the rest, so the batch holds what came meanwhile
                if (pipeline != null && !pipeline.reserve()) {
                    return;
                }
                if (config.lingerMicros() > 0 && (pipeline == null || !pipeline.busy())) {
                    linger(batch);
                }
                queue.drainTo(batch, config.maxBatchOps() - batch.size());
                boolean stop = batch.get(batch.size() - 1) == Pending.STOP;
                if (stop) {
                    batch.remove(batch.size() - 1);
                }
                if (!commit(batch)) {
                    return;
                }
                batch = pipeline == null ? batch : new ArrayList<>(config.maxBatchOps());
                batch.clear();
                if (stop) {
                    drainPipeline();
                    return;
                }
            }
        } catch (RuntimeException | Error e) {
            log.error("durable writer thread died; nothing more will be written", e);
            status.setHealthy(false);
            throw e;
        } finally {
            if (pipeline != null) {
                pipeline.stop();
            }
        }
    }

    /**
     * Waits up to {@link WriterConfig#lingerMicros()} for {@code batch} (its first op taken, nothing in flight) to reach
     * {@link WriterConfig#LINGER_OPS}: one transaction for the ops of a millisecond instead of one each. Ends early on
     * a marker (a flush waits, the writer stops, or the pipeline needs the writer thread).
     */
    private void linger(List<Pending> batch) {
        if (batch.get(0).isMarker()) {
            return;
        }
        long deadline = System.nanoTime() + config.lingerMicros() * 1_000L;
        int target = Math.min(WriterConfig.LINGER_OPS, config.maxBatchOps());
        while (batch.size() < target) {
            int from = batch.size();
            queue.drainTo(batch, target - from);
            for (int i = from; i < batch.size(); i++) {
                if (batch.get(i).isMarker()) {
                    return;
                }
            }
            long left = deadline - System.nanoTime();
            if (batch.size() >= target || left <= 0) {
                return;
            }
            Pending next;
            try {
                next = queue.poll(left, TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                return; // close() gave up: the commit path sees it
            }
            if (next == null) {
                return;
            }
            batch.add(next);
            if (next.isMarker()) {
                return;
            }
        }
    }

    /** Commits {@code batch} and runs its callbacks, or (pipelined) sends it on; false when abandoned. */
    private boolean commit(List<Pending> batch) {
        if (pipeline != null) {
            return pipeline.send(batch);
        }
        if (!runner.commit(batch)) {
            return false;
        }
        afterCommit(batch);
        return true;
    }

    private void drainPipeline() {
        if (pipeline != null) {
            pipeline.drain();
        }
    }

    /**
     * Counts the committed batch, lifts the pressure it relieved, then runs its callbacks in submission order. On the
     * writer thread, or pipelined on the commit thread: never on both at once.
     */
    private void afterCommit(List<Pending> batch) {
        int ops = 0;
        for (Pending p : batch) {
            if (!p.isMarker()) {
                ops++;
            }
        }
        status.committed(ops);
        int left = backlog.addAndGet(-ops);
        // Before the callbacks: a flush() whose marker is in this batch returns once they ran, and must then see the
        // pressure that this commit lifted as lifted.
        if (pressure.on() && left < config.lowWaterOps()) {
            updatePressure();
        }
        for (Pending p : batch) {
            if (p.op() instanceof DurableOp.EnqueueMessage e) {
                // the log's reference to the DM's nonce and ciphertext (DurableLog): committed, never read again
                e.message().payload().release();
            }
            Runnable cb = p.callback();
            if (cb == null) {
                continue;
            }
            try {
                cb.run();
            } catch (RuntimeException e) {
                status.callbackFailed();
                log.error("durable callback failed", e);
            }
        }
    }

    private void probe() {
        try {
            executor.probe();
            status.setHealthy(true);
        } catch (SQLException | RuntimeException e) {
            if (status.healthy()) {
                log.warn("database health probe failed: {}", Rows.describe(e));
            }
            status.setHealthy(false);
        }
    }
}
