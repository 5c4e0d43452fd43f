package dev.claudemesh.broker.db.writer;

import java.util.Objects;
import java.util.concurrent.ThreadFactory;

/**
 * The durable writer's settings. Immutable; made with {@link #builder()} (or {@link #toBuilder()}) and validated once,
 * in {@link Builder#build()}, so that a writer never starts with settings that contradict each other.
 */
public final class WriterConfig {

    /** Most batches in flight at once (see {@link #pipelineDepth()}). */
    public static final int MAX_PIPELINE_DEPTH = 8;

    private final int maxBatchOps;
    private final int pipelineDepth;
    private final int lingerMicros;
    private final int highWaterOps;
    private final int lowWaterOps;
    private final long retryInitialMs;
    private final long retryMaxMs;
    private final long healthProbeIntervalMs;
    private final long closeTimeoutMs;
    private final String threadName;
    private final ThreadFactory threadFactory;

    private WriterConfig(Builder b) {
        this.maxBatchOps = b.maxBatchOps;
        this.pipelineDepth = b.pipelineDepth;
        this.lingerMicros = b.lingerMicros;
        this.highWaterOps = b.highWaterOps;
        this.lowWaterOps = b.lowWaterOps;
        this.retryInitialMs = b.retryInitialMs;
        this.retryMaxMs = b.retryMaxMs;
        this.healthProbeIntervalMs = b.healthProbeIntervalMs;
        this.closeTimeoutMs = b.closeTimeoutMs;
        this.threadName = b.threadName;
        this.threadFactory = b.threadFactory;
    }

    /**
     * A builder holding the defaults: 4096 ops per batch, 2 batches in flight, no linger, water marks 50 000 / 25 000 ops, retry waits 100 ms doubling
     * to 2 s, a health probe after 2 s idle, close waits 5 s, thread {@code broker-db-writer}.
     */
    public static Builder builder() {
        return new Builder();
    }

    /** The defaults of {@link #builder()}. */
    public static WriterConfig defaults() {
        return builder().build();
    }

    /** A builder holding these settings. */
    public Builder toBuilder() {
        return new Builder()
                .maxBatchOps(maxBatchOps)
                .pipelineDepth(pipelineDepth)
                .lingerMicros(lingerMicros)
                .waterMarks(highWaterOps, lowWaterOps)
                .retry(retryInitialMs, retryMaxMs)
                .healthProbeIntervalMs(healthProbeIntervalMs)
                .closeTimeoutMs(closeTimeoutMs)
                .threadName(threadName)
                .threadFactory(threadFactory);
    }

    /** Most ops applied in one transaction. */
    public int maxBatchOps() {
        return maxBatchOps;
    }

    /**
     * Most batches in flight at once, each in its own transaction on its own connection: with 2, the next batch's
     * statements run while the previous one commits (commits and callbacks stay in submission order). 1 is the serial
     * writer: build, execute, commit, callbacks, then the next batch.
     */
    public int pipelineDepth() {
        return pipelineDepth;
    }

    /** Backlog above which pressure turns on (the transport stops reading from peers). */
    public int highWaterOps() {
        return highWaterOps;
    }

    /** Backlog below which pressure turns off again; below {@link #highWaterOps()}. */
    public int lowWaterOps() {
        return lowWaterOps;
    }

    /** Wait after the first failed attempt at a batch. */
    public long retryInitialMs() {
        return retryInitialMs;
    }

    /** Longest wait between attempts (the wait doubles up to this). */
    public long retryMaxMs() {
        return retryMaxMs;
    }

    /** Idle time after which the writer checks the database with {@code SELECT 1}. */
    public long healthProbeIntervalMs() {
        return healthProbeIntervalMs;
    }

    /**
     * How long the writer waits for more ops before it starts a batch of fewer than {@link #LINGER_OPS} while no batch is
     * in flight (0 = never waits). At low rates every op would otherwise get its own transaction; under load the
     * batches in flight already gather what arrives, and the writer does not wait.
     */
    public int lingerMicros() {
        return lingerMicros;
    }

    /** A batch this large starts at once, linger or not. */
    public static final int LINGER_OPS = 64;

    /** Most microseconds {@link #lingerMicros()} may be. */
    public static final int MAX_LINGER_MICROS = 100_000;

    /** How long {@link PgDurableLog#close()} waits for the backlog to commit. */
    public long closeTimeoutMs() {
        return closeTimeoutMs;
    }

    /** Name of the writer thread. */
    public String threadName() {
        return threadName;
    }

