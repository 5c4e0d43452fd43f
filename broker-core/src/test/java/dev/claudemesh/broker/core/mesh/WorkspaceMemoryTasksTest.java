package dev.claudemesh.broker.core.mesh;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.slf4j.LoggerFactory;

import dev.claudemesh.broker.core.Ids;
import dev.claudemesh.broker.core.audit.AuditChain;
import dev.claudemesh.broker.core.memory.Memory;
import dev.claudemesh.broker.core.memory.MemoryLimits;
import dev.claudemesh.broker.core.memory.MemoryService;
import dev.claudemesh.broker.core.memory.MemoryStore;
import dev.claudemesh.broker.core.tasks.NewTask;
import dev.claudemesh.broker.core.tasks.Task;
import dev.claudemesh.broker.core.tasks.TaskLimits;
import dev.claudemesh.broker.core.tasks.TaskService;
import dev.claudemesh.broker.core.tasks.TaskStore;
import dev.claudemesh.broker.core.testing.Identities;
import org.junit.jupiter.api.Test;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Memory (PROTOCOL-MESH §5) and tasks (§6) on a manual loop with fake stores whose calls run only when the test says:
 * reply shapes field by field, the daemon frames of §5.6, every {@code bad_request} of §5.6/§6.7, caps, and the
 * claim/complete answers. In this package for {@link MeshHarness}.
 */
class WorkspaceMemoryTasksTest {

    /** An in-memory {@link MemoryStore}: recall matches rows containing the query (the real search is PostgreSQL's). */
    static final class FakeMemoryStore implements MemoryStore {
        final Map<String, Memory> rows = new LinkedHashMap<>();
        final List<String> calls = new ArrayList<>();
        int maxRowsSeen;
        long forgottenBeforeSeen;
        /** When true, every call fails as a database would. */
        boolean failing;

        private void check() {
            if (failing) {
                throw new IllegalStateException("database down (test): secret-value");
            }
        }

        @Override
        public Remember remember(String meshId, String id, String content, List<String> tags, String memberId,
                                 String memberName, long nowMs, int maxRows, long forgottenBeforeMs) {
            check();
            calls.add("remember " + content + " " + tags + " by " + memberName);
            maxRowsSeen = maxRows;
            forgottenBeforeSeen = forgottenBeforeMs;
            if (rows.size() >= maxRows) {
                return Remember.FULL;
            }
            rows.put(id, new Memory(id, content, tags, memberName, nowMs));
            return Remember.STORED;
        }

        @Override
        public List<Memory> recall(String meshId, String query, int limit) {
            check();
            calls.add("recall " + query + " " + limit);
            return rows.values().stream().filter(m -> m.content().contains(query)).limit(limit).toList();
        }

        @Override
        public boolean forget(String meshId, String memoryId, long nowMs) {
            check();
            calls.add("forget " + memoryId);
            return rows.remove(memoryId) != null;
        }
    }

    /** An in-memory {@link TaskStore}. */
    static final class FakeTaskStore implements TaskStore {
        final Map<String, Task> tasks = new LinkedHashMap<>();
        final List<String> calls = new ArrayList<>();
        /** When true, every call fails as a database would. */
        boolean failing;

        private void check() {
            if (failing) {
                throw new IllegalStateException("database down (test): secret-value");
            }
        }

        @Override
        public Create create(String meshId, NewTask t, int maxTasks, long doneBeforeMs) {
            check();
            calls.add("create " + t.title() + " " + t.assignee() + " " + t.priority() + " " + t.tags() + " by "
                    + t.createdByName());
            if (tasks.size() >= maxTasks) {
                return Create.FULL;
            }
            tasks.put(t.id(), new Task(t.id(), t.title(), t.assignee(), null, "open", t.priority(), t.createdByName(),
                    t.tags(), t.createdAtMs()));
            return Create.STORED;
        }

        @Override
        public boolean claim(String meshId, String taskId, String presenceId, String memberName, long nowMs) {
            check();
            calls.add("claim " + taskId + " by " + memberName);
            Task t = tasks.get(taskId);
            if (t == null || !t.status().equals("open")) {
                return false;
            }
            tasks.put(taskId, new Task(t.id(), t.title(), t.assignee(), memberName, "claimed", t.priority(),
                    t.createdBy(), t.tags(), t.createdAtMs()));
            return true;
        }

