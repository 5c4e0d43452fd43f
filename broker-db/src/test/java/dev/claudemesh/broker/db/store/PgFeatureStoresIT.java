package dev.claudemesh.broker.db.store;

import dev.claudemesh.broker.core.Ids;
import dev.claudemesh.broker.core.context.ContextStore;
import dev.claudemesh.broker.core.model.Member;
import dev.claudemesh.broker.core.model.Mesh;
import dev.claudemesh.broker.core.skill.SkillStore;
import dev.claudemesh.broker.core.stream.StreamStore;
import dev.claudemesh.broker.core.vault.EntryType;
import dev.claudemesh.broker.core.vault.VaultStore;
import dev.claudemesh.broker.db.testing.TestDatabase;
import dev.claudemesh.broker.db.testing.TestDatabases;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The stores of contexts, skills, streams and the vault against a real PostgreSQL: their quotas hold when many
 * inserts race (as they would from several brokers sharing one database: within one broker a mesh's storage calls
 * run one at a time), the author/admin rule of skills is decided in SQL, vault rows are reachable only through their
 * own (mesh, member), and deleting a member or a mesh takes its rows with it.
 */
class PgFeatureStoresIT {

    private static final int RACERS = 12;
    private static final SecureRandom RANDOM = new SecureRandom();
    private static TestDatabase db;
    private static AdminRepository admin;

    @BeforeAll
    static void createDatabase() {
        db = TestDatabases.newDatabase();
        admin = new AdminRepository(db.dataSource());
    }

    @AfterAll
    static void dropDatabase() {
        db.close();
    }

    private static String newMesh() {
        Mesh m = admin.createMesh("features", "features-" + Ids.newId().toLowerCase());
        return m.id();
    }

    private static String newMember(String meshId, String name) {
        byte[] key = new byte[32];
        RANDOM.nextBytes(key);
        Member m = admin.addMember(meshId, HexFormat.of().formatHex(key), name, null, List.of(), Map.of());
        return m.id();
    }

    private static void sql(String statement, String... args) throws Exception {
        try (Connection c = db.dataSource().getConnection(); PreparedStatement st = c.prepareStatement(statement)) {
            for (int i = 0; i < args.length; i++) {
                st.setString(i + 1, args[i]);
            }
            st.executeUpdate();
        }
    }

