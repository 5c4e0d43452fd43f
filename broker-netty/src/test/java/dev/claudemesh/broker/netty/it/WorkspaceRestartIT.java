package dev.claudemesh.broker.netty.it;

import dev.claudemesh.broker.core.testing.Identities;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static dev.claudemesh.broker.netty.it.Replies.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The workspace is durable (PROTOCOL-MESH §0.7): shared state, memory and tasks survive a broker restart; and it does
 * not grow without bound (§16 defect 20): forgotten memories and done tasks are deleted once their retention has
 * passed, measured on the broker's clock.
 */
class WorkspaceRestartIT {

    @Test
    @SuppressWarnings("unchecked")
    void shouldKeepStateMemoryAndTasksAcrossARestart() throws Exception {
        try (BrokerFixture broker = new BrokerFixture(Map.of())) {
            String mesh = broker.createMesh("ws-restart");
            Identities.MemberKeys alice = broker.addMember(mesh, "alice");
            Identities.MemberKeys bob = broker.addMember(mesh, "bob");
            BrokerFixture.Peer a = broker.session(alice, "a");
            a.ws().send("{\"type\":\"set_state\",\"key\":\"release\",\"value\":{\"version\":\"1.5.1\"}}");
            a.ws().send("{\"type\":\"remember\",\"content\":\"staging DB password rotates on Mondays\","
                    + "\"tags\":[\"ops\"],\"_reqId\":\"m\"}");
            String memoryId = (String) await(a.ws(), "memory_stored", "m").get("memoryId");
            a.ws().send("{\"type\":\"create_task\",\"title\":\"Fix login flake\",\"_reqId\":\"t\"}");
            String taskId = (String) await(a.ws(), "task_created", "t").get("id");
            a.ws().send("{\"type\":\"claim_task\",\"taskId\":\"" + taskId + "\",\"_reqId\":\"c\"}");
            await(a.ws(), "task_list", "c");
            a.ws().send("{\"type\":\"get_state\",\"key\":\"release\",\"_reqId\":\"g\"}");
            await(a.ws(), "state_result", "g"); // the set is committed

            broker.stop();
            assertThat(a.ws().awaitClose(5_000)).isEqualTo(1001);
            broker.start();

            BrokerFixture.Peer b = broker.session(bob, "b");
            b.ws().send("{\"type\":\"get_state\",\"key\":\"release\",\"_reqId\":\"g2\"}");
            Map<String, Object> state = await(b.ws(), "state_result", "g2");
            assertThat(state).containsEntry("key", "release").containsEntry("value", Map.of("version", "1.5.1"))
                    .containsEntry("updatedBy", "alice");
            b.ws().send("{\"type\":\"recall\",\"query\":\"password rotation\",\"_reqId\":\"r\"}");
            List<Map<String, Object>> memories = (List<Map<String, Object>>) await(b.ws(), "memory_results", "r")
                    .get("memories");
            assertThat(memories).extracting(m -> m.get("id")).containsExactly(memoryId);
            assertThat(memories.get(0)).containsEntry("tags", List.of("ops")).containsEntry("rememberedBy", "alice");
            b.ws().send("{\"type\":\"list_tasks\",\"_reqId\":\"l\"}");
            List<Map<String, Object>> tasks = (List<Map<String, Object>>) await(b.ws(), "task_list", "l")
                    .get("tasks");
            assertThat(tasks).hasSize(1);
            assertThat(tasks.get(0)).containsEntry("id", taskId).containsEntry("status", "claimed")
                    .containsEntry("claimedBy", "alice");
            b.ws().send("{\"type\":\"claim_task\",\"taskId\":\"" + taskId + "\",\"_reqId\":\"c2\"}");
            assertThat(Replies.error(b.ws(), "c2")).containsEntry("code", "task_not_claimable");
        }
    }

    @Test
    void shouldDeleteForgottenMemoriesAndDoneTasksAfterTheirRetention() throws Exception {
        OffsetClock clock = new OffsetClock();
        try (BrokerFixture broker = new BrokerFixture(Map.of("MEMORY_FORGOTTEN_RETENTION_HOURS", "2",
                "TASK_DONE_RETENTION_HOURS", "3"), clock)) {
            String mesh = broker.createMesh("ws-retention");
            BrokerFixture.Peer a = broker.session(broker.addMember(mesh, "alice"), "a");
            String db = broker.databaseUrl();
            a.ws().send("{\"type\":\"remember\",\"content\":\"old fact\",\"_reqId\":\"m1\"}");
            String old = (String) await(a.ws(), "memory_stored", "m1").get("id");
            a.ws().send("{\"type\":\"forget\",\"memoryId\":\"" + old + "\",\"_reqId\":\"f1\"}");
            await(a.ws(), "ack", "f1");
            a.ws().send("{\"type\":\"create_task\",\"title\":\"old task\",\"_reqId\":\"t1\"}");
            String oldTask = (String) await(a.ws(), "task_created", "t1").get("id");
            a.ws().send("{\"type\":\"complete_task\",\"taskId\":\"" + oldTask + "\",\"_reqId\":\"d1\"}");
            await(a.ws(), "task_list", "d1");

            clock.advance(2 * 3_600_000L + 60_000); // past the memory retention, not the task retention
            a.ws().send("{\"type\":\"remember\",\"content\":\"new fact\",\"_reqId\":\"m2\"}");
            await(a.ws(), "memory_stored", "m2");
            a.ws().send("{\"type\":\"create_task\",\"title\":\"new task\",\"_reqId\":\"t2\"}");
            await(a.ws(), "task_created", "t2");
            assertThat(Sql.count(db, "select count(*) from mesh.memory where id = '" + old + "'")).isZero();
            assertThat(Sql.count(db, "select count(*) from mesh.task where id = '" + oldTask + "'")).isEqualTo(1);

            clock.advance(3_600_000L);
            a.ws().send("{\"type\":\"create_task\",\"title\":\"newer task\",\"_reqId\":\"t3\"}");
            await(a.ws(), "task_created", "t3");
            assertThat(Sql.count(db, "select count(*) from mesh.task where id = '" + oldTask + "'")).isZero();
            assertThat(Sql.count(db, "select count(*) from mesh.task where mesh_id = '" + mesh + "'")).isEqualTo(2);
            assertThat(Sql.count(db, "select count(*) from mesh.memory where mesh_id = '" + mesh + "'")).isEqualTo(1);
        }
    }
}