        @Override
        public boolean complete(String meshId, String taskId, String result, long nowMs) {
            check();
            calls.add("complete " + taskId + " " + result);
            Task t = tasks.get(taskId);
            if (t == null) {
                return false;
            }
            tasks.put(taskId, new Task(t.id(), t.title(), t.assignee(), t.claimedBy(), "done", t.priority(),
                    t.createdBy(), t.tags(), t.createdAtMs()));
            return true;
        }

        @Override
        public List<Task> list(String meshId, String status, String assignee, int limit) {
            check();
            calls.add("list " + status + " " + assignee + " " + limit);
            List<Task> out = new ArrayList<>(tasks.values());
            java.util.Collections.reverse(out);
            return out.stream().filter(t -> status == null || status.equals(t.status()))
                    .filter(t -> assignee == null || assignee.equals(t.assignee())).limit(limit).toList();
        }
    }

    private final ArrayDeque<Runnable> storageTasks = new ArrayDeque<>();
    private final Executor storage = storageTasks::add;
    private final FakeMemoryStore memory = new FakeMemoryStore();
    private final FakeTaskStore tasks = new FakeTaskStore();
    private final MeshHarness h = new MeshHarness(storage, List.of(
            new MemoryService(memory, new MemoryLimits(16, 2, 4, 2, 1_000)),
            new TaskService(tasks, new TaskLimits(12, 2, 4, 2, 5_000))));
    private final Identities.MemberKeys alice = h.member("alice");

    private void settle() {
        h.loop.runAll();
        while (!storageTasks.isEmpty()) {
            storageTasks.poll().run();
            h.loop.runAll();
        }
    }

    private static String error(String code, String message, String reqId) {
        return "{\"type\":\"error\",\"code\":\"" + code + "\",\"message\":\"" + message + "\",\"_reqId\":\"" + reqId
                + "\"}";
    }

    // ------------------------------------------------------------------------------------------------ memory

    @Test
    void shouldAnswerRememberWithIdAndMemoryIdOnlyAfterTheStoreAnswered() {
        MeshHarness.Peer a = h.session(alice, "s-a");
        a.send("{\"type\":\"remember\",\"content\":\"db rotates\",\"tags\":[\"ops\",\"db\"],\"_reqId\":\"r6\"}");
        h.loop.runAll();
        assertThat(a.conn().framesContaining("memory_stored")).isEmpty();
        settle();

        String stored = a.conn().last();
        String id = MeshHarness.field(stored, "id");
        assertThat(Ids.isId(id)).isTrue();
        assertThat(stored).isEqualTo("{\"type\":\"memory_stored\",\"id\":\"" + id + "\",\"memoryId\":\"" + id
                + "\",\"_reqId\":\"r6\"}");
        assertThat(memory.calls).containsExactly("remember db rotates [ops, db] by alice");
        assertThat(memory.maxRowsSeen).isEqualTo(2);
        assertThat(memory.forgottenBeforeSeen).isEqualTo(h.clock.millis() - 1_000);
    }

    @Test
    void shouldSendMemoryResultsThenMemoryRecallResultWithTheSameRows() {
        MeshHarness.Peer a = h.session(alice, "s-a");
        long t = h.clock.millis();
        a.send("{\"type\":\"remember\",\"content\":\"db rotates\"}");
        a.send("{\"type\":\"recall\",\"query\":\"rotates\",\"_reqId\":\"r7\"}");
        a.send("{\"type\":\"recall\",\"query\":\"  \",\"_reqId\":\"r8\"}");
        settle();

        String id = MeshHarness.field(a.conn().framesContaining("memory_stored").get(0), "id");
        String row = "[{\"id\":\"" + id + "\",\"content\":\"db rotates\",\"tags\":[],\"rememberedBy\":\"alice\","
                + "\"rememberedAt\":\"" + AuditChain.isoMillis(t) + "\"}]";
        assertThat(a.conn().framesContaining("memor")).containsSubsequence(
                "{\"type\":\"memory_results\",\"memories\":" + row + ",\"_reqId\":\"r7\"}",
                "{\"type\":\"memory_recall_result\",\"matches\":" + row + ",\"_reqId\":\"r7\"}",
                "{\"type\":\"memory_results\",\"memories\":[],\"_reqId\":\"r8\"}",
                "{\"type\":\"memory_recall_result\",\"matches\":[],\"_reqId\":\"r8\"}");
        assertThat(memory.calls).containsExactly("remember db rotates [] by alice", "recall rotates 20");
    }

