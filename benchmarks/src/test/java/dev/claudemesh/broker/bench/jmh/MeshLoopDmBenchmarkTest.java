package dev.claudemesh.broker.bench.jmh;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** {@link MeshLoopDmBenchmark} measures a real DM: alice is acked, bob is pushed each time, ops reach the log. */
class MeshLoopDmBenchmarkTest {

    @Test
    void shouldAckAlicePushBobAndSubmitOpsOnEveryIteration() {
        MeshLoopDmBenchmark b = new MeshLoopDmBenchmark();
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
