package dev.claudemesh.broker.core.clock;

import dev.claudemesh.broker.core.envelope.JsonNode;
import dev.claudemesh.broker.core.testing.Identities;
import dev.claudemesh.broker.core.testing.ServiceHarness;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The simulation clock (PROTOCOL-MESH §10.2) on the injected clock: ticks come from the mesh loop's timers as the
 * manual clock moves (no sleeps), every live lease gets them, and speed ≤ 0 pauses [fix, defect 17].
 */
class ClockServiceTest {

    private static final String T0 = "2023-11-14T22:13:20.000Z";

    private final ServiceHarness h = new ServiceHarness(List.of(new ClockService()));
    private final Identities.MemberKeys alice = h.member("alice");
    private final ServiceHarness.Peer a = h.session(alice, "a");
    private final ServiceHarness.Peer b = h.session(h.member("bob"), "b");

    private String ask(ServiceHarness.Peer p, String json) {
        p.send(json);
        h.run();
        return p.last();
    }

    private static String status(String speed, boolean paused, long tick, String simTime, String startedAt,
                                 String reqId) {
        return "{\"type\":\"clock_status\",\"speed\":" + speed + ",\"paused\":" + paused + ",\"tick\":" + tick
                + ",\"simTime\":\"" + simTime + "\",\"startedAt\":\"" + startedAt + "\""
                + (reqId == null ? "" : ",\"_reqId\":\"" + reqId + "\"") + "}";
    }

    @Test
    void getClockWithoutAClockShouldAnswerSpeedZeroPaused() {
        assertThat(ask(a, "{\"type\":\"get_clock\",\"_reqId\":\"g\"}")).isEqualTo(status("0", true, 0, T0, T0, "g"));
    }

    @Test
    void aRunningClockShouldTickEverySixtyThousandOverSpeedMsToEveryLease() {
        assertThat(ask(a, "{\"type\":\"set_clock\",\"speed\":10,\"_reqId\":\"s\"}"))
                .isEqualTo(status("10", false, 0, T0, T0, "s"));

        h.loop.advance(5_999);
        assertThat(b.conn().framesContaining("\"event\":\"tick\"")).isEmpty();
        h.loop.advance(1);
        h.loop.advance(6_000);

        for (ServiceHarness.Peer p : List.of(a, b)) {
            List<String> ticks = p.conn().framesContaining("\"event\":\"tick\"");
            assertThat(ticks).hasSize(2);
            assertThat(ticks.get(0)).startsWith("{\"type\":\"push\",\"subtype\":\"system\",\"event\":\"tick\","
                    + "\"eventData\":{\"tick\":1,\"simTime\":\"2023-11-14T22:14:20.000Z\",\"speed\":10},");
            assertThat(ticks.get(1)).contains("\"eventData\":{\"tick\":2,\"simTime\":\"2023-11-14T22:15:20.000Z\"");
            assertThat(ticks.get(1)).contains("\"senderPubkey\":\"system\",\"priority\":\"low\"");
        }
        assertThat(ask(b, "{\"type\":\"get_clock\"}"))
                .isEqualTo(status("10", false, 2, "2023-11-14T22:15:20.000Z", T0, null));
    }

    @Test
    void speedZeroShouldPauseTheClockNotRunItAtOne() {
        ask(a, "{\"type\":\"set_clock\",\"speed\":60}");
        h.loop.advance(1_000);
        assertThat(ask(a, "{\"type\":\"set_clock\",\"speed\":0,\"_reqId\":\"z\"}"))
                .isEqualTo(status("60", true, 1, "2023-11-14T22:14:20.000Z", T0, "z"));

        h.loop.advance(60_000);
        assertThat(a.conn().framesContaining("\"event\":\"tick\"")).hasSize(1);

        assertThat(ask(a, "{\"type\":\"resume_clock\",\"_reqId\":\"r\"}")).contains("\"paused\":false");
        h.loop.advance(1_000);
        assertThat(a.conn().framesContaining("\"event\":\"tick\"")).hasSize(2);
    }

