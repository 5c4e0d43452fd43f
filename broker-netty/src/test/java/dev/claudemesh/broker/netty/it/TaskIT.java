package dev.claudemesh.broker.netty.it;

import dev.claudemesh.broker.core.Ids;
import dev.claudemesh.broker.core.testing.Identities;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static dev.claudemesh.broker.netty.it.Replies.await;
import static dev.claudemesh.broker.netty.it.Replies.error;
import static dev.claudemesh.broker.netty.it.Replies.keys;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Mesh tasks over real sockets against a real PostgreSQL (PROTOCOL-MESH §6): {@code task_created}; {@code task_list}
 * newest first with filters; the atomic claim — two sockets racing for each task, on one broker and on two brokers
 * sharing the database: exactly one wins, the other gets {@code task_not_claimable}; {@code complete_task};
 * {@code bad_request} for an empty title (§6.7 [fix], §16 defect 13); the per-mesh cap (defect 20).
 */
class TaskIT {

    private static BrokerFixture broker;

    private String mesh;
    private Identities.MemberKeys alice;
    private Identities.MemberKeys bob;
    private BrokerFixture.Peer a;
    private int reqs;

    @BeforeAll
    static void start() throws Exception {
        broker = new BrokerFixture(Map.of("TASK_MAX_PER_MESH", "30", "TASK_MAX_TEXT_CHARS", "40"));
    }

    @AfterAll
    static void stop() {
        broker.close();
    }

    @BeforeEach
    void mesh() throws Exception {
        mesh = broker.createMesh("tasks-" + System.nanoTime());
        alice = broker.addMember(mesh, "alice");
        bob = broker.addMember(mesh, "bob");
        a = broker.session(alice, "a1");
    }

