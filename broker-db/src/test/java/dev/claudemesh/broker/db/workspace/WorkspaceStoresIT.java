package dev.claudemesh.broker.db.workspace;

import dev.claudemesh.broker.core.Ids;
import dev.claudemesh.broker.core.crypto.Ed25519;
import dev.claudemesh.broker.core.memory.Memory;
import dev.claudemesh.broker.core.memory.MemoryStore;
import dev.claudemesh.broker.core.model.Member;
import dev.claudemesh.broker.core.state.StateEntry;
import dev.claudemesh.broker.core.state.StateStore;
import dev.claudemesh.broker.core.tasks.NewTask;
import dev.claudemesh.broker.core.tasks.Task;
import dev.claudemesh.broker.core.tasks.TaskStore;
import dev.claudemesh.broker.db.store.AdminRepository;
import dev.claudemesh.broker.db.testing.TestDatabase;
import dev.claudemesh.broker.db.testing.TestDatabases;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The workspace stores against a real PostgreSQL: shapes, mesh scoping, caps (also under concurrent writers: the
 * advisory lock), retention, full-text recall, and the atomic claim with two threads racing for each task.
 */
class WorkspaceStoresIT {

    private static final long T0 = 1_800_000_000_000L;

    private static TestDatabase db;
    private static AdminRepository admin;
    private static PgStateStore state;
    private static PgMemoryStore memory;
    private static PgTaskStore tasks;

    private String mesh;
    private String otherMesh;
    private Member alice;

    @BeforeAll
    static void createDatabase() {
        db = TestDatabases.newDatabase();
        admin = new AdminRepository(db.dataSource());
        state = new PgStateStore(db.dataSource());
        memory = new PgMemoryStore(db.dataSource());
        tasks = new PgTaskStore(db.dataSource());
    }

    @AfterAll
    static void dropDatabase() {
        db.close();
    }

    @BeforeEach
    void meshes() {
        mesh = admin.createMesh("ws", "ws-" + Ids.newId()).id();
        otherMesh = admin.createMesh("other", "other-" + Ids.newId()).id();
        alice = admin.addMember(mesh, Ed25519.generate().publicKeyHex(), "alice", null, null, null);
    }

    // ------------------------------------------------------------------------------------------------ state

    @Test
    void shouldUpsertReadAndListStateScopedToTheMesh() {
        assertThat(state.upsert(mesh, "release", "{\"version\":\"1.5.1\",\"frozen\":true,\"n\":1.50e3}", "p1",
                "alice", T0, 10)).isEqualTo(StateStore.Upsert.STORED);
        StateEntry e = state.get(mesh, "release");
        assertThat(e.key()).isEqualTo("release");
        assertThat(e.valueJson()).isEqualTo("{\"n\": 1500, \"frozen\": true, \"version\": \"1.5.1\"}"); // jsonb's text
        assertThat(e.updatedBy()).isEqualTo("alice");
        assertThat(e.updatedAtMs()).isEqualTo(T0);

        assertThat(state.upsert(mesh, "release", "null", "p2", "bob", T0 + 5, 10)).isEqualTo(StateStore.Upsert.STORED);
        assertThat(state.get(mesh, "release")).isEqualTo(new StateEntry("release", "null", "bob", T0 + 5));
        assertThat(count("select count(*) from mesh.state where mesh_id = '" + mesh + "'")).isEqualTo(1);
        assertThat(state.get(otherMesh, "release")).isNull();
        assertThat(state.get(mesh, "nope")).isNull();

        state.upsert(mesh, "b", "1", "p1", "alice", T0, 10);
        state.upsert(mesh, "B", "2", "p1", "alice", T0, 10);
        state.upsert(mesh, "a", "[1,2]", "p1", "alice", T0, 10);
        assertThat(state.list(mesh, 10)).extracting(StateEntry::key).containsExactly("B", "a", "b", "release");
        assertThat(state.list(mesh, 2)).extracting(StateEntry::key).containsExactly("B", "a");
        assertThat(state.list(otherMesh, 10)).isEmpty();
    }

    @Test
    void shouldRefuseANewKeyAtTheCapButStillUpdateExistingOnes() {
        assertThat(state.upsert(mesh, "k1", "1", "p", "alice", T0, 2)).isEqualTo(StateStore.Upsert.STORED);
        assertThat(state.upsert(mesh, "k2", "2", "p", "alice", T0, 2)).isEqualTo(StateStore.Upsert.STORED);
        assertThat(state.upsert(mesh, "k3", "3", "p", "alice", T0, 2)).isEqualTo(StateStore.Upsert.FULL);
        assertThat(state.get(mesh, "k3")).isNull();
        assertThat(state.upsert(mesh, "k1", "11", "p", "alice", T0, 2)).isEqualTo(StateStore.Upsert.STORED);
        assertThat(state.get(mesh, "k1").valueJson()).isEqualTo("11");
        assertThat(state.upsert(otherMesh, "k3", "3", "p", "alice", T0, 2)).isEqualTo(StateStore.Upsert.STORED);
    }