    @Test
    void speedZeroWithoutAClockShouldCreateNothing() {
        assertThat(ask(a, "{\"type\":\"set_clock\",\"speed\":-3}")).isEqualTo(status("0", true, 0, T0, T0, null));
        assertThat(ask(a, "{\"type\":\"pause_clock\",\"_reqId\":\"p\"}")).isEqualTo("{\"type\":\"error\","
                + "\"code\":\"no_clock\",\"message\":\"No clock running for this mesh\",\"_reqId\":\"p\"}");
    }

    @Test
    void speedShouldBeReadLikeJavaScriptNumberAndClampedToOneToAHundred() {
        assertThat(ask(a, "{\"type\":\"set_clock\",\"speed\":\"fast\"}")).contains("\"speed\":1,");
        assertThat(ask(a, "{\"type\":\"set_clock\"}")).contains("\"speed\":1,");
        assertThat(ask(a, "{\"type\":\"set_clock\",\"speed\":0.5}")).contains("\"speed\":1,");
        assertThat(ask(a, "{\"type\":\"set_clock\",\"speed\":2.5}")).contains("\"speed\":2.5,");
        assertThat(ask(a, "{\"type\":\"set_clock\",\"speed\":\" 12 \"}")).contains("\"speed\":12,");
        assertThat(ask(a, "{\"type\":\"set_clock\",\"speed\":1e9}")).contains("\"speed\":100,");
        assertThat(ClockHandler.jsNumber(null)).isNaN();
        assertThat(ClockHandler.jsNumber(JsonNode.NullNode.INSTANCE)).isZero();
        assertThat(ClockHandler.jsNumber(new JsonNode.StringNode(""))).isZero();
        assertThat(ClockHandler.jsNumber(new JsonNode.StringNode("0x10"))).isEqualTo(16);
        assertThat(ClockHandler.jsNumber(JsonNode.BooleanNode.TRUE)).isEqualTo(1);
        assertThat(ClockHandler.jsNumber(new JsonNode.StringNode("1d"))).isNaN();
        assertThat(ClockHandler.jsNumber(new JsonNode.StringNode("-Infinity"))).isNegative().isInfinite();
    }

    @Test
    void aSpeedChangeShouldRestartTheIntervalAndKeepAPausedClockPaused() {
        ask(a, "{\"type\":\"set_clock\",\"speed\":1}");
        h.loop.advance(50_000);
        ask(a, "{\"type\":\"set_clock\",\"speed\":2}"); // the next tick is 30 s from now, not 10 s
        h.loop.advance(29_000);
        assertThat(a.conn().framesContaining("\"event\":\"tick\"")).isEmpty();
        h.loop.advance(1_000);
        assertThat(a.conn().framesContaining("\"event\":\"tick\"")).singleElement()
                .satisfies(t -> assertThat(t).contains("\"speed\":2}"));

        ask(a, "{\"type\":\"pause_clock\"}");
        assertThat(ask(a, "{\"type\":\"set_clock\",\"speed\":50}")).contains("\"speed\":50,\"paused\":true");
        h.loop.advance(60_000);
        assertThat(a.conn().framesContaining("\"event\":\"tick\"")).hasSize(1);
    }

    @Test
    void theClockShouldPauseWhenTheMeshsLastLeaseEnds() {
        ask(a, "{\"type\":\"set_clock\",\"speed\":100}");
        a.session().onClosed();
        b.session().onClosed();
        h.loop.advance(90_000 + 1_000); // grace passes: both leases end
        ServiceHarness.Peer c = h.session(alice, "c");

        assertThat(ask(c, "{\"type\":\"get_clock\"}")).contains("\"paused\":true");
        int ticks = c.conn().framesContaining("\"event\":\"tick\"").size();
        h.loop.advance(10_000);
        assertThat(c.conn().framesContaining("\"event\":\"tick\"")).hasSize(ticks).isEmpty();
    }
}
