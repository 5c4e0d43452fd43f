package dev.claudemesh.broker.netty;

import org.junit.jupiter.api.Test;

import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

class NettyDefaultsTest {

    @Test
    void shouldSetTheBrokersDefaultsWhereNothingIsSet() {
        Properties p = new Properties();
        NettyDefaults.apply(p);
        assertThat(p).containsEntry("io.netty.recycler.maxCapacityPerThread", "0")
                .containsEntry("io.netty.leakDetection.samplingInterval", "4096")
                .hasSize(2);
    }

    @Test
    void shouldKeepWhatTheOperatorSet() {
        Properties p = new Properties();
        p.setProperty("io.netty.recycler.maxCapacityPerThread", "4096");
        p.setProperty("io.netty.leakDetection.samplingInterval", "1");
        NettyDefaults.apply(p);
        assertThat(p).containsEntry("io.netty.recycler.maxCapacityPerThread", "4096")
                .containsEntry("io.netty.leakDetection.samplingInterval", "1");
    }
}