    @Test
    void shouldHoldTheStateCapUnderConcurrentWriters() throws Exception {
        List<StateStore.Upsert> outcomes = race(16, i -> state.upsert(mesh, "key-" + i, "1", "p", "alice", T0, 5));
        assertThat(outcomes).filteredOn(o -> o == StateStore.Upsert.STORED).hasSize(5);
        assertThat(count("select count(*) from mesh.state where mesh_id = '" + mesh + "'")).isEqualTo(5);
    }

    @Test
    void shouldDeleteAMeshsWorkspaceRowsWithTheMesh() throws SQLException {
        String lone = admin.createMesh("lone", "lone-" + Ids.newId()).id();
        state.upsert(lone, "k", "1", "p", "x", T0, 10);
        tasks.create(lone, task("t", T0), 10, 0);
        execute("delete from mesh.mesh_key where mesh_id = '" + lone + "'");
        execute("delete from mesh.mesh where id = '" + lone + "'");
        assertThat(count("select count(*) from mesh.state where mesh_id = '" + lone + "'")).isZero();
        assertThat(count("select count(*) from mesh.task where mesh_id = '" + lone + "'")).isZero();
    }

    // ------------------------------------------------------------------------------------------------ memory

    @Test
    void shouldRecallByEnglishFullTextSearchRankedAndScoped() {
        remember("m1", "staging DB password rotates on Mondays", List.of("ops", "db"), T0);
        remember("m2", "password password rotation policy: rotate every password weekly", List.of(), T0 + 1);
        remember("m3", "the deploy runs from CI", List.of("ci"), T0 + 2);
        memory.remember(otherMesh, Ids.newId(), "password rotates", List.of(), alice.id(), "alice", T0, 10, 0);

        List<Memory> found = memory.recall(mesh, "rotating passwords", 20);
        assertThat(found).extracting(Memory::id).containsExactly(id("m2"), id("m1")); // m2 mentions both more often
        Memory m1 = found.get(1);
        assertThat(m1.content()).isEqualTo("staging DB password rotates on Mondays");
        assertThat(m1.tags()).containsExactly("ops", "db");
        assertThat(m1.rememberedBy()).isEqualTo("alice");
        assertThat(m1.rememberedAtMs()).isEqualTo(T0);

        assertThat(memory.recall(mesh, "password deploy", 20)).isEmpty(); // every word must occur
        assertThat(memory.recall(mesh, "the of and", 20)).isEmpty(); // stop words only
        assertThat(memory.recall(mesh, "", 20)).isEmpty();
        assertThat(memory.recall(mesh, "ops", 20)).isEmpty(); // tags are not searched
        assertThat(memory.recall(mesh, "DEPLOYS", 20)).extracting(Memory::id).containsExactly(id("m3"));
    }

    @Test
    void shouldReturnAtMostTheLimitAndNotForgottenRows() {
        for (int i = 0; i < 25; i++) {
            remember("r" + i, "release note number " + i, List.of(), T0 + i);
        }
        assertThat(memory.recall(mesh, "release", 20)).hasSize(20);
        assertThat(memory.forget(mesh, id("r3"), T0 + 100)).isTrue();
        assertThat(memory.forget(mesh, id("r3"), T0 + 101)).isFalse(); // already forgotten
        assertThat(memory.forget(otherMesh, id("r4"), T0 + 101)).isFalse(); // another mesh's caller
        assertThat(memory.recall(mesh, "release", 30)).hasSize(24).extracting(Memory::id).doesNotContain(id("r3"));
        assertThat(count("select count(*) from mesh.memory where id = '" + id("r3")
                + "' and forgotten_at is not null")).isEqualTo(1); // soft
    }

    @Test
    void shouldMakeRoomFromForgottenRowsAtTheCapAndRefuseWhenThereAreNone() {
        assertThat(remember("a", "alpha", List.of(), T0)).isEqualTo(MemoryStore.Remember.STORED);
        assertThat(remember("b", "beta", List.of(), T0)).isEqualTo(MemoryStore.Remember.STORED);
        assertThat(rememberCapped("c", 2, 0)).isEqualTo(MemoryStore.Remember.FULL);
        assertThat(count("select count(*) from mesh.memory where mesh_id = '" + mesh + "'")).isEqualTo(2);

        memory.forget(mesh, id("a"), T0 + 10);
        assertThat(rememberCapped("c", 2, 0)).isEqualTo(MemoryStore.Remember.STORED);
        assertThat(count("select count(*) from mesh.memory where mesh_id = '" + mesh + "'")).isEqualTo(2);
        assertThat(count("select count(*) from mesh.memory where id = '" + id("a") + "'")).isZero();
    }

