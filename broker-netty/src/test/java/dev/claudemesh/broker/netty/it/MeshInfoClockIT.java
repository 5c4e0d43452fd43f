package dev.claudemesh.broker.netty.it;

import dev.claudemesh.broker.core.crypto.Ed25519;
import dev.claudemesh.broker.core.testing.Identities;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code mesh_info} and the simulation clock (PROTOCOL-MESH §10) on a real broker: every field of
 * {@code mesh_info_result}, every clock message and error, and real {@code tick} pushes (at speed 100, one every
 * 600 ms of the broker's real timers; waited for with a bound, never slept for). The tick arithmetic on an injected
 * clock is {@code ClockServiceTest}'s.
 */
class MeshInfoClockIT {

    private static BrokerFixture broker;

    @BeforeAll
    static void start() throws Exception {
        broker = new BrokerFixture();
    }

    @AfterAll
    static void stop() {
        broker.stop();
    }

    private static String ask(WsClient ws, String json, String reqId) {
        ws.send(json);
        return ws.await(s -> s.contains("\"_reqId\":\"" + reqId + "\""), 10_000);
    }

    @Test
    void meshInfoShouldSummariseTheMesh() throws Exception {
        String meshId = broker.createMesh("info");
        Identities.MemberKeys alice = broker.addMember(meshId, "alice");
        broker.session(alice, "a0");
        BrokerFixture.Peer a = broker.session(alice, Ed25519.generate(), "a", "[{\"name\":\"be\",\"role\":\"lead\"}]");
        broker.session(broker.addMember(meshId, "bob"), Ed25519.generate(), "b", "[{\"name\":\"be\"},{\"name\":\"qa\"}]");

        String info = ask(a.ws(), "{\"type\":\"mesh_info\",\"_reqId\":\"r16\"}", "r16");

        assertThat(info).isEqualTo("{\"type\":\"mesh_info_result\",\"mesh\":\"" + meshId + "\",\"peers\":3,"
                + "\"groups\":[\"@be\",\"@qa\"],\"stateKeys\":[],\"memoryCount\":0,\"fileCount\":0,"
                + "\"tasks\":{\"open\":0,\"claimed\":0,\"done\":0},\"streams\":[],\"tables\":[],\"collections\":[],"
                + "\"yourName\":\"n-a\",\"yourGroups\":[{\"name\":\"be\",\"role\":\"lead\"}],\"_reqId\":\"r16\"}");
    }

    @Test
    @SuppressWarnings("unchecked")
    void theClockShouldAnswerEveryMessageAndPushTicksToEveryLease() throws Exception {
        String meshId = broker.createMesh("clock");
        BrokerFixture.Peer a = broker.session(broker.addMember(meshId, "alice"), "a");
        BrokerFixture.Peer b = broker.session(broker.addMember(meshId, "bob"), "b");

        assertThat(Json.object(ask(a.ws(), "{\"type\":\"get_clock\",\"_reqId\":\"g\"}", "g")))
                .containsEntry("speed", 0L).containsEntry("paused", true).containsEntry("tick", 0L)
                .containsKeys("simTime", "startedAt");
        for (String op : List.of("pause_clock", "resume_clock")) {
            assertThat(ask(a.ws(), "{\"type\":\"" + op + "\",\"_reqId\":\"" + op + "\"}", op))
                    .isEqualTo("{\"type\":\"error\",\"code\":\"no_clock\",\"message\":\"No clock running for this "
                            + "mesh\",\"_reqId\":\"" + op + "\"}");
        }
        Map<String, Object> set = Json.object(ask(a.ws(), "{\"type\":\"set_clock\",\"speed\":100,\"_reqId\":\"s\"}",
                "s"));
        assertThat(set.keySet()).containsExactly("type", "speed", "paused", "tick", "simTime", "startedAt", "_reqId");
        assertThat(set).containsEntry("type", "clock_status").containsEntry("speed", 100L)
                .containsEntry("paused", false).containsEntry("tick", 0L);

        for (BrokerFixture.Peer p : List.of(a, b)) {
            Map<String, Object> tick = Json.object(p.ws().await("\"event\":\"tick\""));
            assertThat(tick).containsEntry("subtype", "system").containsEntry("senderPubkey", "system");
            assertThat((Map<String, Object>) tick.get("eventData")).containsEntry("tick", 1L).containsEntry("speed", 100L);
        }

        // speed 0 pauses (defect 17: the original ran the clock at speed 1)
        Map<String, Object> paused = Json.object(ask(b.ws(), "{\"type\":\"set_clock\",\"speed\":0,\"_reqId\":\"z\"}",
                "z"));
        assertThat(paused).containsEntry("paused", true).containsEntry("speed", 100L);
        long ticks = (Long) paused.get("tick");
        String marker = ask(b.ws(), "{\"type\":\"get_clock\",\"_reqId\":\"m\"}", "m");
        assertThat(Json.object(marker)).containsEntry("tick", ticks).containsEntry("paused", true);
        assertThat(Json.object(ask(a.ws(), "{\"type\":\"resume_clock\",\"_reqId\":\"r\"}", "r")))
                .containsEntry("paused", false);
        assertThat(Json.object(ask(a.ws(), "{\"type\":\"pause_clock\",\"_reqId\":\"p\"}", "p")))
                .containsEntry("paused", true);
    }
}