    /** Runs {@code RACERS} calls released at once; returns their results. */
    private static <T> List<T> race(List<Callable<T>> calls) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(calls.size());
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<T>> futures = new ArrayList<>();
            for (Callable<T> c : calls) {
                futures.add(pool.submit(() -> {
                    go.await();
                    return c.call();
                }));
            }
            go.countDown();
            List<T> out = new ArrayList<>();
            for (Future<T> f : futures) {
                out.add(f.get());
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void shouldHoldEveryQuotaUnderRacingInserts() throws Exception {
        String mesh = newMesh();
        String member = newMember(mesh, "alice");
        long now = System.currentTimeMillis();

        PgSkillStore skills = new PgSkillStore(db.dataSource());
        List<Callable<SkillStore.Shared>> shares = new ArrayList<>();
        for (int i = 0; i < RACERS; i++) {
            String name = "s" + i;
            shares.add(() -> skills.share(mesh, member, "alice", Ids.newId(),
                    new SkillStore.Skill(name, "d", "i", List.of(), null, null, 0), now, 3));
        }
        assertThat(race(shares)).filteredOn(s -> s == SkillStore.Shared.SHARED).hasSize(3);
        assertThat(skills.list(mesh, null, 100)).hasSize(3);

        PgStreamStore streams = new PgStreamStore(db.dataSource());
        List<Callable<StreamStore.Created>> creates = new ArrayList<>();
        for (int i = 0; i < RACERS; i++) {
            String name = i % 2 == 0 ? "same" : "st" + i; // half race for one name: one row, one id
            creates.add(() -> streams.create(mesh, Ids.newId(), name, "alice", now, 4));
        }
        List<StreamStore.Created> created = race(creates);
        assertThat(created).filteredOn(StreamStore.Created::created).hasSize(4);
        assertThat(streams.list(mesh, 100)).hasSize(4);
        assertThat(created).filteredOn(c -> c.stream() != null && c.stream().name().equals("same"))
                .extracting(c -> c.stream().id()).containsOnly(streams.list(mesh, 100).stream()
                        .filter(s -> s.name().equals("same")).findFirst().orElseThrow().id());

        PgVaultStore vault = new PgVaultStore(db.dataSource());
        List<Callable<Boolean>> sets = new ArrayList<>();
        for (int i = 0; i < RACERS; i++) {
            String key = "k" + i;
            sets.add(() -> vault.set(mesh, member, Ids.newId(), new VaultStore.Entry(key, "c", "n", "s", EntryType.ENV,
                    null, null, 0), now, 5));
        }
        assertThat(race(sets)).filteredOn(Boolean::booleanValue).hasSize(5);
        assertThat(vault.list(mesh, member, 100)).hasSize(5);

        PgContextStore contexts = new PgContextStore(db.dataSource());
        List<Callable<String>> contextShares = new ArrayList<>();
        for (int i = 0; i < RACERS; i++) {
            String m = newMember(mesh, "m" + i);
            contextShares.add(() -> contexts.share(mesh, Ids.newId(), new ContextStore.Share(m, null, "m", "s",
                    List.of(), List.of(), List.of()), now, 2, 0));
        }
        assertThat(race(contextShares)).filteredOn(id -> id != null).hasSize(2);
        assertThat(contexts.list(mesh, 100, 0)).hasSize(2);
    }

    @Test
    void shouldDecideTheSkillAuthorAndAdminRuleInSql() throws Exception {
        String mesh = newMesh();
        String alice = newMember(mesh, "alice");
        String bob = newMember(mesh, "bob");
        String root = newMember(mesh, "root");
        sql("update mesh.member set role = 'admin' where id = ?", root);
        String otherMesh = newMesh();
        String foreignAdmin = newMember(otherMesh, "foreign");
        sql("update mesh.member set role = 'admin' where id = ?", foreignAdmin);
        PgSkillStore skills = new PgSkillStore(db.dataSource());
        SkillStore.Skill v1 = new SkillStore.Skill("deploy", "d", "v1", List.of("a"), null, "{\"m\":1}", 0);
        SkillStore.Skill v2 = new SkillStore.Skill("deploy", "d", "v2", List.of(), null, null, 0);

        assertThat(skills.share(mesh, alice, "alice", Ids.newId(), v1, 1_000, 10)).isEqualTo(SkillStore.Shared.SHARED);
        assertThat(skills.share(mesh, bob, "bob", Ids.newId(), v2, 2_000, 10)).isEqualTo(SkillStore.Shared.FORBIDDEN);
        assertThat(skills.share(mesh, foreignAdmin, "foreign", Ids.newId(), v2, 2_000, 10))
                .isEqualTo(SkillStore.Shared.FORBIDDEN); // an admin of another mesh is nobody here
        assertThat(skills.remove(mesh, bob, "deploy")).isEqualTo(SkillStore.Removed.FORBIDDEN);
        assertThat(skills.get(mesh, "deploy")).isEqualTo(new SkillStore.Skill("deploy", "d", "v1", List.of("a"),
                "alice", "{\"m\":1}", 1_000));

        sql("update mesh.member set revoked_at = now() where id = ?", root);
        assertThat(skills.share(mesh, root, "root", Ids.newId(), v2, 3_000, 10))
                .isEqualTo(SkillStore.Shared.FORBIDDEN); // a revoked admin is no admin
        sql("update mesh.member set revoked_at = null where id = ?", root);
        assertThat(skills.share(mesh, root, "root", Ids.newId(), v2, 3_000, 10)).isEqualTo(SkillStore.Shared.SHARED);
        assertThat(skills.get(mesh, "deploy")).isEqualTo(new SkillStore.Skill("deploy", "d", "v2", List.of(), "root",
                null, 1_000)); // keeps its first createdAt; the admin is its author now
        assertThat(skills.remove(mesh, alice, "deploy")).isEqualTo(SkillStore.Removed.FORBIDDEN);
        assertThat(skills.remove(mesh, root, "deploy")).isEqualTo(SkillStore.Removed.REMOVED);
        assertThat(skills.remove(mesh, root, "deploy")).isEqualTo(SkillStore.Removed.NOT_FOUND);
    }

    @Test
    void shouldReachVaultRowsOnlyThroughTheirMeshAndMemberAndDropThemWithTheMember() throws Exception {
        String mesh = newMesh();
        String alice = newMember(mesh, "alice");
        String bob = newMember(mesh, "bob");
        PgVaultStore vault = new PgVaultStore(db.dataSource());
        vault.set(mesh, alice, Ids.newId(), new VaultStore.Entry("API", "c", "n", "s", EntryType.FILE, "/p", "d", 0),
                5_000, 10);

        assertThat(vault.get(mesh, bob, List.of("API"))).isEmpty();
        assertThat(vault.list(mesh, bob, 10)).isEmpty();
        assertThat(vault.delete(mesh, bob, "API")).isFalse();
        assertThat(vault.get(newMesh(), alice, List.of("API"))).isEmpty();
        List<VaultStore.Entry> mine = vault.get(mesh, alice, List.of("API"));
        assertThat(mine).hasSize(1);
        assertThat(mine.get(0).ciphertext()).isEqualTo("c");
        assertThat(mine.get(0).entryType()).isEqualTo(EntryType.FILE);
        assertThat(mine.get(0).updatedAtMs()).isEqualTo(5_000);

        PgContextStore contexts = new PgContextStore(db.dataSource());
        contexts.share(mesh, Ids.newId(), new ContextStore.Share(alice, "P", "alice", "s", List.of(), List.of(),
                List.of()), 5_000, 10, 0);
        sql("delete from mesh.member where id = ?", alice);
        assertThat(vault.list(mesh, alice, 10)).isEmpty();
        assertThat(contexts.list(mesh, 10, 0)).isEmpty();
    }
}