    @Test
    void shouldDeleteForgottenRowsAfterTheirRetention() {
        remember("old", "old news", List.of(), T0);
        remember("new", "new news", List.of(), T0);
        memory.forget(mesh, id("old"), T0 + 1_000);
        memory.forget(mesh, id("new"), T0 + 5_000);
        rememberCapped("x", 100, T0 + 2_000); // forgotten before T0 + 2000 go
        assertThat(count("select count(*) from mesh.memory where id = '" + id("old") + "'")).isZero();
        assertThat(count("select count(*) from mesh.memory where id = '" + id("new") + "'")).isEqualTo(1);
    }

    @Test
    void shouldHoldTheMemoryCapUnderConcurrentWriters() throws Exception {
        List<MemoryStore.Remember> outcomes = race(12, i -> memory.remember(mesh, Ids.newId(), "note " + i,
                List.of(), alice.id(), "alice", T0, 4, 0));
        assertThat(outcomes).filteredOn(o -> o == MemoryStore.Remember.STORED).hasSize(4);
        assertThat(count("select count(*) from mesh.memory where mesh_id = '" + mesh + "'")).isEqualTo(4);
    }

    // ------------------------------------------------------------------------------------------------ tasks

    @Test
    void shouldCreateAndListTasksNewestFirstWithFilters() {
        tasks.create(mesh, new NewTask(Ids.newId(T0), "first", "bob", "high", List.of("ci"), "alice", T0), 100, 0);
        tasks.create(mesh, new NewTask(Ids.newId(T0 + 1), "second", null, "normal", List.of(), "alice", T0 + 1),
                100, 0);
        tasks.create(otherMesh, task("elsewhere", T0 + 2), 100, 0);

        List<Task> all = tasks.list(mesh, null, null, 100);
        assertThat(all).extracting(Task::title).containsExactly("second", "first");
        Task first = all.get(1);
        assertThat(first.assignee()).isEqualTo("bob");
        assertThat(first.claimedBy()).isNull();
        assertThat(first.status()).isEqualTo("open");
        assertThat(first.priority()).isEqualTo("high");
        assertThat(first.createdBy()).isEqualTo("alice");
        assertThat(first.tags()).containsExactly("ci");
        assertThat(first.createdAtMs()).isEqualTo(T0);
        assertThat(tasks.list(mesh, null, "bob", 100)).extracting(Task::title).containsExactly("first");
        assertThat(tasks.list(mesh, "claimed", null, 100)).isEmpty();
        assertThat(tasks.list(mesh, null, null, 1)).extracting(Task::title).containsExactly("second");
    }

    @Test
    void shouldClaimOnlyOpenTasksOfTheMeshAndCompleteAnyTask() {
        NewTask t = task("fix it", T0);
        tasks.create(mesh, t, 100, 0);
        assertThat(tasks.claim(otherMesh, t.id(), "p2", "mallory", T0 + 1)).isFalse();
        assertThat(tasks.claim(mesh, t.id(), "p1", "bob", T0 + 1)).isTrue();
        assertThat(tasks.claim(mesh, t.id(), "p2", "carol", T0 + 2)).isFalse();
        Task claimed = tasks.list(mesh, null, null, 100).get(0);
        assertThat(claimed.status()).isEqualTo("claimed");
        assertThat(claimed.claimedBy()).isEqualTo("bob");
        assertThat(count("select count(*) from mesh.task where id = '" + t.id()
                + "' and claimed_by_presence = 'p1' and claimed_at is not null")).isEqualTo(1);

        assertThat(tasks.complete(otherMesh, t.id(), "no", T0 + 3)).isFalse();
        assertThat(tasks.complete(mesh, t.id(), "PR #42", T0 + 3)).isTrue();
        assertThat(tasks.complete(mesh, t.id(), null, T0 + 4)).isTrue(); // done again: allowed, as the original
        assertThat(tasks.complete(mesh, Ids.newId(), null, T0 + 4)).isFalse();
        assertThat(tasks.list(mesh, "done", null, 100)).hasSize(1);
        assertThat(tasks.claim(mesh, t.id(), "p3", "dave", T0 + 5)).isFalse();
    }

