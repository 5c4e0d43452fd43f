package dev.claudemesh.broker.core.testing;

import dev.claudemesh.broker.core.Clock;

/** A clock moved by hand. Not thread-safe beyond a volatile read. */
public final class ManualClock implements Clock {

    private volatile long nowMs;

    public ManualClock(long startMs) {
        this.nowMs = startMs;
    }

    @Override
    public long millis() {
        return nowMs;
    }

    public void advance(long ms) {
        nowMs += ms;
    }
}
