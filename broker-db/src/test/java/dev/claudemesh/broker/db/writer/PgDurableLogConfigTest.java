package dev.claudemesh.broker.db.writer;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PgDurableLogConfigTest {

    @Test
    void shouldHaveDocumentedDefaults() {
        PgDurableLog.Config c = PgDurableLog.Config.defaults();

        assertThat(c.maxBatch()).isEqualTo(4_096);
        assertThat(c.highWaterOps()).isEqualTo(50_000);
        assertThat(c.lowWaterOps()).isEqualTo(25_000);
        assertThat(c.retryInitialMs()).isEqualTo(100);
        assertThat(c.retryMaxMs()).isEqualTo(2_000);
        assertThat(c.healthProbeIntervalMs()).isEqualTo(2_000);
    }

    @Test
    void shouldRejectInconsistentSettings() {
        PgDurableLog.Config c = PgDurableLog.Config.defaults();

        assertThatThrownBy(() -> c.withMaxBatch(0)).hasMessage("maxBatch: 0 (expected: > 0)");
        assertThatThrownBy(() -> c.withWaterMarks(10, 10)).hasMessageContaining("lowWaterOps");
        assertThatThrownBy(() -> c.withRetry(0, 10)).hasMessageContaining("retryInitialMs");
        assertThatThrownBy(() -> c.withRetry(100, 50)).hasMessageContaining("retryMaxMs");
        assertThatThrownBy(() -> c.withHealthProbeIntervalMs(0)).hasMessageContaining("healthProbeIntervalMs");
    }
}
