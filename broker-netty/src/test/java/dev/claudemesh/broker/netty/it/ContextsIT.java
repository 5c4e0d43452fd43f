package dev.claudemesh.broker.netty.it;

import dev.claudemesh.broker.core.testing.Identities;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.claudemesh.broker.netty.it.Requests.ask;
import static dev.claudemesh.broker.netty.it.Requests.marker;
import static dev.claudemesh.broker.netty.it.Requests.withoutReqId;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Contexts (PROTOCOL-MESH §11.1, §11.2) end to end: {@code context_shared} without {@code _reqId} and the
 * {@code _context:<name>} {@code state_change} push, both kept for compatibility (§16 defect 19); search and list
 * shapes, the original's 20-row page and {@code ILIKE} wildcards; the per-mesh quota and list cap and the retention
 * (§16 defect 20); {@code bad_request}. The broker's clock is an {@link OffsetClock} so retention can be crossed.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ContextsIT {

    private final OffsetClock clock = new OffsetClock();
    private BrokerFixture broker;

    @BeforeAll
    void start() throws Exception {
        broker = new BrokerFixture(Map.of(), clock);
    }

    @AfterAll
    void stop() {
        if (broker != null) {
            broker.close();
        }
    }

    private static String share(String summary, String extra) {
        return "{\"type\":\"share_context\",\"summary\":\"" + summary + "\"" + extra + "}";
    }

    @Test
    void shouldShareWithoutReqIdPushStateChangeToOtherLeasesAndUpsertPerMember() throws Exception {
        String mesh = broker.createMesh("ctx-share");
        Identities.MemberKeys alice = broker.addMember(mesh, "alice");
        BrokerFixture.Peer a1 = broker.session(alice, "a1");
        BrokerFixture.Peer a2 = broker.session(alice, "a2");
        BrokerFixture.Peer b = broker.session(broker.addMember(mesh, "bob"), "b");

        a1.ws().send(share("migrated auth to JWT", ",\"filesRead\":[\"auth.ts\"],\"keyFindings\":[\"x\"],"
                + "\"tags\":[\"auth\"],\"_reqId\":\"ctx1\""));
        String shared = a1.ws().awaitType("context_shared");
        String id = BrokerFixture.jsonField(shared, "id");
        assertThat(shared).isEqualTo("{\"type\":\"context_shared\",\"id\":\"" + id + "\"}"); // no _reqId (defect 19)
        assertThat(id).matches("[0-9A-Za-z]{32}");
        String push = "{\"type\":\"state_change\",\"key\":\"_context:alice\",\"value\":\"migrated auth to JWT\","
                + "\"updatedBy\":\"alice\"}";
        assertThat(b.ws().awaitType("state_change")).isEqualTo(push);
        assertThat(a2.ws().awaitType("state_change")).isEqualTo(push); // a sibling session of the sharer gets it too
        marker(a1.ws());
        assertThat(a1.ws().all("state_change")).isEmpty();
        assertThat(Sql.string(broker.databaseUrl(), "select presence_id || ' ' || peer_name || ' ' || summary || ' '"
                + " || files_read::text || key_findings::text || tags::text from mesh.context where id = '" + id + "'"))
                .isEqualTo(a1.presenceId() + " alice migrated auth to JWT {auth.ts}{x}{auth}");
        // nothing is written to shared state: the key only shares its name space (defect 19, documented)

        a2.ws().send(share("now on sessions", ""));
        assertThat(a2.ws().awaitType("context_shared")).isEqualTo("{\"type\":\"context_shared\",\"id\":\"" + id + "\"}");
        assertThat(Sql.count(broker.databaseUrl(), "select count(*) from mesh.context where mesh_id = '" + mesh + "'"))
                .isEqualTo(1);
        assertThat(withoutReqId(ask(b.ws(), "{\"type\":\"list_contexts\"}"))).matches(
                "\\{\"type\":\"context_list\",\"contexts\":\\[\\{\"peerName\":\"alice\",\"summary\":\"now on sessions\","
                        + "\"tags\":\\[],\"updatedAt\":\"\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z\"}]}");
        for (BrokerFixture.Peer p : List.of(a1, a2, b)) {
            p.ws().close();
        }
    }

    @Test
    void shouldSearchBySummaryPatternOrExactTagNewestFirstAtMostTwenty() throws Exception {
        String mesh = broker.createMesh("ctx-get");
        List<BrokerFixture.Peer> peers = new ArrayList<>();
        for (int i = 0; i < 22; i++) {
            BrokerFixture.Peer p = broker.session(broker.addMember(mesh, "m" + i), "s" + i);
            peers.add(p);
            p.ws().send(share("Refactor pass " + i, ",\"tags\":[\"t" + i + "\",\"common\"],\"filesRead\":[\"f" + i
                    + "\"],\"keyFindings\":[\"k\"]"));
            p.ws().awaitType("context_shared");
            clock.advance(1); // updated_at strictly grows with i (the order under test)
        }
        BrokerFixture.Peer q = peers.get(0);
        String page = ask(q.ws(), "{\"type\":\"get_context\",\"query\":\"REFACTOR\"}");
        List<String> names = peerNames(page);
        assertThat(names).hasSize(20).startsWith("m21", "m20", "m19").endsWith("m2"); // newest first, 20 at most
        assertThat(withoutReqId(page)).startsWith("{\"type\":\"context_results\",\"contexts\":[{\"peerName\":\"m21\","
                + "\"summary\":\"Refactor pass 21\",\"filesRead\":[\"f21\"],\"keyFindings\":[\"k\"],\"tags\":[\"t21\","
                + "\"common\"],\"updatedAt\":\"");
        assertThat(peerNames(ask(q.ws(), "{\"type\":\"get_context\",\"query\":\"t7\"}"))).containsExactly("m7");
        assertThat(peerNames(ask(q.ws(), "{\"type\":\"get_context\",\"query\":\"common\"}"))).hasSize(20);
        assertThat(peerNames(ask(q.ws(), "{\"type\":\"get_context\",\"query\":\"commo\"}"))).isEmpty(); // tags: exact
        assertThat(peerNames(ask(q.ws(), "{\"type\":\"get_context\",\"query\":\"pass 1_\"}"))) // _ is a wildcard
                .containsExactly("m19", "m18", "m17", "m16", "m15", "m14", "m13", "m12", "m11", "m10");
        assertThat(peerNames(ask(q.ws(), "{\"type\":\"get_context\",\"query\":\"tor%ss 3\"}"))).containsExactly("m3");
        assertThat(peerNames(ask(q.ws(), "{\"type\":\"list_contexts\"}"))).hasSize(22).startsWith("m21");
        for (BrokerFixture.Peer p : peers) {
            p.ws().close();
        }
    }

    private static List<String> peerNames(String reply) {
        List<String> out = new ArrayList<>();
        for (Object o : (List<?>) Json.object(reply).get("contexts")) {
            out.add((String) ((Map<?, ?>) o).get("peerName"));
        }
        return out;
    }

    @Test
    void shouldAnswerBadInputWithBadRequest() throws Exception {
        String mesh = broker.createMesh("ctx-bad");
        BrokerFixture.Peer a = broker.session(broker.addMember(mesh, "alice"), "a");
        String bad = "{\"type\":\"error\",\"code\":\"bad_request\",\"message\":\"";
        assertThat(withoutReqId(ask(a.ws(), "{\"type\":\"share_context\"}"))).isEqualTo(bad + "summary must be a "
                + "string\"}");
        assertThat(withoutReqId(ask(a.ws(), share("s", ",\"tags\":\"auth\"")))).isEqualTo(bad + "tags must be an array "
                + "of strings\"}");
        assertThat(withoutReqId(ask(a.ws(), share("s", ",\"keyFindings\":[1]")))).isEqualTo(bad + "keyFindings must be "
                + "an array of strings\"}");
        assertThat(withoutReqId(ask(a.ws(), "{\"type\":\"get_context\",\"query\":[]}"))).isEqualTo(bad + "query must be "
                + "a string\"}");
        assertThat(Sql.count(broker.databaseUrl(), "select count(*) from mesh.context where mesh_id = '" + mesh + "'"))
                .isZero();
        a.ws().close();
    }

    /** With a broker of its own: it moves that broker's clock two days ahead. */
    @Test
    void shouldRefuseANewMemberOverTheQuotaAndForgetContextsPastRetention() throws Exception {
        OffsetClock own = new OffsetClock();
        try (BrokerFixture b = new BrokerFixture(Map.of("BROKER_MAX_CONTEXTS_PER_MESH", "5",
                "BROKER_CONTEXT_RETENTION_DAYS", "1"), own)) {
            String mesh = b.createMesh("ctx-quota");
            List<BrokerFixture.Peer> peers = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                peers.add(b.session(b.addMember(mesh, "q" + i), "s" + i));
            }
            for (int i = 0; i < 5; i++) {
                peers.get(i).ws().send(share("work " + i, ""));
                peers.get(i).ws().awaitType("context_shared");
                own.advance(1);
            }
            BrokerFixture.Peer last = peers.get(5);
            assertThat(withoutReqId(ask(last.ws(), share("one too many", "")))).isEqualTo("{\"type\":\"error\","
                    + "\"code\":\"limit_exceeded\",\"message\":\"this mesh has 5 contexts (the limit)\"}");
            peers.get(0).ws().send(share("an update passes at the limit", ""));
            peers.get(0).ws().awaitType("context_shared");
            assertThat(peerNames(ask(last.ws(), "{\"type\":\"list_contexts\"}")))
                    .containsExactly("q0", "q4", "q3", "q2", "q1");

            own.advance(2 * 86_400_000L); // past BROKER_CONTEXT_RETENTION_DAYS=1: the contexts are gone
            assertThat(peerNames(ask(last.ws(), "{\"type\":\"list_contexts\"}"))).isEmpty();
            assertThat(peerNames(ask(last.ws(), "{\"type\":\"get_context\",\"query\":\"work\"}"))).isEmpty();
            last.ws().send(share("fresh", ""));
            last.ws().awaitType("context_shared"); // room again: the old rows were purged in the same transaction
            assertThat(Sql.count(b.databaseUrl(), "select count(*) from mesh.context where mesh_id = '" + mesh + "'"))
                    .isEqualTo(1);
            for (BrokerFixture.Peer p : peers) {
                p.ws().close();
            }
        }
    }
}