    private String create(BrokerFixture.Peer p, String fields) {
        String r = "t" + (++reqs);
        p.ws().send("{\"type\":\"create_task\"," + fields + ",\"_reqId\":\"" + r + "\"}");
        Map<String, Object> created = await(p.ws(), "task_created", r);
        assertThat(keys(created)).containsExactly("type", "id", "_reqId");
        return (String) created.get("id");
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> tasks(Map<String, Object> taskList) {
        assertThat(keys(taskList)).startsWith("type", "tasks");
        return (List<Map<String, Object>>) taskList.get("tasks");
    }

    private List<Map<String, Object>> list(BrokerFixture.Peer p, String filters) {
        String r = "l" + (++reqs);
        p.ws().send("{\"type\":\"list_tasks\"" + filters + ",\"_reqId\":\"" + r + "\"}");
        return tasks(await(p.ws(), "task_list", r));
    }

    @Test
    void shouldCreateAndListTasksNewestFirstWithExactFilters() throws Exception {
        String fix = create(a, "\"title\":\"Fix login flake\",\"assignee\":\"bob\",\"priority\":\"high\","
                + "\"tags\":[\"ci\"]");
        String docs = create(a, "\"title\":\"Write docs\"");
        assertThat(Ids.isId(fix)).isTrue();

        List<Map<String, Object>> all = list(broker.session(bob, "b1"), "");
        assertThat(all).extracting(t -> t.get("id")).containsExactly(docs, fix);
        Map<String, Object> t = all.get(1);
        assertThat(keys(t)).containsExactly("id", "title", "assignee", "claimedBy", "status", "priority", "createdBy",
                "tags", "createdAt");
        assertThat(t).containsEntry("title", "Fix login flake").containsEntry("assignee", "bob")
                .containsEntry("claimedBy", null).containsEntry("status", "open").containsEntry("priority", "high")
                .containsEntry("createdBy", "alice").containsEntry("tags", List.of("ci"));
        assertThat((String) t.get("createdAt")).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");
        assertThat(all.get(0)).containsEntry("assignee", null).containsEntry("priority", "normal")
                .containsEntry("tags", List.of());

        assertThat(list(a, ",\"assignee\":\"bob\"")).extracting(x -> x.get("id")).containsExactly(fix);
        assertThat(list(a, ",\"status\":\"claimed\"")).isEmpty();
        assertThat(list(a, ",\"status\":\"open\",\"assignee\":\"carol\"")).isEmpty();
    }

    @Test
    void shouldClaimOnceAndCompleteAnyTaskAnsweringWithTheWholeList() throws Exception {
        String id = create(a, "\"title\":\"Fix login flake\",\"assignee\":\"alice\"");
        create(a, "\"title\":\"Other\"");
        BrokerFixture.Peer b = broker.session(bob, "b1");

        b.ws().send("{\"type\":\"claim_task\",\"taskId\":\"" + id + "\",\"_reqId\":\"c1\"}");
        List<Map<String, Object>> afterClaim = tasks(await(b.ws(), "task_list", "c1"));
        assertThat(afterClaim).hasSize(2); // unfiltered
        assertThat(afterClaim.get(1)).containsEntry("id", id).containsEntry("status", "claimed")
                .containsEntry("claimedBy", "bob");
        String presence = "from mesh.presence where mesh_id = '" + mesh + "' and session_id = 'b1'";
        Sql.await(broker.databaseUrl(), "select count(*) " + presence, 1); // written by the batched writer
        assertThat(Sql.string(broker.databaseUrl(), "select claimed_by_presence from mesh.task where id = '" + id
                + "'")).isEqualTo(Sql.string(broker.databaseUrl(), "select id " + presence));

        a.ws().send("{\"type\":\"claim_task\",\"taskId\":\"" + id + "\",\"_reqId\":\"c2\"}");
        Map<String, Object> refused = error(a.ws(), "c2");
        assertThat(keys(refused)).containsExactly("type", "code", "message", "_reqId");
        assertThat(refused).containsEntry("code", "task_not_claimable")
                .containsEntry("message", "task is not open or does not exist");

        // the cold-path CLI sends claim/complete without _reqId; the reply then has none either
        a.ws().send("{\"type\":\"complete_task\",\"taskId\":\"" + id + "\",\"result\":\"PR #42\"}");
        Map<String, Object> done = Json.object(a.ws().await(s -> s.contains("task_list")
                && s.contains("\"status\":\"done\""), 5_000));
        assertThat(keys(done)).containsExactly("type", "tasks");
        assertThat(Sql.string(broker.databaseUrl(), "select status || ' ' || result from mesh.task where id = '" + id
                + "'")).isEqualTo("done PR #42");

        a.ws().send("{\"type\":\"claim_task\",\"taskId\":\"" + id + "\",\"_reqId\":\"c3\"}");
        assertThat(error(a.ws(), "c3")).containsEntry("code", "task_not_claimable");
        a.ws().send("{\"type\":\"complete_task\",\"taskId\":\"" + Ids.newId() + "\",\"_reqId\":\"d2\"}");
        assertThat(error(a.ws(), "d2")).containsEntry("code", "task_not_found")
                .containsEntry("message", "task not found in this mesh");
        a.ws().send("{\"type\":\"claim_task\",\"taskId\":\"no-such-task\",\"_reqId\":\"c4\"}");
        assertThat(error(a.ws(), "c4")).containsEntry("code", "task_not_claimable");
    }

    @Test
    void shouldLetExactlyOneOfTwoSocketsRacingForATaskClaimIt() throws Exception {
        BrokerFixture.Peer b = broker.session(bob, "b1");
        race(a, b, 12);
    }

    @Test
    void shouldLetExactlyOneClaimerWinAcrossTwoBrokersSharingTheDatabase() throws Exception {
        // a second broker on the same database: its claims run on its own storage lane, concurrently with ours
        try (BrokerFixture second = new BrokerFixture(Map.of("DATABASE_URL", broker.databaseUrl()))) {
            BrokerFixture.Peer b = second.session(bob, "b-second");
            race(a, b, 12);
        }
    }

    /** Creates {@code n} tasks; for each, {@code x} and {@code y} send their claim at once: exactly one wins. */
    private void race(BrokerFixture.Peer x, BrokerFixture.Peer y, int n) throws Exception {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ids.add(create(x, "\"title\":\"race " + i + "\""));
        }
        ExecutorService senders = Executors.newFixedThreadPool(2);
        try {
            for (String id : ids) {
                CyclicBarrier together = new CyclicBarrier(2);
                Future<?> fx = senders.submit(() -> claimAt(together, x, id, "x-" + id));
                Future<?> fy = senders.submit(() -> claimAt(together, y, id, "y-" + id));
                fx.get(10, TimeUnit.SECONDS);
                fy.get(10, TimeUnit.SECONDS);
            }
        } finally {
            senders.shutdownNow();
        }
        int xWins = 0;
        for (String id : ids) {
            String fx = x.ws().await(s -> s.contains("\"_reqId\":\"x-" + id + "\""), 5_000);
            String fy = y.ws().await(s -> s.contains("\"_reqId\":\"y-" + id + "\""), 5_000);
            boolean xWon = fx.contains("\"type\":\"task_list\"");
            boolean yWon = fy.contains("\"type\":\"task_list\"");
            assertThat(xWon ^ yWon).as("exactly one of two claimers of %s wins: %s / %s", id, fx, fy).isTrue();
            assertThat(xWon ? fy : fx).contains("\"code\":\"task_not_claimable\"");
            String winner = xWon ? "alice" : "bob";
            assertThat(Sql.string(broker.databaseUrl(), "select status || ' ' || claimed_by_name from mesh.task "
                    + "where id = '" + id + "'")).isEqualTo("claimed " + winner);
            xWins += xWon ? 1 : 0;
        }
        assertThat(xWins).isBetween(0, n);
    }