    @Test
    void shouldAckForgetWithTheMemoryIdFoundOrNot() {
        MeshHarness.Peer a = h.session(alice, "s-a");
        String unknown = Ids.newId();
        a.send("{\"type\":\"forget\",\"memoryId\":\"" + unknown + "\",\"_reqId\":\"r8\"}");
        a.send("{\"type\":\"forget\",\"memoryId\":\"not-an-id\"}");
        settle();

        assertThat(a.conn().framesContaining("\"type\":\"ack\"")).containsExactly(
                "{\"type\":\"ack\",\"id\":\"" + unknown + "\",\"messageId\":\"" + unknown + "\",\"queued\":false,"
                        + "\"_reqId\":\"r8\"}",
                "{\"type\":\"ack\",\"id\":\"not-an-id\",\"messageId\":\"not-an-id\",\"queued\":false}");
        assertThat(memory.calls).containsExactly("forget " + unknown);
    }

    @Test
    void shouldAnswerBadMemoryInputWithBadRequest() {
        MeshHarness.Peer a = h.session(alice, "s-a");
        String[][] cases = {
                {"{\"type\":\"remember\",\"_reqId\":\"r\"}", "content is required"},
                {"{\"type\":\"remember\",\"content\":\"\",\"_reqId\":\"r\"}", "content must not be empty"},
                {"{\"type\":\"remember\",\"content\":\" \\n\",\"_reqId\":\"r\"}", "content must not be empty"},
                {"{\"type\":\"remember\",\"content\":[\"x\"],\"_reqId\":\"r\"}", "content must be a string"},
                {"{\"type\":\"remember\",\"content\":\"" + "x".repeat(17) + "\",\"_reqId\":\"r\"}",
                        "content is 17 chars (the most is 16)"},
                {"{\"type\":\"remember\",\"content\":\"x\",\"tags\":\"ops\",\"_reqId\":\"r\"}",
                        "tags must be an array of strings"},
                {"{\"type\":\"remember\",\"content\":\"x\",\"tags\":[\"a\",1],\"_reqId\":\"r\"}",
                        "tags must be an array of strings"},
                {"{\"type\":\"remember\",\"content\":\"x\",\"tags\":[\"a\",\"b\",\"c\"],\"_reqId\":\"r\"}",
                        "tags has 3 entries (the most is 2)"},
                {"{\"type\":\"remember\",\"content\":\"x\",\"tags\":[\"abcde\"],\"_reqId\":\"r\"}",
                        "tags[0] is 5 chars (the most is 4)"},
                {"{\"type\":\"recall\",\"_reqId\":\"r\"}", "query is required"},
                {"{\"type\":\"recall\",\"query\":5,\"_reqId\":\"r\"}", "query must be a string"},
                {"{\"type\":\"forget\",\"_reqId\":\"r\"}", "memoryId is required"},
                {"{\"type\":\"forget\",\"memoryId\":1,\"_reqId\":\"r\"}", "memoryId must be a string"},
        };
        for (String[] c : cases) {
            a.send(c[0]);
            h.loop.runAll();
            assertThat(a.conn().last()).as(c[0]).isEqualTo(error("bad_request", c[1], "r"));
        }
        assertThat(storageTasks).isEmpty();
        assertThat(memory.calls).isEmpty();
    }

    @Test
    void shouldRefuseRememberAtTheCap() {
        MeshHarness.Peer a = h.session(alice, "s-a");
        a.send("{\"type\":\"remember\",\"content\":\"one\"}");
        a.send("{\"type\":\"remember\",\"content\":\"two\"}");
        a.send("{\"type\":\"remember\",\"content\":\"three\",\"_reqId\":\"r3\"}");
        settle();
        assertThat(a.conn().framesContaining("memory_stored")).hasSize(2);
        assertThat(a.conn().last()).isEqualTo(error("limit_exceeded",
                "the mesh holds 2 memories, the most allowed: forget some first", "r3"));
    }

    // ------------------------------------------------------------------------------------------------ tasks

