package dev.claudemesh.broker.netty.it;

import dev.claudemesh.broker.core.Ids;
import dev.claudemesh.broker.core.testing.Identities;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static dev.claudemesh.broker.netty.it.Replies.await;
import static dev.claudemesh.broker.netty.it.Replies.error;
import static dev.claudemesh.broker.netty.it.Replies.keys;
import static dev.claudemesh.broker.netty.it.Replies.str;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Mesh memory over real sockets against a real PostgreSQL (PROTOCOL-MESH §5): {@code memory_stored} with
 * {@code memoryId} (§5.6 [fix], §16 defect 15), PostgreSQL full-text recall ({@code english}, every word, ranked, at
 * most 20) answered with {@code memory_results} then {@code memory_recall_result}, the soft {@code forget} and its
 * ack, {@code bad_request} for empty content and bad tags (defect 13), and the per-mesh row cap (defect 20).
 */
class MemoryIT {

    private static BrokerFixture broker;

    private String mesh;
    private Identities.MemberKeys alice;
    private Identities.MemberKeys bob;
    private BrokerFixture.Peer a;
    private int reqs;

    @BeforeAll
    static void start() throws Exception {
        broker = new BrokerFixture(Map.of("MEMORY_MAX_ROWS_PER_MESH", "25", "MEMORY_MAX_CONTENT_CHARS", "200",
                "WORKSPACE_MAX_TAGS", "3", "WORKSPACE_MAX_TAG_CHARS", "8"));
    }

    @AfterAll
    static void stop() {
        broker.close();
    }

    @BeforeEach
    void mesh() throws Exception {
        mesh = broker.createMesh("memory-" + System.nanoTime());
        alice = broker.addMember(mesh, "alice");
        bob = broker.addMember(mesh, "bob");
        a = broker.session(alice, "a1");
    }

    private String remember(BrokerFixture.Peer p, String content, String tagsJson) {
        String r = "m" + (++reqs);
        p.ws().send("{\"type\":\"remember\",\"content\":" + str(content)
                + (tagsJson == null ? "" : ",\"tags\":" + tagsJson) + ",\"_reqId\":\"" + r + "\"}");
        return (String) await(p.ws(), "memory_stored", r).get("id");
    }

    @SuppressWarnings("unchecked")
    private List<Map<String, Object>> recall(BrokerFixture.Peer p, String query) {
        String r = "q" + (++reqs);
        p.ws().send("{\"type\":\"recall\",\"query\":" + str(query) + ",\"_reqId\":\"" + r + "\"}");
        Map<String, Object> results = await(p.ws(), "memory_results", r);
        Map<String, Object> daemon = await(p.ws(), "memory_recall_result", r);
        assertThat(keys(results)).containsExactly("type", "memories", "_reqId");
        assertThat(keys(daemon)).containsExactly("type", "matches", "_reqId");
        assertThat(daemon.get("matches")).as("the daemon's frame carries the same rows")
                .isEqualTo(results.get("memories"));
        return (List<Map<String, Object>>) results.get("memories");
    }

    @Test
    void shouldStoreAMemoryAndAnswerWithIdAndMemoryId() throws Exception {
        a.ws().send("{\"type\":\"remember\",\"content\":\"staging DB password rotates on Mondays\","
                + "\"tags\":[\"ops\",\"db\"],\"_reqId\":\"r6\"}");
        Map<String, Object> stored = await(a.ws(), "memory_stored", "r6");
        assertThat(keys(stored)).containsExactly("type", "id", "memoryId", "_reqId");
        String id = (String) stored.get("id");
        assertThat(Ids.isId(id)).isTrue();
        assertThat(stored.get("memoryId")).isEqualTo(id);
        String db = broker.databaseUrl();
        assertThat(Sql.string(db, "select content || '|' || array_to_string(tags, ',') || '|' || remembered_by || '|'"
                + " || remembered_by_name from mesh.memory where id = '" + id + "' and mesh_id = '" + mesh + "'"))
                .isEqualTo("staging DB password rotates on Mondays|ops,db|" + alice.memberId() + "|alice");
        assertThat(Sql.count(db, "select count(*) from mesh.memory where mesh_id = '" + mesh + "'")).isEqualTo(1);
    }

    @Test
    void shouldRecallByEnglishFullTextSearchBestFirstWithTheRowShape() throws Exception {
        String m1 = remember(a, "staging DB password rotates on Mondays", "[\"ops\",\"db\"]");
        String m2 = remember(a, "Password rotation: rotate every password; rotating passwords is policy", null);
        remember(a, "the deploy runs from CI", "[]");
        BrokerFixture.Peer b = broker.session(bob, "b1");

        List<Map<String, Object>> found = recall(b, "rotating passwords");
        assertThat(found).extracting(m -> m.get("id")).containsExactly(m2, m1); // m2 ranks higher: more matches
        Map<String, Object> row = found.get(1);
        assertThat(keys(row)).containsExactly("id", "content", "tags", "rememberedBy", "rememberedAt");
        assertThat(row).containsEntry("content", "staging DB password rotates on Mondays")
                .containsEntry("tags", List.of("ops", "db")).containsEntry("rememberedBy", "alice");
        assertThat((String) row.get("rememberedAt")).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");

        assertThat(recall(b, "password deploy")).as("every word must occur").isEmpty();
        assertThat(recall(b, "the and of")).as("stop words only").isEmpty();
        assertThat(recall(b, "")).isEmpty();
        assertThat(recall(b, "ops")).as("tags are not searched").isEmpty();
        assertThat(recall(b, "DEPLOYING")).extracting(m -> m.get("content")).containsExactly("the deploy runs from CI");
    }

