package dev.claudemesh.broker.db.store;

import dev.claudemesh.broker.core.Ids;
import dev.claudemesh.broker.core.crypto.Ed25519;
import dev.claudemesh.broker.core.envelope.JsonNode;
import dev.claudemesh.broker.core.mesh.SavedPeerState;
import dev.claudemesh.broker.core.model.GroupRole;
import dev.claudemesh.broker.core.model.Member;
import dev.claudemesh.broker.core.model.MemberRole;
import dev.claudemesh.broker.core.model.Mesh;
import dev.claudemesh.broker.core.port.DurableOp;
import dev.claudemesh.broker.core.presence.PeerStateStore;
import dev.claudemesh.broker.db.testing.TestDatabase;
import dev.claudemesh.broker.db.testing.TestDatabases;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link MemberProfiles} against a real PostgreSQL: the roster, who may change what (admins anything, members
 * themselves within the mesh's policy, {@code permission} admin-only), changes scoped to the mesh, the audit events.
 */
class MemberProfilesIT {

    private static final long T0 = 1_780_000_000_000L;

    private static TestDatabase db;
    private static AdminRepository admin;
    private static MemberProfiles profiles;
    private static AuditOutbox outbox;

    private Mesh mesh;
    private Member alice;
    private Member bob;
    private Member root;

    @BeforeAll
    static void createDatabase() {
        db = TestDatabases.newDatabase();
        admin = new AdminRepository(db.dataSource());
        profiles = new MemberProfiles(db.dataSource());
        outbox = new AuditOutbox(db.dataSource());
    }

    @AfterAll
    static void dropDatabase() {
        db.close();
    }

    @BeforeEach
    void mesh() throws Exception {
        outbox.take(10_000);
        mesh = admin.createMesh("team", "mp-" + Ids.newId());
        alice = admin.addMember(mesh.id(), Ed25519.generate().publicKeyHex(), "alice", "dev",
                List.of(new GroupRole("be", null)), null);
        bob = admin.addMember(mesh.id(), Ed25519.generate().publicKeyHex(), "bob", null, List.of(), null);
        root = admin.addMember(mesh.id(), Ed25519.generate().publicKeyHex(), "root", null, List.of(), null);
        sql("update mesh.member set role = 'admin' where id = '" + root.id() + "'");
    }

    private static void sql(String statement) throws Exception {
        try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement()) {
            st.executeUpdate(statement);
        }
    }

    private static MemberProfiles.Update roleTag(String tag) {
        return new MemberProfiles.Update(null, true, tag, null, null, null);
    }

    @Test
    void shouldListTheNonRevokedMembersWithTheirLastSeenTime() throws Exception {
        new PgPeerStateStore(db.dataSource()).save(mesh.id(), bob.id(), new PeerStateStore.Save(List.of(),
                JsonNode.ObjectNode.EMPTY, true, "bob", null, SavedPeerState.Stats.ZERO, T0));
        // the mesh's only admin: the ban path refuses to revoke it (MemberModerationIT), so revoked by hand here
        sql("update mesh.member set revoked_at = now() where id = '" + root.id() + "'");

        List<MemberProfiles.MemberView> list = profiles.list(mesh.id());

        assertThat(list).extracting(MemberProfiles.MemberView::displayName).containsExactly("alice", "bob");
        MemberProfiles.MemberView a = list.get(0);
        assertThat(a.id()).isEqualTo(alice.id());
        assertThat(a.roleTag()).isEqualTo("dev");
        assertThat(a.groups()).containsExactly(new GroupRole("be", null));
        assertThat(a.messageMode()).isEqualTo("push");
        assertThat(a.permission()).isEqualTo("member");
        assertThat(a.lastSeenAtMs()).isNull();
        assertThat(list.get(1).lastSeenAtMs()).isEqualTo(T0);
        assertThat(profiles.list(Ids.newId())).isEmpty();
    }

    @Test
    void shouldKnowCallersOfTheMeshOnly() {
        assertThat(profiles.caller(mesh.id(), alice.id())).isEqualTo(
                new MemberProfiles.Caller(alice.id(), alice.pubkey(), false));
        assertThat(profiles.caller(mesh.id(), root.id()).admin()).isTrue();
        Mesh other = admin.createMesh("other", "mp-" + Ids.newId());
        assertThat(profiles.caller(other.id(), alice.id())).isNull();
        new MembershipAdmin(db.dataSource(), null, MembershipAdmin.VIA_ADMIN_API, () -> T0,
                MembershipAdmin.Listener.NONE).revokeMember(mesh.id(), bob.id());
        assertThat(profiles.caller(mesh.id(), bob.id())).isNull();
    }

    @Test
    void shouldLetAMemberEditItselfAndRecordTheFieldsOnly() {
        MemberProfiles.Outcome o = profiles.update(mesh.id(), alice.id(), alice.id(), new MemberProfiles.Update(
                "alice2", true, null, List.of(new GroupRole("ops", "lead")), "inbox", null), T0);

        assertThat(o).isInstanceOf(MemberProfiles.Updated.class);
        MemberProfiles.MemberView v = ((MemberProfiles.Updated) o).member();
        assertThat(v.displayName()).isEqualTo("alice2");
        assertThat(v.roleTag()).isNull();
        assertThat(v.groups()).containsExactly(new GroupRole("ops", "lead"));
        assertThat(v.messageMode()).isEqualTo("inbox");
        assertThat(profiles.list(mesh.id()).get(0)).isEqualTo(v);
        List<DurableOp.AppendAudit> audits = outbox.take(100);
        assertThat(audits).hasSize(1);
        assertThat(audits.get(0).eventType()).isEqualTo("member_updated");
        assertThat(audits.get(0).actorId()).isEqualTo(alice.id());
        assertThat(audits.get(0).event().canonicalPayload()).isEqualTo("{\"fields\":[\"displayName\",\"roleTag\","
                + "\"groups\",\"messageMode\"],\"memberId\":\"" + alice.id() + "\"}");
    }

    @Test
    void shouldRefuseWhatThePolicyKeepsForAdminsAndPermissionToMembers() {
        assertThat(profiles.updateSettings(mesh.id(), root.id(), Map.of("displayName", true, "roleTag", false,
                "groups", false, "messageMode", true), T0)).isInstanceOf(MemberProfiles.SettingsUpdated.class);

        assertThat(profiles.update(mesh.id(), alice.id(), alice.id(), new MemberProfiles.Update(null, true, "x",
                List.of(), null, "admin"), T0))
                .isEqualTo(new MemberProfiles.Refused("admin-managed fields: roleTag, groups, permission"));
        assertThat(profiles.update(mesh.id(), alice.id(), alice.id(), new MemberProfiles.Update("ok", false, null,
                null, null, null), T0)).isInstanceOf(MemberProfiles.Updated.class);
        // an admin is not bound by the policy
        assertThat(profiles.update(mesh.id(), root.id(), alice.id(), roleTag("lead"), T0))
                .isInstanceOf(MemberProfiles.Updated.class);
        assertThat(profiles.selfEditable(mesh.id())).containsEntry("roleTag", false);
    }

    @Test
    void shouldRefuseOthersAndEmptyUpdates() {
        assertThat(profiles.update(mesh.id(), alice.id(), bob.id(), roleTag("x"), T0))
                .isEqualTo(new MemberProfiles.Refused("not authorized — only admins or self can edit"));
        assertThat(profiles.update(mesh.id(), alice.id(), alice.id(), new MemberProfiles.Update(null, false, null,
                null, null, null), T0)).isEqualTo(new MemberProfiles.Refused("no fields to update"));
        assertThat(profiles.update(mesh.id(), Ids.newId(), alice.id(), roleTag("x"), T0))
                .isEqualTo(new MemberProfiles.Refused("caller not a member of this mesh"));
        assertThat(profiles.updateSettings(mesh.id(), alice.id(), Map.of("groups", true), T0))
                .isEqualTo(new MemberProfiles.Refused("admin access required"));
        assertThat(profiles.updateSettings(mesh.id(), root.id(), null, T0))
                .isEqualTo(new MemberProfiles.Refused("no settings to update"));
        assertThat(outbox.take(100)).isEmpty();
    }

    @Test
    void shouldLetAnAdminChangePermissionsButNotMembersOfAnotherMesh() {
        MemberProfiles.Outcome o = profiles.update(mesh.id(), root.id(), bob.id(), new MemberProfiles.Update(null,
                false, null, null, null, "admin"), T0);
        assertThat(((MemberProfiles.Updated) o).member().permission()).isEqualTo("admin");

        Mesh other = admin.createMesh("other", "mp-" + Ids.newId());
        Member stranger = admin.addMember(other.id(), Ed25519.generate().publicKeyHex(), "stranger", null, List.of(),
                null);
        assertThat(profiles.update(mesh.id(), root.id(), stranger.id(), roleTag("owned"), T0))
                .isEqualTo(new MemberProfiles.Refused("member not found after update"));
        assertThat(profiles.list(other.id()).get(0).roleTag()).isNull();
    }

    @Test
    void shouldChangeRolesOnlyThroughModerationsRules() throws Exception {
        // root is the only admin: demoting itself is refused, and the profile field of the same request is not written
        MemberProfiles.Outcome refused = profiles.update(mesh.id(), root.id(), root.id(), new MemberProfiles.Update(
                "renamed", false, null, null, null, "member"), T0);
        assertThat(refused).isEqualTo(new MemberProfiles.Refused("member " + root.id()
                + " is the last admin of its mesh: make another member admin first"));
        assertThat(profiles.list(mesh.id())).filteredOn(m -> m.id().equals(root.id()))
                .extracting(MemberProfiles.MemberView::displayName, MemberProfiles.MemberView::permission)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("root", "admin"));
        assertThat(outbox.take(100)).isEmpty();

        // a promotion is audited member_role_changed (via member_api, acted by the caller), not member_updated
        profiles.update(mesh.id(), root.id(), bob.id(), new MemberProfiles.Update(null, false, null, null, null,
                "admin"), T0);
        assertThat(outbox.take(100)).extracting(e -> e.eventType() + " " + e.actorId() + " " + e.event().canonicalPayload())
                .containsExactly("member_role_changed " + root.id() + " {\"pubkey\":\"" + bob.pubkey()
                        + "\",\"role\":\"admin\",\"via\":\"member_api\"}");
        // now root may step down
        assertThat(profiles.update(mesh.id(), root.id(), root.id(), new MemberProfiles.Update(null, false, null, null,
                null, "member"), T0)).isInstanceOf(MemberProfiles.Updated.class);
        assertThat(new MembershipAdmin(db.dataSource(), null, MembershipAdmin.VIA_CLI, () -> T0,
                MembershipAdmin.Listener.NONE).roleOf(mesh.id(), root.id())).isEqualTo(MemberRole.MEMBER);
    }
}
