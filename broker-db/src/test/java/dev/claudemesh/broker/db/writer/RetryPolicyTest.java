package dev.claudemesh.broker.db.writer;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RetryPolicyTest {

    @Test
    void shouldDoubleTheWaitAfterEveryFailureUpToItsMaximum() {
        RetryPolicy retry = new RetryPolicy(100, 2_000, Sleeper.SYSTEM);

        List<Long> waits = new ArrayList<>();
        for (int failures = 1; failures <= 8; failures++) {
            waits.add(retry.backoffMs(failures));
        }

        assertThat(waits).containsExactly(100L, 200L, 400L, 800L, 1_600L, 2_000L, 2_000L, 2_000L);
    }

    @Test
    void shouldStayAtTheMaximumThroughALongOutageWithoutOverflowing() {
        RetryPolicy retry = new RetryPolicy(3, Long.MAX_VALUE - 1, Sleeper.SYSTEM);

        assertThat(retry.backoffMs(62)).isEqualTo(3L << 61);
        assertThat(retry.backoffMs(63)).isEqualTo(Long.MAX_VALUE - 1);
        assertThat(retry.backoffMs(Integer.MAX_VALUE)).isEqualTo(Long.MAX_VALUE - 1);
        assertThat(new RetryPolicy(100, 2_000, Sleeper.SYSTEM).backoffMs(1_000_000)).isEqualTo(2_000);
    }

    @Test
    void shouldWaitWithItsSleeper() throws InterruptedException {
        SteppedSleeper sleeper = SteppedSleeper.instant();
        RetryPolicy retry = RetryPolicy.of(WriterConfig.builder().retry(20, 50).build(), sleeper);

        for (int failures = 1; failures <= 4; failures++) {
            retry.pause(failures);
        }

        assertThat(sleeper.requestedMs()).containsExactly(20L, 40L, 50L, 50L);
    }

    @Test
    void shouldRejectInvalidSettings() {
        assertThatThrownBy(() -> new RetryPolicy(0, 10, Sleeper.SYSTEM)).hasMessage("initialMs: 0 (expected: > 0)");
        assertThatThrownBy(() -> new RetryPolicy(10, 9, Sleeper.SYSTEM))
                .hasMessage("maxMs: 9 (expected: >= initialMs=10)");
        assertThatThrownBy(() -> new RetryPolicy(1, 1, null)).hasMessage("sleeper");
        assertThatThrownBy(() -> new RetryPolicy(1, 1, Sleeper.SYSTEM).backoffMs(0))
                .hasMessage("failures: 0 (expected: > 0)");
    }
}