    @Test
    void shouldCreateClaimCompleteAndListTasks() {
        MeshHarness.Peer a = h.session(alice, "s-a");
        long t = h.clock.millis();
        a.send("{\"type\":\"create_task\",\"title\":\"Fix login\",\"assignee\":\"bob\",\"priority\":\"high\","
                + "\"tags\":[\"ci\"],\"_reqId\":\"r9\"}");
        settle();
        String created = a.conn().last();
        String id = MeshHarness.field(created, "id");
        assertThat(created).isEqualTo("{\"type\":\"task_created\",\"id\":\"" + id + "\",\"_reqId\":\"r9\"}");

        a.send("{\"type\":\"claim_task\",\"taskId\":\"" + id + "\",\"_reqId\":\"c1\"}");
        settle();
        assertThat(a.conn().last()).isEqualTo("{\"type\":\"task_list\",\"tasks\":[{\"id\":\"" + id + "\","
                + "\"title\":\"Fix login\",\"assignee\":\"bob\",\"claimedBy\":\"alice\",\"status\":\"claimed\","
                + "\"priority\":\"high\",\"createdBy\":\"alice\",\"tags\":[\"ci\"],\"createdAt\":\""
                + AuditChain.isoMillis(t) + "\"}],\"_reqId\":\"c1\"}");

        a.send("{\"type\":\"claim_task\",\"taskId\":\"" + id + "\",\"_reqId\":\"c2\"}");
        a.send("{\"type\":\"claim_task\",\"taskId\":\"nope\"}");
        settle();
        assertThat(a.conn().framesContaining("task_not_claimable")).containsExactly(
                error("task_not_claimable", "task is not open or does not exist", "c2"),
                "{\"type\":\"error\",\"code\":\"task_not_claimable\","
                        + "\"message\":\"task is not open or does not exist\"}");

        a.send("{\"type\":\"complete_task\",\"taskId\":\"" + id + "\",\"result\":\"PR #42\"}");
        settle();
        assertThat(a.conn().last()).startsWith("{\"type\":\"task_list\",\"tasks\":[{\"id\":\"" + id + "\",")
                .contains("\"status\":\"done\"").endsWith("}]}");
        a.send("{\"type\":\"complete_task\",\"taskId\":\"" + Ids.newId() + "\",\"_reqId\":\"d2\"}");
        settle();
        assertThat(a.conn().last()).isEqualTo(error("task_not_found", "task not found in this mesh", "d2"));

        a.send("{\"type\":\"create_task\",\"title\":\"Second\"}");
        a.send("{\"type\":\"list_tasks\",\"status\":\"done\",\"assignee\":\"bob\",\"_reqId\":\"l1\"}");
        a.send("{\"type\":\"list_tasks\",\"status\":null}");
        settle();
        List<String> lists = a.conn().framesContaining("task_list");
        assertThat(lists.get(lists.size() - 2)).contains("\"title\":\"Fix login\"").doesNotContain("Second")
                .endsWith("\"_reqId\":\"l1\"}");
        assertThat(lists.get(lists.size() - 1)).contains("\"title\":\"Second\",\"assignee\":null,\"claimedBy\":null,"
                + "\"status\":\"open\",\"priority\":\"normal\",\"createdBy\":\"alice\",\"tags\":[]");
        assertThat(tasks.calls).contains("create Second null normal [] by alice", "list done bob 100",
                "list null null 100", "complete " + id + " PR #42");
        assertThat(tasks.calls).noneMatch(c -> c.startsWith("claim nope")); // not an id: no store call
    }

