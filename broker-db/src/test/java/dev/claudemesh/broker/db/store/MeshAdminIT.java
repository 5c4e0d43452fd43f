package dev.claudemesh.broker.db.store;

import dev.claudemesh.broker.core.Ids;
import dev.claudemesh.broker.core.crypto.Ed25519;
import dev.claudemesh.broker.core.model.Member;
import dev.claudemesh.broker.core.model.MemberRole;
import dev.claudemesh.broker.db.testing.TestDatabase;
import dev.claudemesh.broker.db.testing.TestDatabases;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The operator's listings and the deletion of a mesh ({@link MembershipAdmin#listMeshes}, {@link
 * MembershipAdmin#deleteMesh}) against a real PostgreSQL: every table that holds rows of the mesh is empty of them
 * afterwards, found from the catalogue so that a table added later is checked too; another mesh keeps its rows.
 */
class MeshAdminIT {

    private static final long NOW_MS = 1_790_000_000_000L;
    private static TestDatabase db;

    @BeforeAll
    static void createDatabase() {
        db = TestDatabases.newDatabase();
    }

    @AfterAll
    static void dropDatabase() {
        db.close();
    }

    private static final class Deletions implements MembershipAdmin.Listener {
        final List<AdminListing.DeletedMesh> deleted = new ArrayList<>();
        Runnable during = () -> { };

        @Override
        public void meshDeleted(AdminListing.DeletedMesh d) {
            deleted.add(d);
            during.run();
        }
    }

    private static MembershipAdmin admin(MembershipAdmin.Listener l) {
        return new MembershipAdmin(db.dataSource(), null, MembershipAdmin.VIA_ADMIN_API, () -> NOW_MS, l);
    }

    private static String slug() {
        return "d-" + Ids.newId().toLowerCase(Locale.ROOT);
    }

    /** A mesh with two members (one revoked), an invite, a state row, a topic, a queued DM, presence and audit. */
    private static String populatedMesh(MembershipAdmin admin) throws SQLException {
        String meshId = admin.createMesh("Doomed", slug()).mesh().id();
        Member a = admin.addMember(meshId, Ed25519.generate().publicKeyHex(), "alice", null, null, null,
                MemberRole.ADMIN);
        Member b = admin.addMember(meshId, Ed25519.generate().publicKeyHex(), "bob", null, null, null);
        admin.revokeMember(meshId, b.id());
        admin.createInvite(meshId, "ws://127.0.0.1:1/ws", MembershipAdmin.InviteOptions.defaults());
        exec("INSERT INTO mesh.state (id, mesh_id, \"key\", value, updated_at) VALUES (?, ?, 'k', '1', now())",
                Ids.newId(), meshId);
        exec("INSERT INTO mesh.topic (id, mesh_id, name, created_by_member_id) VALUES (?, ?, 'general', ?)",
                Ids.newId(), meshId, a.id());
        exec("INSERT INTO mesh.message_queue (id, mesh_id, target_key, priority, nonce, ciphertext, created_at, "
                + "expires_at) VALUES (?, ?, ?, 'now', 'bm9uY2U=', 'Y2lwaGVy', now(), now() + interval '1 day')",
                Ids.newId(), meshId, a.pubkey());
        exec("INSERT INTO mesh.message_delivery (id, mesh_id, delivered_at) VALUES (?, ?, now())", Ids.newId(), meshId);
        exec("INSERT INTO mesh.presence (id, mesh_id, member_id, connected_at) VALUES (?, ?, ?, now())",
                Ids.newId(), meshId, a.id());
        exec("INSERT INTO mesh.audit_log (mesh_id, event_type, payload_canonical, created_at, prev_hash, hash) "
                + "VALUES (?, 'peer_joined', '{}', now(), 'g', 'h')", meshId);
        return meshId;
    }

