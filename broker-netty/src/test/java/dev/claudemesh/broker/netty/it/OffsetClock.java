package dev.claudemesh.broker.netty.it;

import dev.claudemesh.broker.core.Clock;

/**
 * The system clock plus an offset a test moves forward, for a real broker whose time-based rules (hook-fresh window,
 * status TTL) a test wants to cross without sleeping. Netty's own timers (grace, sweeps) still run on real time.
 * Thread-safe.
 */
final class OffsetClock implements Clock {

    private volatile long offsetMs;

    @Override
    public long millis() {
        return System.currentTimeMillis() + offsetMs;
    }

    /** Moves this clock {@code ms} ahead of the system clock (cumulative). */
    void advance(long ms) {
        if (ms < 0) {
            throw new IllegalArgumentException("ms: " + ms + " (expected: >= 0)");
        }
        offsetMs += ms;
    }
}