    @Test
    void shouldAnswerBadTaskInputWithBadRequestAndTheCapWithLimitExceeded() {
        MeshHarness.Peer a = h.session(alice, "s-a");
        String[][] cases = {
                {"{\"type\":\"create_task\",\"_reqId\":\"r\"}", "title is required"},
                {"{\"type\":\"create_task\",\"title\":\"\",\"_reqId\":\"r\"}", "title must not be empty"},
                {"{\"type\":\"create_task\",\"title\":\"x\",\"assignee\":3,\"_reqId\":\"r\"}",
                        "assignee must be a string"},
                {"{\"type\":\"create_task\",\"title\":\"x\",\"priority\":true,\"_reqId\":\"r\"}",
                        "priority must be a string"},
                {"{\"type\":\"create_task\",\"title\":\"" + "t".repeat(13) + "\",\"_reqId\":\"r\"}",
                        "title is 13 chars (the most is 12)"},
                {"{\"type\":\"create_task\",\"title\":\"x\",\"tags\":{},\"_reqId\":\"r\"}",
                        "tags must be an array of strings"},
                {"{\"type\":\"claim_task\",\"_reqId\":\"r\"}", "taskId is required"},
                {"{\"type\":\"claim_task\",\"taskId\":5,\"_reqId\":\"r\"}", "taskId must be a string"},
                {"{\"type\":\"complete_task\",\"_reqId\":\"r\"}", "taskId is required"},
                {"{\"type\":\"complete_task\",\"taskId\":\"x\",\"result\":1,\"_reqId\":\"r\"}",
                        "result must be a string"},
                {"{\"type\":\"list_tasks\",\"status\":[],\"_reqId\":\"r\"}", "status must be a string"},
                {"{\"type\":\"list_tasks\",\"assignee\":1,\"_reqId\":\"r\"}", "assignee must be a string"},
        };
        for (String[] c : cases) {
            a.send(c[0]);
            h.loop.runAll();
            assertThat(a.conn().last()).as(c[0]).isEqualTo(error("bad_request", c[1], "r"));
        }
        assertThat(storageTasks).isEmpty();

        a.send("{\"type\":\"create_task\",\"title\":\"a\"}");
        a.send("{\"type\":\"create_task\",\"title\":\"b\"}");
        a.send("{\"type\":\"create_task\",\"title\":\"c\",\"_reqId\":\"full\"}");
        settle();
        assertThat(a.conn().last()).isEqualTo(error("limit_exceeded",
                "the mesh holds 2 tasks, the most allowed, and none of them is done", "full"));
    }

    @Test
    void shouldAnswerStoreFailuresWithInternalErrorNamingNoValueAndLogOneLinePerRejection() {
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        Logger broker = (Logger) LoggerFactory.getLogger("dev.claudemesh.broker");
        Level before = broker.getLevel();
        broker.setLevel(Level.INFO);
        broker.addAppender(logs);
        try {
            MeshHarness.Peer a = h.session(alice, "s-a");
            logs.list.clear();
            memory.failing = true;
            tasks.failing = true;
            String[][] requests = {
                    {"{\"type\":\"remember\",\"content\":\"secret-value\",\"_reqId\":\"1\"}", "the memory could not be stored"},
                    {"{\"type\":\"recall\",\"query\":\"secret-value\",\"_reqId\":\"2\"}", "the memory could not be searched"},
                    {"{\"type\":\"forget\",\"memoryId\":\"ffffffffffffffffffffffffffffffff\",\"_reqId\":\"3\"}", "the memory could not be forgotten"},
                    {"{\"type\":\"create_task\",\"title\":\"secret-value\",\"_reqId\":\"4\"}", "the task could not be stored"},
                    {"{\"type\":\"claim_task\",\"taskId\":\"ffffffffffffffffffffffffffffffff\",\"_reqId\":\"5\"}", "the task could not be claimed"},
                    {"{\"type\":\"complete_task\",\"taskId\":\"ffffffffffffffffffffffffffffffff\",\"_reqId\":\"6\"}", "the task could not be completed"},
                    {"{\"type\":\"list_tasks\",\"_reqId\":\"7\"}", "the tasks could not be read"}};
            for (int i = 0; i < requests.length; i++) {
                a.send(requests[i][0]);
                settle();
                assertThat(a.conn().last()).isEqualTo(error("internal_error", requests[i][1], String.valueOf(i + 1)));
            }
            // a refusal (not a failure) leaves exactly one line: connection, mesh, type, code
            memory.failing = false;
            tasks.failing = false;
            logs.list.clear();
            a.send("{\"type\":\"claim_task\",\"taskId\":\"nope\",\"_reqId\":\"8\"}");
            settle();
            assertThat(a.conn().last()).contains("\"code\":\"task_not_claimable\"");
            assertThat(logs.list).singleElement().satisfies(e -> assertThat(e.getFormattedMessage())
                    .endsWith("mesh " + MeshHarness.MESH + ": \"claim_task\" rejected: task_not_claimable"));
            assertThat(a.conn().frames).noneMatch(f -> f.contains("secret-value"));
        } finally {
            broker.detachAppender(logs);
            broker.setLevel(before);
        }
    }
}