    @Test
    void shouldReturnAtMostTwentyMatches() {
        for (int i = 0; i < 22; i++) {
            remember(a, "release checklist item " + i, null);
        }
        assertThat(recall(a, "release checklist")).hasSize(20);
    }

    @Test
    void shouldForgetSoftlyAndAckWithTheMemoryIdFoundOrNot() throws Exception {
        String id = remember(a, "the office wifi password is on the fridge", null);
        BrokerFixture.Peer b = broker.session(bob, "b1");
        b.ws().send("{\"type\":\"forget\",\"memoryId\":\"" + id + "\",\"_reqId\":\"f1\"}");
        Map<String, Object> ack = await(b.ws(), "ack", "f1");
        assertThat(keys(ack)).containsExactly("type", "id", "messageId", "queued", "_reqId");
        assertThat(ack).containsEntry("id", id).containsEntry("messageId", id).containsEntry("queued", false);

        assertThat(recall(a, "wifi password")).isEmpty();
        assertThat(Sql.count(broker.databaseUrl(), "select count(*) from mesh.memory where id = '" + id
                + "' and forgotten_at is not null")).as("soft: the row stays, marked").isEqualTo(1);

        String unknown = Ids.newId();
        b.ws().send("{\"type\":\"forget\",\"memoryId\":\"" + unknown + "\"}");
        Map<String, Object> unknownAck = Json.object(b.ws().await(s -> s.contains("\"id\":\"" + unknown + "\""),
                5_000));
        assertThat(keys(unknownAck)).containsExactly("type", "id", "messageId", "queued");
    }

    @Test
    void shouldNotForgetAnotherMeshsMemory() throws Exception {
        String id = remember(a, "kept knowledge", null);
        String otherMesh = broker.createMesh("memory-other-" + System.nanoTime());
        BrokerFixture.Peer mallory = broker.session(broker.addMember(otherMesh, "mallory"), "x1");
        mallory.ws().send("{\"type\":\"forget\",\"memoryId\":\"" + id + "\",\"_reqId\":\"f\"}");
        await(mallory.ws(), "ack", "f");
        assertThat(recall(a, "knowledge")).extracting(m -> m.get("id")).containsExactly(id);
        assertThat(recall(mallory, "knowledge")).isEmpty();
    }

    @Test
    void shouldAnswerBadInputWithBadRequest() {
        String[][] cases = {
                {"{\"type\":\"remember\",\"_reqId\":\"e1\"}", "content is required"},
                {"{\"type\":\"remember\",\"content\":\"\",\"_reqId\":\"e2\"}", "content must not be empty"},
                {"{\"type\":\"remember\",\"content\":42,\"_reqId\":\"e3\"}", "content must be a string"},
                {"{\"type\":\"remember\",\"content\":\"" + "x".repeat(201) + "\",\"_reqId\":\"e4\"}",
                        "content is 201 chars (the most is 200)"},
                {"{\"type\":\"remember\",\"content\":\"x\",\"tags\":\"ops,db\",\"_reqId\":\"e5\"}",
                        "tags must be an array of strings"},
                {"{\"type\":\"remember\",\"content\":\"x\",\"tags\":[\"ops\",null],\"_reqId\":\"e6\"}",
                        "tags must be an array of strings"},
                {"{\"type\":\"remember\",\"content\":\"x\",\"tags\":[\"a\",\"b\",\"c\",\"d\"],\"_reqId\":\"e7\"}",
                        "tags has 4 entries (the most is 3)"},
                {"{\"type\":\"remember\",\"content\":\"x\",\"tags\":[\"too-long-tag\"],\"_reqId\":\"e8\"}",
                        "tags[0] is 12 chars (the most is 8)"},
                {"{\"type\":\"remember\",\"content\":\"a\\u0000b\",\"_reqId\":\"e9\"}",
                        "content must not contain U+0000"},
                {"{\"type\":\"recall\",\"_reqId\":\"e10\"}", "query is required"},
                {"{\"type\":\"recall\",\"query\":[],\"_reqId\":\"e11\"}", "query must be a string"},
                {"{\"type\":\"forget\",\"_reqId\":\"e12\"}", "memoryId is required"},
        };
        for (String[] c : cases) {
            a.ws().send(c[0]);
            Map<String, Object> err = error(a.ws(), Json.object(c[0]).get("_reqId").toString());
            assertThat(keys(err)).containsExactly("type", "code", "message", "_reqId");
            assertThat(err).as(c[0]).containsEntry("code", "bad_request").containsEntry("message", c[1]);
        }
    }

    @Test
    void shouldRefuseARememberAtTheCapUntilAMemoryIsForgotten() throws Exception {
        String first = null;
        for (int i = 0; i < 25; i++) {
            String id = remember(a, "note " + i, null);
            first = first == null ? id : first;
        }
        a.ws().send("{\"type\":\"remember\",\"content\":\"one too many\",\"_reqId\":\"full\"}");
        assertThat(error(a.ws(), "full")).containsEntry("code", "limit_exceeded")
                .containsEntry("message", "the mesh holds 25 memories, the most allowed: forget some first");

        a.ws().send("{\"type\":\"forget\",\"memoryId\":\"" + first + "\",\"_reqId\":\"f\"}");
        await(a.ws(), "ack", "f");
        remember(a, "now there is room", null);
        String db = broker.databaseUrl();
        assertThat(Sql.count(db, "select count(*) from mesh.memory where mesh_id = '" + mesh + "'")).isEqualTo(25);
        assertThat(Sql.count(db, "select count(*) from mesh.memory where id = '" + first + "'"))
                .as("the forgotten row made room").isZero();
    }
}