    /**
     * Makes the writer's threads (the writer and, pipelined, its commit thread), which are then named and made daemon.
     * The server passes Netty's {@code FastThreadLocalThread}: those threads release DM payloads into Netty's pool and
     * allocate the acks' pooled buffers, whose thread caches work only on such threads (on a plain thread every call
     * goes through Netty's slow thread-local path). Default: plain threads.
     */
    public ThreadFactory threadFactory() {
        return threadFactory;
    }

    @Override
    public String toString() {
        return "maxBatchOps=" + maxBatchOps + ", pipelineDepth=" + pipelineDepth + ", lingerMicros=" + lingerMicros
                + ", highWaterOps=" + highWaterOps
                + ", lowWaterOps=" + lowWaterOps + ", retry=" + retryInitialMs + ".." + retryMaxMs + " ms, healthProbeIntervalMs="
                + healthProbeIntervalMs + ", closeTimeoutMs=" + closeTimeoutMs + ", thread=" + threadName;
    }

    /** Collects settings; {@link #build()} checks them together. Not thread-safe. */
    public static final class Builder {
        private int maxBatchOps = 4_096;
        private int pipelineDepth = 2;
        private int lingerMicros;
        private int highWaterOps = 50_000;
        private int lowWaterOps = 25_000;
        private long retryInitialMs = 100;
        private long retryMaxMs = 2_000;
        private long healthProbeIntervalMs = 2_000;
        private long closeTimeoutMs = 5_000;
        private String threadName = "broker-db-writer";
        private ThreadFactory threadFactory = Thread::new;

        private Builder() {
        }

        /** See {@link WriterConfig#maxBatchOps()}. */
        public Builder maxBatchOps(int ops) {
            this.maxBatchOps = ops;
            return this;
        }

        /** See {@link WriterConfig#pipelineDepth()}. */
        public Builder pipelineDepth(int batches) {
            this.pipelineDepth = batches;
            return this;
        }

        /** See {@link WriterConfig#lingerMicros()}. */
        public Builder lingerMicros(int micros) {
            this.lingerMicros = micros;
            return this;
        }

        /** See {@link WriterConfig#highWaterOps()} and {@link WriterConfig#lowWaterOps()}. */
        public Builder waterMarks(int highWaterOps, int lowWaterOps) {
            this.highWaterOps = highWaterOps;
            this.lowWaterOps = lowWaterOps;
            return this;
        }

        /** See {@link WriterConfig#retryInitialMs()} and {@link WriterConfig#retryMaxMs()}. */
        public Builder retry(long initialMs, long maxMs) {
            this.retryInitialMs = initialMs;
            this.retryMaxMs = maxMs;
            return this;
        }

        /** See {@link WriterConfig#healthProbeIntervalMs()}. */
        public Builder healthProbeIntervalMs(long ms) {
            this.healthProbeIntervalMs = ms;
            return this;
        }

        /** See {@link WriterConfig#closeTimeoutMs()}. */
        public Builder closeTimeoutMs(long ms) {
            this.closeTimeoutMs = ms;
            return this;
        }

        /** See {@link WriterConfig#threadName()}. */
        public Builder threadName(String name) {
            this.threadName = name;
            return this;
        }

        /** See {@link WriterConfig#threadFactory()}. */
        public Builder threadFactory(ThreadFactory factory) {
            this.threadFactory = Objects.requireNonNull(factory, "factory");
            return this;
        }

        /**
         * The settings, checked together.
         *
         * @throws IllegalArgumentException when a setting is out of range or contradicts another
         * @throws NullPointerException     when the thread name is null
         */
        public WriterConfig build() {
            if (maxBatchOps < 1) {
                throw new IllegalArgumentException("maxBatchOps: " + maxBatchOps + " (expected: > 0)");
            }
            if (pipelineDepth < 1 || pipelineDepth > MAX_PIPELINE_DEPTH) {
                throw new IllegalArgumentException("pipelineDepth: " + pipelineDepth + " (expected: 1.."
                        + MAX_PIPELINE_DEPTH + ")");
            }
            if (lingerMicros < 0 || lingerMicros > MAX_LINGER_MICROS) {
                throw new IllegalArgumentException("lingerMicros: " + lingerMicros + " (expected: 0.."
                        + MAX_LINGER_MICROS + ")");
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
            if (threadName.isBlank()) {
                throw new IllegalArgumentException("threadName: '" + threadName + "' (expected: not blank)");
            }
            return new WriterConfig(this);
        }
    }
}