    private static Void claimAt(CyclicBarrier together, BrokerFixture.Peer p, String id, String reqId)
            throws Exception {
        together.await(10, TimeUnit.SECONDS);
        p.ws().send("{\"type\":\"claim_task\",\"taskId\":\"" + id + "\",\"_reqId\":\"" + reqId + "\"}");
        return null;
    }

    @Test
    void shouldAnswerBadInputWithBadRequest() {
        String[][] cases = {
                {"{\"type\":\"create_task\",\"_reqId\":\"e1\"}", "title is required"},
                {"{\"type\":\"create_task\",\"title\":\"\",\"_reqId\":\"e2\"}", "title must not be empty"},
                {"{\"type\":\"create_task\",\"title\":\"   \",\"_reqId\":\"e3\"}", "title must not be empty"},
                {"{\"type\":\"create_task\",\"title\":\"" + "x".repeat(41) + "\",\"_reqId\":\"e4\"}",
                        "title is 41 chars (the most is 40)"},
                {"{\"type\":\"create_task\",\"title\":\"x\",\"assignee\":[\"bob\"],\"_reqId\":\"e5\"}",
                        "assignee must be a string"},
                {"{\"type\":\"create_task\",\"title\":\"x\",\"tags\":\"ci\",\"_reqId\":\"e6\"}",
                        "tags must be an array of strings"},
                {"{\"type\":\"claim_task\",\"_reqId\":\"e7\"}", "taskId is required"},
                {"{\"type\":\"complete_task\",\"taskId\":7,\"_reqId\":\"e8\"}", "taskId must be a string"},
                {"{\"type\":\"complete_task\",\"taskId\":\"x\",\"result\":{},\"_reqId\":\"e9\"}",
                        "result must be a string"},
                {"{\"type\":\"list_tasks\",\"status\":1,\"_reqId\":\"e10\"}", "status must be a string"},
        };
        for (String[] c : cases) {
            a.ws().send(c[0]);
            Map<String, Object> err = error(a.ws(), Json.object(c[0]).get("_reqId").toString());
            assertThat(err).as(c[0]).containsEntry("code", "bad_request").containsEntry("message", c[1]);
        }
    }

    @Test
    void shouldRefuseATaskAtTheCapUntilOneIsDone() throws Exception {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            ids.add(create(a, "\"title\":\"t" + i + "\""));
        }
        a.ws().send("{\"type\":\"create_task\",\"title\":\"one too many\",\"_reqId\":\"full\"}");
        assertThat(error(a.ws(), "full")).containsEntry("code", "limit_exceeded")
                .containsEntry("message", "the mesh holds 30 tasks, the most allowed, and none of them is done");
        assertThat(Sql.count(broker.databaseUrl(), "select count(*) from mesh.task where mesh_id = '" + mesh + "'"))
                .isEqualTo(30);

        a.ws().send("{\"type\":\"complete_task\",\"taskId\":\"" + ids.get(3) + "\",\"_reqId\":\"d\"}");
        await(a.ws(), "task_list", "d");
        String fresh = create(a, "\"title\":\"room now\"");
        assertThat(list(a, "")).hasSize(30).extracting(t -> t.get("id")).contains(fresh).doesNotContain(ids.get(3));
    }
}
