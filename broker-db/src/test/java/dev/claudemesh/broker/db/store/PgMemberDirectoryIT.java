package dev.claudemesh.broker.db.store;

import dev.claudemesh.broker.core.Ids;
import dev.claudemesh.broker.core.model.GroupRole;
import dev.claudemesh.broker.core.model.Member;
import dev.claudemesh.broker.core.model.Mesh;
import dev.claudemesh.broker.db.testing.Eventually;
import dev.claudemesh.broker.db.testing.TestDatabase;
import dev.claudemesh.broker.db.testing.TestDatabases;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PgMemberDirectoryIT {

    private static TestDatabase db;
    private static AdminRepository admin;
    private PgMemberDirectory directory;

    @BeforeAll
    static void createDatabase() {
        db = TestDatabases.newDatabase();
        admin = new AdminRepository(db.dataSource());
    }

    @AfterAll
    static void dropDatabase() {
        db.close();
    }

    @BeforeEach
    void startDirectory() {
        directory = new PgMemberDirectory(db.dataSource(), PgMemberDirectory.Config.defaults());
    }

    @AfterEach
    void stopDirectory() {
        directory.close();
    }

    private static Optional<Member> get(PgMemberDirectory d, String meshId, String pubkey) throws Exception {
        return d.findByPubkey(meshId, pubkey).get(30, TimeUnit.SECONDS);
    }

    @Test
    void shouldFindAnActiveMemberWithMeshNameGroupsAndGrants() throws Exception {
        Mesh mesh = admin.createMesh("Conference", "conf-" + Ids.newId());
        String key = "ab".repeat(32);
        Member added = admin.addMember(mesh.id(), key, "alice", "lead", List.of(new GroupRole("be", "lead")),
                Map.of("cd".repeat(32), List.of("dm")));

        Optional<Member> found = get(directory, mesh.id(), key.toUpperCase());

        assertThat(found).contains(new Member(added.id(), mesh.id(), "Conference", key, "alice", "lead",
                List.of(new GroupRole("be", "lead")), Map.of("cd".repeat(32), List.of("dm")), "push", false));
    }

    @Test
    void shouldReturnEmptyForUnknownKeysAndMeshes() throws Exception {
        Mesh mesh = admin.createMesh("m", "m-" + Ids.newId());

        assertThat(get(directory, mesh.id(), "00".repeat(32))).isEmpty();
        assertThat(get(directory, Ids.newId(), "00".repeat(32))).isEmpty();
    }

    @Test
    void shouldServeTheCachedMemberUntilInvalidatedAfterRevoke() throws Exception {
        Mesh mesh = admin.createMesh("m", "m-" + Ids.newId());
        String key = "ef".repeat(32);
        Member m = admin.addMember(mesh.id(), key, "bob", null, null, null);
        assertThat(get(directory, mesh.id(), key)).map(Member::revoked).contains(false);

        assertThat(revoke(db.dataSource(), mesh.id(), m.id())).map(Member::revoked).contains(true);

        assertThat(get(directory, mesh.id(), key)).map(Member::revoked).contains(false); // still cached
        directory.invalidate(mesh.id(), key);
        assertThat(get(directory, mesh.id(), key)).map(Member::revoked).contains(true);
    }

    @Test
    void shouldAnswerEveryMemberOfAMeshFromTheQueryOfTheFirstMiss() throws Exception {
        // Long lifetimes so that the snapshot outlives the test on a slow machine.
        try (PgMemberDirectory d = new PgMemberDirectory(db.dataSource(), new PgMemberDirectory.Config(3, 60_000,
                60_000, 1_000))) {
            Mesh mesh = admin.createMesh("m", "m-" + Ids.newId());
            String aliceKey = "a1".repeat(32);
            String bobKey = "b0".repeat(32);
            admin.addMember(mesh.id(), aliceKey, "alice", null, null, null);
            Member bob = admin.addMember(mesh.id(), bobKey, "bob", null, null, null);
            assertThat(get(d, mesh.id(), aliceKey)).map(Member::displayName).contains("alice");

            revoke(db.dataSource(), mesh.id(), bob.id());

            // bob was never looked up, yet the answer predates his revocation: it came from alice's query.
            assertThat(get(d, mesh.id(), bobKey)).map(Member::revoked).contains(false);
            d.invalidate(mesh.id(), bobKey);
            assertThat(get(d, mesh.id(), bobKey)).map(Member::revoked).contains(true);
        }
    }

    @Test
    void shouldFindAMemberAddedAfterTheMeshWasReadOnceInvalidated() throws Exception {
        try (PgMemberDirectory d = new PgMemberDirectory(db.dataSource(), new PgMemberDirectory.Config(3, 60_000,
                60_000, 1_000))) {
            Mesh mesh = admin.createMesh("m", "m-" + Ids.newId());
            String aliceKey = "a2".repeat(32);
            String carolKey = "c2".repeat(32);
            admin.addMember(mesh.id(), aliceKey, "alice", null, null, null);
            assertThat(get(d, mesh.id(), aliceKey)).isPresent();

            admin.addMember(mesh.id(), carolKey, "carol", null, null, null);

            assertThat(get(d, mesh.id(), carolKey)).isEmpty(); // the mesh as read for alice
            d.invalidate(mesh.id(), carolKey); // as Broker.memberAdded does after an enrolment
            assertThat(get(d, mesh.id(), carolKey)).map(Member::displayName).contains("carol");
        }
    }

    @Test
    void shouldPreferAnActiveRowOverARevokedOne() throws Exception {
        // The schema forbids two rows per (mesh, key); drop that rule in a database of this test's own to check
        // the lookup's tie-break.
        try (TestDatabase own = TestDatabases.newDatabase();
             PgMemberDirectory d = new PgMemberDirectory(own.dataSource(), PgMemberDirectory.Config.defaults())) {
            AdminRepository ownAdmin = new AdminRepository(own.dataSource());
            Mesh mesh = ownAdmin.createMesh("m", "m");
            String key = "12".repeat(32);
            Member old = ownAdmin.addMember(mesh.id(), key, "old", null, null, null);
            revoke(own.dataSource(), mesh.id(), old.id());
            execute(own, "ALTER TABLE mesh.member DROP CONSTRAINT member_mesh_pubkey_uk");
            // Newer, but revoked, row next to an older active one: the active one must win.
            Member active = ownAdmin.addMember(mesh.id(), key, "active", null, null, null);
            execute(own, "UPDATE mesh.member SET created_at = now() - interval '1 day' WHERE id = '"
                    + active.id() + "'");

            assertThat(get(d, mesh.id(), key)).map(Member::id).contains(active.id());
        }
    }

    @Test
    void shouldFailTheLookupWithoutCachingTheFailure() throws Exception {
        try (TestDatabase own = TestDatabases.newDatabase()) {
            AdminRepository ownAdmin = new AdminRepository(own.dataSource());
            Mesh mesh = ownAdmin.createMesh("m", "m");
            String key = "34".repeat(32);
            ownAdmin.addMember(mesh.id(), key, "carol", null, null, null);
            try (PgMemberDirectory d = new PgMemberDirectory(own.newDataSource(2, 300),
                    PgMemberDirectory.Config.defaults())) {
                own.refuseConnections();
                assertThatThrownBy(() -> get(d, mesh.id(), key)).isInstanceOf(ExecutionException.class);

                own.allowConnections();
                // A cached failure would keep failing for the entry's lifetime (30 s); the pool itself may need a
                // moment to connect again.
                Eventually.await(Duration.ofSeconds(10), "lookup succeeds after the outage", () -> {
                    try {
                        return get(d, mesh.id(), key).map(Member::displayName).orElse("").equals("carol");
                    } catch (Exception e) {
                        return false;
                    }
                });
            }
        }
    }

    private static void execute(TestDatabase target, String sql) throws SQLException {
        try (Connection c = target.dataSource().getConnection(); Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    /** The operator's revoke (the only one there is: {@link MembershipAdmin#revokeMember}). */
    private static java.util.Optional<Member> revoke(javax.sql.DataSource ds, String meshId, String memberId) {
        return new MembershipAdmin(ds, null, MembershipAdmin.VIA_CLI, System::currentTimeMillis,
                MembershipAdmin.Listener.NONE).revokeMember(meshId, memberId);
    }
}
