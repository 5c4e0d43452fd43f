package dev.claudemesh.broker.netty.http;

import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

class JoinRateLimiterTest {

    private final AtomicLong nowMs = new AtomicLong(1_000_000);
    private final InetSocketAddress a = new InetSocketAddress("10.0.0.1", 40_000);
    private final InetSocketAddress aOtherPort = new InetSocketAddress("10.0.0.1", 40_001);
    private final InetSocketAddress b = new InetSocketAddress("10.0.0.2", 40_000);

    @Test
    void shouldAllowTheBurstPerAddressThenRefillAtTheRate() {
        JoinRateLimiter limiter = new JoinRateLimiter(3, nowMs::get);

        assertThat(limiter.tryAcquire(a)).isTrue();
        assertThat(limiter.tryAcquire(aOtherPort)).isTrue(); // same address, another connection
        assertThat(limiter.tryAcquire(a)).isTrue();
        assertThat(limiter.tryAcquire(a)).isFalse();
        assertThat(limiter.tryAcquire(b)).isTrue();

        nowMs.addAndGet(20_000); // 3 per minute: one token per 20 s
        assertThat(limiter.tryAcquire(a)).isTrue();
        assertThat(limiter.tryAcquire(a)).isFalse();
    }

    @Test
    void shouldForgetIdleAddressesSoMemoryStaysBounded() {
        JoinRateLimiter limiter = new JoinRateLimiter(3, nowMs::get);
        for (int i = 0; i < 100; i++) {
            limiter.tryAcquire(new InetSocketAddress("10.1.0." + i, 1));
        }
        assertThat(limiter.trackedAddresses()).isEqualTo(100);

        nowMs.addAndGet(121_000);

        assertThat(limiter.trackedAddresses()).isZero();
    }

    @Test
    void shouldLetEverythingThroughWhenOff() {
        JoinRateLimiter limiter = new JoinRateLimiter(0, nowMs::get);
        for (int i = 0; i < 1_000; i++) {
            assertThat(limiter.tryAcquire(a)).isTrue();
        }
        assertThat(limiter.trackedAddresses()).isZero();
    }
}
