package dev.claudemesh.broker.netty.http;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import dev.claudemesh.broker.core.Clock;
import dev.claudemesh.broker.core.mesh.TokenBucket;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * The {@code /join} rate limit of PROTOCOL §9: a token bucket per client IP address holding
 * {@code JOIN_RATE_LIMIT_PER_MIN} tokens and refilled at that rate; 0 turns it off. Buckets live in a Caffeine cache
 * that forgets an address two minutes after its last request (by then its bucket would be full again) and holds at
 * most {@link #MAX_ADDRESSES}, so a flood of addresses cannot grow memory without bound.
 *
 * <p>The address is the TCP peer's: behind a reverse proxy every client shares the proxy's bucket (forwarding
 * headers are not trusted, since any client can set them). Thread-safe: called from every event loop.</p>
 */
final class JoinRateLimiter {

    /** Most addresses tracked at once. */
    static final long MAX_ADDRESSES = 100_000;

    private final int perMin;
    private final Clock clock;
    private final Cache<String, TokenBucket> bucketByAddress;

    JoinRateLimiter(int perMin, Clock clock) {
        if (perMin < 0) {
            throw new IllegalArgumentException("perMin: " + perMin + " (expected: >= 0)");
        }
        this.perMin = perMin;
        this.clock = Objects.requireNonNull(clock, "clock");
        Ticker ticker = () -> TimeUnit.MILLISECONDS.toNanos(clock.millis());
        this.bucketByAddress = Caffeine.newBuilder().ticker(ticker).executor(Runnable::run)
                .expireAfterAccess(2, TimeUnit.MINUTES).maximumSize(MAX_ADDRESSES).build();
    }

    /** Takes a token for {@code remote}'s address; false means 429. */
    boolean tryAcquire(SocketAddress remote) {
        if (perMin == 0) {
            return true;
        }
        String key = remote instanceof InetSocketAddress inet && inet.getAddress() != null
                ? inet.getAddress().getHostAddress() : String.valueOf(remote);
        TokenBucket bucket = bucketByAddress.get(key, k -> new TokenBucket(perMin, perMin, clock.millis()));
        synchronized (bucket) {
            return bucket.tryTake(clock.millis());
        }
    }

    /** Addresses currently tracked (approximate). */
    long trackedAddresses() {
        bucketByAddress.cleanUp();
        return bucketByAddress.estimatedSize();
    }
}
