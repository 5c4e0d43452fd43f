package dev.claudemesh.broker.db.writer;

import java.util.Objects;

/**
 * When the writer tries a failed batch again: {@code initialMs} after the first failure, the wait doubling after every
 * further one up to {@code maxMs}. It never gives up: the writer drops no work, so a batch is tried until it commits
 * (or the writer is abandoned by {@link PgDurableLog#close()}). Immutable; waits with its {@link Sleeper}.
 */
final class RetryPolicy {

    private final long initialMs;
    private final long maxMs;
    private final Sleeper sleeper;

    RetryPolicy(long initialMs, long maxMs, Sleeper sleeper) {
        if (initialMs < 1) {
            throw new IllegalArgumentException("initialMs: " + initialMs + " (expected: > 0)");
        }
        if (maxMs < initialMs) {
            throw new IllegalArgumentException("maxMs: " + maxMs + " (expected: >= initialMs=" + initialMs + ")");
        }
        this.initialMs = initialMs;
        this.maxMs = maxMs;
        this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
    }

    /** The policy of {@code config}'s retry settings. */
    static RetryPolicy of(WriterConfig config, Sleeper sleeper) {
        return new RetryPolicy(config.retryInitialMs(), config.retryMaxMs(), sleeper);
    }

    /** The wait after the {@code failures}-th failed attempt in a row (1 for the first). */
    long backoffMs(int failures) {
        if (failures < 1) {
            throw new IllegalArgumentException("failures: " + failures + " (expected: > 0)");
        }
        long ms = initialMs;
        for (int i = 1; i < failures && ms < maxMs; i++) {
            ms = ms > maxMs / 2 ? maxMs : ms * 2;
        }
        return Math.min(ms, maxMs);
    }

    /** Waits {@link #backoffMs(int) backoffMs(failures)}. */
    void pause(int failures) throws InterruptedException {
        sleeper.sleep(backoffMs(failures));
    }
}
