package dev.claudemesh.broker.bench.loadgen;

import dev.claudemesh.broker.db.testing.TestDatabase;
import dev.claudemesh.broker.db.testing.TestDatabases;
import dev.claudemesh.broker.netty.BrokerConfig;
import dev.claudemesh.broker.netty.BrokerServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The load generator against a real broker started in-process on port 0 with a real PostgreSQL: a short dm run
 * must account for every message (each sent DM acked once and pushed exactly once, nothing lost, nothing
 * duplicated), and the bare relay baseline must deliver every frame. Small and short: this checks the generator's
 * bookkeeping, it measures nothing.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class LoadGenIT {

    private static final String TOKEN = "loadgen-it-token";
    private static TestDatabase db;
    private static BrokerServer broker;

    @BeforeAll
    static void startBroker() throws Exception {
        db = TestDatabases.newDatabase();
        broker = BrokerServer.start(BrokerConfig.load(Map.of(
                "BROKER_PORT", "0",
                "BROKER_BIND", "127.0.0.1",
                "DATABASE_URL", db.databaseUrl(),
                "BROKER_ADMIN_TOKEN", TOKEN,
                "SEND_RATE_LIMIT_PER_MIN", "0",
                "BROKER_EVENT_LOOP_THREADS", "2"), List.of()));
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) {
            broker.close();
        }
        if (db != null) {
            db.close();
        }
    }

    @Test
    void shouldAckAndPushEveryDmExactlyOnce() throws Exception {
        int port = broker.port();
        Report r = LoadGen.run(Options.parse("--url", "ws://127.0.0.1:" + port + "/ws",
                "--admin-url", "http://127.0.0.1:" + port, "--admin-token", TOKEN,
                "--scenario", "dm", "--peers", "10", "--size", "256", "--rate", "300",
                "--duration", "3s", "--warmup", "0s", "--threads", "1"));

        // the open-loop pacer never sends more than rate x duration (+ one tick); how many fewer it manages depends on
        // the CPU it gets (a loaded CI machine starves it), so only a floor that proves it ran is asserted below that
        assertThat(r.sent).as("sent in 3 s at 300/s").isBetween(30L, 950L);
        assertThat(r.acked).as("acked").isEqualTo(r.sent);
        assertThat(r.pushed).as("pushed").isEqualTo(r.sent);
        assertThat(r.lost).as("lost").isZero();
        assertThat(r.duplicates).as("duplicates").isZero();
        assertThat(r.redeliveries).as("redeliveries").isZero();
        assertThat(r.unacked).as("unacked").isZero();
        assertThat(r.errors).as("errors " + r.errorSamples).isZero();
        assertThat(r.pushLatencyMs.count()).isEqualTo(r.sent);
        assertThat(r.ackLatencyMs.count()).isEqualTo(r.sent);
    }

    @Test
    void shouldAccountForEveryDmOverTheBinarySubprotocol() throws Exception {
        int port = broker.port();
        Report r = LoadGen.run(Options.parse("--url", "ws://127.0.0.1:" + port + "/ws",
                "--admin-url", "http://127.0.0.1:" + port, "--admin-token", TOKEN,
                "--scenario", "dm", "--peers", "10", "--size", "256", "--rate", "300",
                "--duration", "2s", "--warmup", "0s", "--threads", "1", "--protocol", "binary"));

        assertThat(r.protocol).isEqualTo("binary");
        assertThat(r.sent).as("sent in 2 s at 300/s").isBetween(20L, 650L);
        assertThat(r.acked).as("acked").isEqualTo(r.sent);
        assertThat(r.pushed).as("pushed").isEqualTo(r.sent);
        assertThat(r.lost).as("lost").isZero();
        assertThat(r.duplicates).as("duplicates").isZero();
        assertThat(r.errors).as("errors " + r.errorSamples).isZero();
    }

    @Test
    void shouldMeasureAStormAfterADiscardedWarmUpStormWithCpuByThread() throws Exception {
        int port = broker.port();
        Report r = LoadGen.run(Options.parse("--url", "ws://127.0.0.1:" + port + "/ws",
                "--admin-url", "http://127.0.0.1:" + port, "--admin-token", TOKEN,
                "--scenario", "connect-storm", "--peers", "20", "--meshes", "2", "--concurrency", "8",
                "--duration", "30s", "--threads", "1",
                "--broker-pid", Long.toString(ProcessHandle.current().pid())));

        assertThat(r.stormWarmups).as("default with --admin-url").isEqualTo(1);
        assertThat(r.hellosOk).isEqualTo(20);
        assertThat(r.helloFailures).isZero();
        assertThat(r.errors).as("errors " + r.errorSamples).isZero();
        assertThat(r.hellosPerSec).isPositive();
        assertThat(r.helloLatencyMs.count()).isEqualTo(20);
        // the broker runs in this JVM: its event loops are among this process's threads, and CPU is per hello
        assertThat(r.brokerCpuByThreadS).containsKey("broker-loop-N-N");
        assertThat(r.brokerCpuUsPerMsg).isEqualTo(r.brokerCpuS * 1e6 / 20);
    }

    @Test
    void shouldRelayEveryFrameOfTheBaseline() throws Exception {
        try (RelayServer relay = RelayServer.start(0, 1)) {
            Report r = LoadGen.run(Options.parse("--url", "ws://127.0.0.1:" + relay.port() + "/ws",
                    "--scenario", "relay", "--peers", "10", "--size", "256", "--duration", "1s", "--window", "4",
                    "--threads", "1"));

            assertThat(r.sent).isPositive();
            assertThat(r.pushed).isEqualTo(r.sent);
            assertThat(r.lost).isZero();
            assertThat(r.duplicates).isZero();
            assertThat(r.errors).as("errors " + r.errorSamples).isZero();
            assertThat(relay.relayed.sum()).isGreaterThanOrEqualTo(r.sent);
        }
    }
}
