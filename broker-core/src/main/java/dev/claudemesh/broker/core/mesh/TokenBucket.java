package dev.claudemesh.broker.core.mesh;

/**
 * A token bucket refilled continuously at {@code ratePerMin}, holding at most {@code burst} tokens.
 * Not thread-safe: confined to its owner's thread. Time comes from the caller (injected clock).
 */
public final class TokenBucket {

    private final double perMs;
    private final double capacity;
    private double tokens;
    private long lastMs;

    public TokenBucket(int ratePerMin, int burst, long nowMs) {
        this.perMs = ratePerMin / 60_000.0;
        this.capacity = burst;
        this.tokens = burst;
        this.lastMs = nowMs;
    }

    /** Takes one token if available. */
    public boolean tryTake(long nowMs) {
        if (nowMs > lastMs) {
            tokens = Math.min(capacity, tokens + (nowMs - lastMs) * perMs);
            lastMs = nowMs;
        }
        if (tokens >= 1.0) {
            tokens -= 1.0;
            return true;
        }
        return false;
    }
}
