package dev.claudemesh.broker.bench.jmh;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link MeshLoopDmBenchmark} measures a real DM: alice is acked, bob is pushed each time, ops reach the log; in both
 * encodings.
 */
class MeshLoopDmBenchmarkTest {

    @ParameterizedTest
    @ValueSource(strings = {"json", "binary"})
    void shouldAckAlicePushBobAndSubmitOpsOnEveryIteration(String protocol) {
        MeshLoopDmBenchmark b = new MeshLoopDmBenchmark();
        b.protocol = protocol;
        b.setUp();
        int before = b.opsSubmitted();
        String previousPush = null;
        for (int i = 0; i < 2_100; i++) { // crosses two clock steps of the idempotency window
            b.dm();
            assertThat(b.lastToAlice()).contains("\"type\":\"ack\"").contains("\"queued\":true")
                    .contains("\"client_message_id\":\"c-" + String.format("%012d", i + 1) + "\"");
            String push = b.lastToBob();
            assertThat(push).contains("\"type\":\"push\"").isNotEqualTo(previousPush);
            previousPush = push;
        }
        assertThat(b.anyClosed()).as("no socket closed by the broker").isFalse();
        assertThat(b.opsSubmitted() - before).as("a queue row, an audit event and a delivered mark per DM at least")
                .isGreaterThanOrEqualTo(3 * 2_100);
    }
}
