package dev.claudemesh.broker.netty.it;

import dev.claudemesh.broker.core.crypto.Ed25519;
import dev.claudemesh.broker.core.testing.Identities;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static dev.claudemesh.broker.netty.it.Replies.await;
import static dev.claudemesh.broker.netty.it.Replies.error;
import static dev.claudemesh.broker.netty.it.Replies.keys;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Shared state over real sockets against a real PostgreSQL (PROTOCOL-MESH §4): {@code set_state} has no reply and
 * pushes {@code state_change} to every other lease (sibling sessions and the control-plane lease included), never to
 * the writer; {@code get_state} answers {@code state_result} then {@code state_data} (§4.6 [fix], §16 defect 15) and
 * omits {@code key} when missing; bad input → {@code bad_request} with {@code _reqId} (§16 defect 13); the per-mesh
 * key cap and the list cap (defect 20); no values in the audit log (defect 4).
 */
class SharedStateIT {

    private static BrokerFixture broker;

    private String mesh;
    private Identities.MemberKeys alice;
    private Identities.MemberKeys bob;

    @BeforeAll
    static void start() throws Exception {
        broker = new BrokerFixture(Map.of("STATE_MAX_ENTRIES_PER_MESH", "4", "STATE_LIST_MAX_ENTRIES", "3",
                "STATE_MAX_KEY_CHARS", "16", "STATE_MAX_VALUE_BYTES", "64"));
    }

    @AfterAll
    static void stop() {
        broker.close();
    }

    @BeforeEach
    void mesh() throws Exception {
        mesh = broker.createMesh("state-" + System.nanoTime());
        alice = broker.addMember(mesh, "alice");
        bob = broker.addMember(mesh, "bob");
    }

    /** A control-plane {@code hello} lease (the daemon's), without a session key. */
    private WsClient daemon(Identities.MemberKeys m, String sessionId) {
        WsClient ws = broker.ws();
        ws.send(Identities.hello(m, null, sessionId, System.currentTimeMillis(), "daemon-" + sessionId));
        assertThat(ws.await(s -> s.contains("hello_ack") || s.contains("\"error\""), 5_000)).contains("hello_ack");
        return ws;
    }

    @Test
    void shouldStoreWithoutAReplyAndPushStateChangeToEveryOtherLeaseButTheWriter() throws Exception {
        BrokerFixture.Peer writer = broker.session(alice, "a1");
        BrokerFixture.Peer sibling = broker.session(alice, "a2");
        BrokerFixture.Peer other = broker.session(bob, "b1");
        WsClient bobDaemon = daemon(bob, "bd");
        // a hidden lease still gets state_change (PROTOCOL-MESH §3.2)
        BrokerFixture.Peer hidden = broker.session(bob, "b2");
        hidden.ws().send("{\"type\":\"set_visible\",\"visible\":false,\"_reqId\":\"h1\"}");
        assertThat(hidden.ws().await("\"_reqId\":\"h1\"")).startsWith("{\"type\":\"ack\"");

        writer.ws().send("{\"type\":\"set_state\",\"key\":\"release\",\"value\":{\"version\":\"1.5.1\","
                + "\"frozen\":true},\"_reqId\":\"s1\"}");

        for (WsClient ws : List.of(sibling.ws(), other.ws(), bobDaemon, hidden.ws())) {
            Map<String, Object> change = Json.object(ws.awaitType("state_change"));
            assertThat(keys(change)).containsExactly("type", "key", "value", "updatedBy");
            assertThat(change.get("key")).isEqualTo("release");
            assertThat(change.get("value")).isEqualTo(Map.of("version", "1.5.1", "frozen", true));
            assertThat(change.get("updatedBy")).isEqualTo("alice");
        }
        // The writer's next request runs after the upsert on the mesh's storage lane; anything sent to the writer
        // for the set_state (a reply, a push) would have been written before this reply.
        writer.ws().send("{\"type\":\"get_state\",\"key\":\"release\",\"_reqId\":\"g1\"}");
        await(writer.ws(), "state_data", "g1");
        assertThat(writer.ws().all("state_change")).isEmpty();
        assertThat(writer.ws().all("\"s1\"")).as("set_state has no reply").isEmpty();

        Sql.await(broker.databaseUrl(), "select count(*) from mesh.audit_log where mesh_id = '" + mesh
                + "' and event_type = 'state_set' and payload_canonical = '{\"key\":\"release\"}'", 1);
        assertThat(Sql.count(broker.databaseUrl(), "select count(*) from mesh.audit_log where mesh_id = '" + mesh
                + "' and payload_canonical like '%1.5.1%'")).as("no values in the audit log").isZero();
        assertThat(Sql.string(broker.databaseUrl(), "select updated_by_presence from mesh.state where mesh_id = '"
                + mesh + "'")).isEqualTo(writer.presenceId());
        bobDaemon.close();
    }

