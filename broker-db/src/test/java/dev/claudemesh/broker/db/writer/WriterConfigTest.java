package dev.claudemesh.broker.db.writer;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class WriterConfigTest {

    @Test
    void shouldHaveDocumentedDefaults() {
        WriterConfig c = WriterConfig.defaults();

        assertThat(c.maxBatchOps()).isEqualTo(4_096);
        assertThat(c.pipelineDepth()).isEqualTo(2);
        assertThat(c.lingerMicros()).isZero();
        assertThat(c.highWaterOps()).isEqualTo(50_000);
        assertThat(c.lowWaterOps()).isEqualTo(25_000);
        assertThat(c.retryInitialMs()).isEqualTo(100);
        assertThat(c.retryMaxMs()).isEqualTo(2_000);
        assertThat(c.healthProbeIntervalMs()).isEqualTo(2_000);
        assertThat(c.closeTimeoutMs()).isEqualTo(5_000);
        assertThat(c.threadName()).isEqualTo("broker-db-writer");
    }

    @Test
    void shouldRejectInconsistentSettingsWhenBuilt() {
        assertThatThrownBy(() -> WriterConfig.builder().maxBatchOps(0).build())
                .hasMessage("maxBatchOps: 0 (expected: > 0)");
        assertThatThrownBy(() -> WriterConfig.builder().pipelineDepth(0).build())
                .hasMessage("pipelineDepth: 0 (expected: 1..8)");
        assertThatThrownBy(() -> WriterConfig.builder().pipelineDepth(9).build())
                .hasMessage("pipelineDepth: 9 (expected: 1..8)");
        assertThatThrownBy(() -> WriterConfig.builder().lingerMicros(-1).build())
                .hasMessage("lingerMicros: -1 (expected: 0..100000)");
        assertThatThrownBy(() -> WriterConfig.builder().lingerMicros(100_001).build())
                .hasMessage("lingerMicros: 100001 (expected: 0..100000)");
        assertThatThrownBy(() -> WriterConfig.builder().waterMarks(10, 10).build())
                .hasMessage("lowWaterOps: 10 (expected: 0 <= lowWaterOps < highWaterOps=10)");
        assertThatThrownBy(() -> WriterConfig.builder().waterMarks(10, -1).build())
                .hasMessageStartingWith("lowWaterOps: -1");
        assertThatThrownBy(() -> WriterConfig.builder().retry(0, 10).build())
                .hasMessage("retryInitialMs: 0 (expected: > 0)");
        assertThatThrownBy(() -> WriterConfig.builder().retry(100, 50).build())
                .hasMessage("retryMaxMs: 50 (expected: >= retryInitialMs=100)");
        assertThatThrownBy(() -> WriterConfig.builder().healthProbeIntervalMs(0).build())
                .hasMessage("healthProbeIntervalMs: 0 (expected: > 0)");
        assertThatThrownBy(() -> WriterConfig.builder().closeTimeoutMs(-1).build())
                .hasMessage("closeTimeoutMs: -1 (expected: >= 0)");
        assertThatThrownBy(() -> WriterConfig.builder().threadName(null).build())
                .isInstanceOf(NullPointerException.class).hasMessage("threadName");
        assertThatThrownBy(() -> WriterConfig.builder().threadName(" ").build())
                .hasMessage("threadName: ' ' (expected: not blank)");
    }

    @Test
    void shouldCopyEverySettingIntoABuilder() {
        WriterConfig c = WriterConfig.builder().maxBatchOps(7).pipelineDepth(3).lingerMicros(13).waterMarks(30, 3).retry(5, 50)
                .healthProbeIntervalMs(9).closeTimeoutMs(11).threadName("w").build();

        WriterConfig copy = c.toBuilder().build();

        assertThat(copy).hasToString(c.toString());
        assertThat(copy.toString()).isEqualTo("maxBatchOps=7, pipelineDepth=3, lingerMicros=13, highWaterOps=30, lowWaterOps=3, retry=5..50 ms, "
                + "healthProbeIntervalMs=9, closeTimeoutMs=11, thread=w");
        assertThat(c.toBuilder().threadName("w-1").build().threadName()).isEqualTo("w-1");
        assertThat(c.threadName()).as("the original is immutable").isEqualTo("w");
    }
}