    @Test
    void shouldListMeshesMembersAndInvites() throws SQLException {
        MembershipAdmin admin = admin(MembershipAdmin.Listener.NONE);
        String meshId = populatedMesh(admin);

        assertThat(admin.listMeshes()).filteredOn(m -> m.id().equals(meshId)).singleElement()
                .satisfies(m -> {
                    assertThat(m.name()).isEqualTo("Doomed");
                    assertThat(m.members()).isEqualTo(2);
                    assertThat(m.activeMembers()).isEqualTo(1);
                });
        assertThat(admin.listMembers(meshId)).get().asList().hasSize(2);
        List<AdminListing.MemberRow> members = admin.listMembers(meshId).orElseThrow();
        assertThat(members.get(0).role()).isEqualTo(MemberRole.ADMIN);
        assertThat(members.get(0).revoked()).isFalse();
        assertThat(members.get(1).displayName()).isEqualTo("bob");
        assertThat(members.get(1).revokedAtMs()).isNotNull();
        List<AdminListing.InviteRow> invites = admin.listInvites(meshId).orElseThrow();
        assertThat(invites).singleElement().satisfies(i -> {
            assertThat(i.role()).isEqualTo("member");
            assertThat(i.usesLeft()).isEqualTo(1);
            assertThat(i.link()).startsWith("ic://join/");
            assertThat(i.expiresAtMs()).isEqualTo(NOW_MS + MembershipAdmin.InviteOptions.DEFAULT_EXPIRES_IN_S * 1000);
            assertThat(i.toString()).doesNotContain("ic://");
        });
        assertThat(admin.listMembers(Ids.newId())).isEmpty();
        assertThat(admin.listInvites("nope")).isEmpty();
        assertThat(admin.meshRow(Ids.newId())).isEmpty();
    }

    @Test
    void shouldDeleteEveryRowOfTheMeshAndKeepOtherMeshes() throws SQLException {
        Deletions listener = new Deletions();
        MembershipAdmin admin = admin(listener);
        String doomed = populatedMesh(admin);
        String kept = populatedMesh(admin);
        Map<String, Integer> keptBefore = rowsOf(kept);
        // the broker's writer commits a late row while the listener runs: the sweep after it removes it
        listener.during = () -> {
            try {
                exec("INSERT INTO mesh.audit_log (mesh_id, event_type, payload_canonical, created_at, prev_hash, "
                        + "hash) VALUES (?, 'peer_left', '{}', now(), 'h', 'i')", doomed);
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        };

        AdminListing.DeletedMesh d = admin.deleteMesh(doomed).orElseThrow();

        assertThat(d.members()).isEqualTo(2);
        assertThat(d.invites()).isEqualTo(1);
        assertThat(d.messages()).isEqualTo(1);
        assertThat(d.auditEvents()).isPositive();
        assertThat(d.memberPubkeys()).hasSize(2);
        assertThat(listener.deleted).containsExactly(d);
        assertThat(rowsOf(doomed)).as("rows of the deleted mesh, by table").allSatisfy((t, n) -> assertThat(n)
                .as(t).isZero());
        assertThat(count("SELECT count(*) FROM mesh.topic_member tm JOIN mesh.topic t ON t.id = tm.topic_id "
                + "WHERE t.mesh_id = '" + doomed + "'")).isZero();
        assertThat(rowsOf(kept)).isEqualTo(keptBefore);
        assertThat(admin.findMesh(doomed)).isEmpty();
        assertThat(admin.deleteMesh(doomed)).isEmpty();
        assertThat(listener.deleted).hasSize(1);
    }

    /** Rows of {@code meshId} in every table of schema mesh that has a mesh_id column (and the mesh row). */
    private static Map<String, Integer> rowsOf(String meshId) throws SQLException {
        Map<String, Integer> out = new LinkedHashMap<>();
        List<String> tables = new ArrayList<>();
        try (Connection c = db.dataSource().getConnection();
             ResultSet rs = c.createStatement().executeQuery("SELECT table_name FROM information_schema.columns "
                     + "WHERE table_schema = 'mesh' AND column_name = 'mesh_id' ORDER BY table_name")) {
            while (rs.next()) {
                tables.add(rs.getString(1));
            }
        }
        assertThat(tables).contains("member", "invite", "mesh_key", "presence", "message_queue", "message_delivery",
                "audit_log",
                "audit_outbox", "state", "topic");
        for (String t : tables) {
            out.put(t, count("SELECT count(*) FROM mesh." + t + " WHERE mesh_id = '" + meshId + "'"));
        }
        out.put("mesh", count("SELECT count(*) FROM mesh.mesh WHERE id = '" + meshId + "'"));
        return out;
    }

    private static int count(String sql) throws SQLException {
        try (Connection c = db.dataSource().getConnection(); ResultSet rs = c.createStatement().executeQuery(sql)) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static void exec(String sql, Object... args) throws SQLException {
        try (Connection c = db.dataSource().getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            ps.executeUpdate();
        }
    }
}