    @Test
    void shouldAnswerGetStateWithStateResultThenStateDataAndOmitTheKeyWhenMissing() throws Exception {
        BrokerFixture.Peer a = broker.session(alice, "a1");
        BrokerFixture.Peer b = broker.session(bob, "b1");
        a.ws().send("{\"type\":\"set_state\",\"key\":\"cfg\",\"value\":[1,2.50,\"x\",null]}");
        b.ws().send("{\"type\":\"get_state\",\"key\":\"cfg\",\"_reqId\":\"g1\"}");
        b.ws().awaitType("state_change"); // the get may overtake the set on another socket: read after the push
        b.ws().send("{\"type\":\"get_state\",\"key\":\"cfg\",\"_reqId\":\"g2\"}");

        String resultText = b.ws().await(s -> s.contains("state_result") && s.contains("\"g2\""), 5_000);
        Map<String, Object> result = Json.object(resultText);
        assertThat(keys(result)).containsExactly("type", "key", "value", "updatedBy", "updatedAt", "_reqId");
        assertThat(result.get("key")).isEqualTo("cfg");
        List<Object> value = Arrays.asList(1L, 2.5, "x", null);
        assertThat(result.get("value")).isEqualTo(value);
        assertThat(resultText).contains("\"value\":[1,2.50,\"x\",null]"); // jsonb keeps the scale of 2.50
        assertThat(result.get("updatedBy")).isEqualTo("alice");
        assertThat((String) result.get("updatedAt")).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");
        Map<String, Object> data = await(b.ws(), "state_data", "g2");
        assertThat(keys(data)).containsExactly("type", "state", "_reqId");
        @SuppressWarnings("unchecked")
        Map<String, Object> state = (Map<String, Object>) data.get("state");
        assertThat(keys(state)).containsExactly("key", "value", "updatedBy", "updatedAt");
        assertThat(state).containsEntry("key", "cfg").containsEntry("value", value).containsEntry("updatedBy", "alice")
                .containsEntry("updatedAt", result.get("updatedAt"));

        b.ws().send("{\"type\":\"get_state\",\"key\":\"missing\",\"_reqId\":\"g3\"}");
        Map<String, Object> missing = await(b.ws(), "state_result", "g3");
        assertThat(keys(missing)).containsExactly("type", "value", "updatedBy", "updatedAt", "_reqId");
        assertThat(missing.get("value")).isNull();
        assertThat(missing.get("updatedBy")).isEqualTo("");
        assertThat(missing.get("updatedAt")).isEqualTo("");
        Map<String, Object> missingData = await(b.ws(), "state_data", "g3");
        assertThat(missingData).containsEntry("state", null);

        b.ws().send("{\"type\":\"get_state\",\"key\":\"cfg\",\"_reqId\":42}");
        assertThat(b.ws().await(s -> s.contains("state_data") && s.endsWith(",\"_reqId\":42}"), 5_000))
                .as("a numeric _reqId is echoed as a number").isNotNull();
    }

    @Test
    void shouldSeeTheWritersOwnSetInAGetRightAfterItOnTheSameSocket() throws Exception {
        BrokerFixture.Peer a = broker.session(alice, "a1");
        for (int i = 0; i < 20; i++) {
            a.ws().send("{\"type\":\"set_state\",\"key\":\"counter\",\"value\":" + i + "}");
            a.ws().send("{\"type\":\"get_state\",\"key\":\"counter\",\"_reqId\":\"c" + i + "\"}");
        }
        for (int i = 0; i < 20; i++) {
            assertThat(await(a.ws(), "state_result", "c" + i).get("value")).isEqualTo((long) i);
        }
    }

    @Test
    void shouldListEntriesByKeyUpToTheListCap() throws Exception {
        BrokerFixture.Peer a = broker.session(alice, "a1");
        for (String k : List.of("b", "D", "a", "c")) {
            a.ws().send("{\"type\":\"set_state\",\"key\":\"" + k + "\",\"value\":\"" + k + k + "\"}");
        }
        a.ws().send("{\"type\":\"list_state\",\"_reqId\":\"l1\"}");
        Map<String, Object> list = await(a.ws(), "state_list", "l1");
        assertThat(keys(list)).containsExactly("type", "entries", "_reqId");
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> entries = (List<Map<String, Object>>) list.get("entries");
        assertThat(entries).extracting(e -> e.get("key")).containsExactly("D", "a", "b"); // code-point order, cap 3
        assertThat(keys(entries.get(0))).containsExactly("key", "value", "updatedBy", "updatedAt");
        assertThat(entries.get(1)).containsEntry("value", "aa").containsEntry("updatedBy", "alice");
    }

