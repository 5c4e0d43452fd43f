package dev.claudemesh.broker.bench.loadgen;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ThreadCpuTest {

    @Test
    void shouldGroupThreadNamesByReplacingDigits() {
        assertThat(ThreadCpu.group("broker-loop-3-12")).isEqualTo("broker-loop-N-N");
        // the kernel keeps 15 characters of a name: C1 and C2 compiler threads fall into one group
        assertThat(ThreadCpu.group("C2 CompilerThre")).isEqualTo("CN CompilerThre");
        assertThat(ThreadCpu.group("GC Thread#0")).isEqualTo("GC Thread#N");
    }

    @Test
    void shouldReportOnlyGroupsThatUsedCpuLargestFirst() {
        Map<String, Double> before = Map.of("loop", 1.0, "writer", 2.0, "idle", 5.0);
        Map<String, Double> after = Map.of("loop", 3.5, "writer", 2.25, "idle", 5.0, "jit", 1.0);

        Map<String, Double> d = ThreadCpu.delta(before, after);

        Map<String, Double> expected = new LinkedHashMap<>();
        expected.put("loop", 2.5);
        expected.put("jit", 1.0);
        expected.put("writer", 0.25);
        assertThat(d).containsExactlyEntriesOf(expected);
    }

    @Test
    void shouldReadThisProcessThreadsOnLinux() {
        Map<String, Double> self = ThreadCpu.byGroup("self");

        // the JVM's main thread is named "java" by the kernel, and it has used CPU to get here
        assertThat(self).isNotEmpty();
        assertThat(self.values().stream().mapToDouble(Double::doubleValue).sum()).isPositive();
    }

    @Test
    void shouldDefaultToOneWarmUpStormWithAdminUrlAndNoneWithFixture() {
        Options admin = Options.parse("--url", "ws://127.0.0.1:1/ws", "--admin-url", "http://127.0.0.1:1",
                "--admin-token", "t", "--scenario", "connect-storm", "--peers", "10");
        Options fixture = Options.parse("--url", "ws://127.0.0.1:1/ws", "--fixture", "f.json",
                "--scenario", "connect-storm", "--peers", "10");
        Options off = Options.parse("--url", "ws://127.0.0.1:1/ws", "--admin-url", "http://127.0.0.1:1",
                "--admin-token", "t", "--scenario", "connect-storm", "--peers", "10", "--storm-warmups", "0");

        assertThat(admin.stormWarmups()).isEqualTo(1);
        assertThat(fixture.stormWarmups()).isZero();
        assertThat(off.stormWarmups()).isZero();
        assertThatThrownBy(() -> Options.parse("--url", "ws://127.0.0.1:1/ws", "--fixture", "f.json",
                "--scenario", "connect-storm", "--peers", "10", "--storm-warmups", "1"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("needs --admin-url");
    }
}