    @Test
    void shouldLetExactlyOneOfTwoConcurrentClaimersWinEachTask() throws Exception {
        int rounds = 40;
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < rounds; i++) {
            NewTask t = task("race " + i, T0 + i);
            tasks.create(mesh, t, 1_000, 0);
            ids.add(t.id());
        }
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (String id : ids) {
                CyclicBarrier start = new CyclicBarrier(2);
                Future<Boolean> a = pool.submit(() -> {
                    start.await(10, TimeUnit.SECONDS);
                    return tasks.claim(mesh, id, "pa", "alice", T0);
                });
                Future<Boolean> b = pool.submit(() -> {
                    start.await(10, TimeUnit.SECONDS);
                    return tasks.claim(mesh, id, "pb", "bob", T0);
                });
                boolean wonA = a.get(10, TimeUnit.SECONDS);
                boolean wonB = b.get(10, TimeUnit.SECONDS);
                assertThat(wonA ^ wonB).as("exactly one claimer of %s wins", id).isTrue();
                assertThat(count("select count(*) from mesh.task where id = '" + id + "' and status = 'claimed'"
                        + " and claimed_by_presence = '" + (wonA ? "pa" : "pb") + "'")).isEqualTo(1);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void shouldMakeRoomFromDoneTasksAtTheCapAndDropThemAfterTheirRetention() {
        NewTask a = task("a", T0);
        NewTask b = task("b", T0 + 1);
        assertThat(tasks.create(mesh, a, 2, 0)).isEqualTo(TaskStore.Create.STORED);
        assertThat(tasks.create(mesh, b, 2, 0)).isEqualTo(TaskStore.Create.STORED);
        assertThat(tasks.create(mesh, task("c", T0 + 2), 2, 0)).isEqualTo(TaskStore.Create.FULL);
        tasks.claim(mesh, a.id(), "p", "alice", T0 + 3);
        assertThat(tasks.create(mesh, task("c", T0 + 2), 2, 0)).isEqualTo(TaskStore.Create.FULL); // claimed != done
        tasks.complete(mesh, a.id(), null, T0 + 4);
        assertThat(tasks.create(mesh, task("c", T0 + 5), 2, 0)).isEqualTo(TaskStore.Create.STORED);
        assertThat(tasks.list(mesh, null, null, 100)).extracting(Task::title).containsExactly("c", "b");

        tasks.complete(mesh, b.id(), null, T0 + 10);
        tasks.create(mesh, task("d", T0 + 20), 100, T0 + 11); // completed before T0 + 11 go
        assertThat(tasks.list(mesh, null, null, 100)).extracting(Task::title).containsExactly("d", "c");
    }

    @Test
    void shouldHoldTheTaskCapUnderConcurrentWriters() throws Exception {
        List<TaskStore.Create> outcomes = race(12, i -> tasks.create(mesh, task("t" + i, T0 + i), 3, 0));
        assertThat(outcomes).filteredOn(o -> o == TaskStore.Create.STORED).hasSize(3);
        assertThat(count("select count(*) from mesh.task where mesh_id = '" + mesh + "'")).isEqualTo(3);
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private final java.util.Map<String, String> ids = new java.util.HashMap<>();

    private String id(String name) {
        return ids.computeIfAbsent(name, n -> Ids.newId());
    }

    private MemoryStore.Remember remember(String name, String content, List<String> tags, long atMs) {
        return memory.remember(mesh, id(name), content, tags, alice.id(), "alice", atMs, 1_000, 0);
    }

    private MemoryStore.Remember rememberCapped(String name, int maxRows, long forgottenBeforeMs) {
        return memory.remember(mesh, id(name), "gamma " + name, List.of(), alice.id(), "alice", T0 + 50, maxRows,
                forgottenBeforeMs);
    }

    private static NewTask task(String title, long atMs) {
        return new NewTask(Ids.newId(atMs), title, null, "normal", List.of(), "alice", atMs);
    }

    interface Call<T> {
        T call(int i) throws Exception;
    }

    /** Runs {@code n} calls at once on {@code n} threads (released together) and returns their results. */
    private static <T> List<T> race(int n, Call<T> call) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            CyclicBarrier start = new CyclicBarrier(n);
            List<Future<T>> futures = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int k = i;
                Callable<T> c = () -> {
                    start.await(10, TimeUnit.SECONDS);
                    return call.call(k);
                };
                futures.add(pool.submit(c));
            }
            List<T> out = new ArrayList<>();
            for (Future<T> f : futures) {
                out.add(f.get(30, TimeUnit.SECONDS));
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    private static long count(String sql) {
        try (Connection c = ds().getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void execute(String sql) throws SQLException {
        try (Connection c = ds().getConnection(); Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    private static DataSource ds() {
        return db.dataSource();
    }
}