    @Test
    void shouldAnswerBadInputWithBadRequestAndANewKeyOverTheCapWithLimitExceeded() throws Exception {
        BrokerFixture.Peer a = broker.session(alice, "a1");
        BrokerFixture.Peer b = broker.session(bob, "b1");
        String[][] cases = {
                {"{\"type\":\"set_state\",\"value\":1,\"_reqId\":\"e1\"}", "key is required"},
                {"{\"type\":\"set_state\",\"key\":\"\",\"value\":1,\"_reqId\":\"e2\"}", "key must not be empty"},
                {"{\"type\":\"set_state\",\"key\":{},\"value\":1,\"_reqId\":\"e3\"}", "key must be a string"},
                {"{\"type\":\"set_state\",\"key\":\"" + "k".repeat(17) + "\",\"value\":1,\"_reqId\":\"e4\"}",
                        "key is 17 chars (the most is 16)"},
                {"{\"type\":\"set_state\",\"key\":\"k\",\"_reqId\":\"e5\"}", "value is required"},
                {"{\"type\":\"set_state\",\"key\":\"k\",\"value\":\"" + "v".repeat(80) + "\",\"_reqId\":\"e6\"}",
                        "value is 82 bytes as stored (the most is 64)"},
                {"{\"type\":\"set_state\",\"key\":\"k\",\"value\":\"a\\u0000b\",\"_reqId\":\"e7\"}",
                        "value must not contain U+0000"},
                {"{\"type\":\"get_state\",\"_reqId\":\"e8\"}", "key is required"},
                {"{\"type\":\"get_state\",\"key\":3,\"_reqId\":\"e9\"}", "key must be a string"},
        };
        for (String[] c : cases) {
            a.ws().send(c[0]);
            String reqId = Json.object(c[0]).get("_reqId").toString();
            Map<String, Object> err = error(a.ws(), reqId);
            assertThat(keys(err)).containsExactly("type", "code", "message", "_reqId");
            assertThat(err).as(c[0]).containsEntry("code", "bad_request").containsEntry("message", c[1]);
        }
        for (int i = 1; i <= 4; i++) {
            a.ws().send("{\"type\":\"set_state\",\"key\":\"k" + i + "\",\"value\":" + i + "}");
        }
        a.ws().send("{\"type\":\"set_state\",\"key\":\"k5\",\"value\":5,\"_reqId\":\"over\"}");
        assertThat(error(a.ws(), "over")).containsEntry("code", "limit_exceeded").containsEntry("message",
                "the mesh holds 4 state keys, the most allowed: a new key cannot be added (existing ones can be set)");
        a.ws().send("{\"type\":\"set_state\",\"key\":\"k1\",\"value\":\"updated\"}");
        a.ws().send("{\"type\":\"get_state\",\"key\":\"k1\",\"_reqId\":\"g\"}");
        assertThat(await(a.ws(), "state_result", "g").get("value")).isEqualTo("updated");
        assertThat(Sql.count(broker.databaseUrl(), "select count(*) from mesh.state where mesh_id = '" + mesh + "'"))
                .isEqualTo(4);
        assertThat(b.ws().all("state_change")).hasSize(5).noneMatch(f -> f.contains("\"k5\"")
                || f.contains("\"k\""));
    }

    @Test
    void shouldKeepStateOfOneMeshAwayFromAnother() throws Exception {
        String otherMesh = broker.createMesh("state-other-" + System.nanoTime());
        Identities.MemberKeys carol = broker.addMember(otherMesh, "carol");
        BrokerFixture.Peer a = broker.session(alice, "a1");
        BrokerFixture.Peer c = broker.session(carol, Ed25519.generate(), "c1", null);
        a.ws().send("{\"type\":\"set_state\",\"key\":\"secret\",\"value\":1}");
        a.ws().send("{\"type\":\"get_state\",\"key\":\"secret\",\"_reqId\":\"mine\"}");
        await(a.ws(), "state_result", "mine");
        c.ws().send("{\"type\":\"get_state\",\"key\":\"secret\",\"_reqId\":\"theirs\"}");
        assertThat(await(c.ws(), "state_result", "theirs")).doesNotContainKey("key").containsEntry("value", null);
        assertThat(c.ws().all("state_change")).isEmpty();
    }
}
