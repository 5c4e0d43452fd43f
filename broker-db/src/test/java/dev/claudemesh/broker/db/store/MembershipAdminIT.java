package dev.claudemesh.broker.db.store;

import dev.claudemesh.broker.core.Ids;
import dev.claudemesh.broker.core.crypto.Ed25519;
import dev.claudemesh.broker.core.model.Member;
import dev.claudemesh.broker.db.testing.TestDatabase;
import dev.claudemesh.broker.db.testing.TestDatabases;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link MembershipAdmin} against a real PostgreSQL: what each operation stores and whom it tells. */
class MembershipAdminIT {

    private static final String ENCRYPTION_KEY = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    private static final long NOW_MS = 1_790_000_000_000L;

    private static TestDatabase db;

    /** Records what the service tells a running broker. */
    private static final class Recorder implements MembershipAdmin.Listener {
        final List<String> events = new ArrayList<>();

        @Override
        public void memberAdded(Member member) {
            events.add("added " + member.id());
        }

        @Override
        public void memberRevoked(Member member) {
            events.add("revoked " + member.id() + " " + member.revoked());
        }

        @Override
        public void auditEventsQueued(String meshId) {
            events.add("audit " + meshId);
        }
    }

    @BeforeAll
    static void createDatabase() {
        db = TestDatabases.newDatabase();
    }

    @AfterAll
    static void dropDatabase() {
        db.close();
    }

    private static MembershipAdmin admin(MembershipAdmin.Listener listener) {
        return new MembershipAdmin(db.dataSource(), ENCRYPTION_KEY, MembershipAdmin.VIA_CLI, () -> NOW_MS, listener);
    }

    private static String slug() {
        return "m-" + Ids.newId().toLowerCase(Locale.ROOT);
    }

    @Test
    void shouldCreateTheMeshWithItsOwnerKeysEncryptedInOneStep() {
        MembershipAdmin.CreatedMesh created = admin(MembershipAdmin.Listener.NONE).createMesh("Team", slug());

        MeshKeys keys = new MeshKeys(db.dataSource(), ENCRYPTION_KEY);
        assertThat(keys.ownerPubkey(created.mesh().id())).contains(created.ownerPubkey());
        assertThat(keys.secretFormat(created.mesh().id())).contains(MeshKeys.AES_GCM);
        MeshKeys.Keys k = keys.ensure(created.mesh().id());
        // the stored (encrypted) seed is the secret of the reported owner key
        assertThat(Ed25519.fromSeed(k.ownerSeed()).publicKeyHex()).isEqualTo(created.ownerPubkey());
        assertThat(k.rootKey()).matches("[A-Za-z0-9_-]{43}");
    }

    @Test
    void shouldLeaveNoRowsBehindWhenTheSlugIsTaken() {
        MembershipAdmin admin = admin(MembershipAdmin.Listener.NONE);
        String slug = slug();
        admin.createMesh("first", slug);
        int meshesBefore = new AdminRepository(db.dataSource()).listMeshIds().size();

        assertThatThrownBy(() -> admin.createMesh("second", slug)).isInstanceOf(DuplicateException.class)
                .hasMessage("mesh slug already exists: " + slug);
        assertThat(new AdminRepository(db.dataSource()).listMeshIds()).hasSize(meshesBefore);
    }

    @Test
    void shouldRefuseBadNamesSlugsAndKeysBeforeTouchingTheDatabase() {
        MembershipAdmin admin = admin(MembershipAdmin.Listener.NONE);
        assertThatThrownBy(() -> admin.createMesh(" ", "ok")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("name: blank (expected: the mesh's display name)");
        assertThatThrownBy(() -> admin.createMesh("x", "Not A Slug")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("slug: 'Not A Slug' (expected: " + MembershipAdmin.SLUG_RULE + ")");
        String meshId = admin.createMesh("x", slug()).mesh().id();
        assertThatThrownBy(() -> admin.addMember(meshId, "xyz", "a", null, null, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("pubkey: expected 64 hex chars (32 bytes)");
        assertThatThrownBy(() -> admin.addMember("short", "ab".repeat(32), "a", null, null, null))
                .isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> admin.verifyAudit(Ids.newId())).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> new MembershipAdmin.InviteOptions(0, 60, "member", null))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("maxUses: 0 (expected: 1..1000000)");
        assertThatThrownBy(() -> new MembershipAdmin.InviteOptions(1, 60, "owner", null))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("role: owner (expected: member or admin)");
    }

    @Test
    void shouldTellTheListenerAfterEachCommittedChange() {
        Recorder recorder = new Recorder();
        MembershipAdmin admin = admin(recorder);
        String meshId = admin.createMesh("Team", slug()).mesh().id();
        String pubkey = Ed25519.generate().publicKeyHex().toUpperCase(Locale.ROOT);

        Member m = admin.addMember(meshId, pubkey, "alice", "lead", List.of(), Map.of());
        assertThat(m.pubkey()).isEqualTo(pubkey.toLowerCase(Locale.ROOT));
        assertThatThrownBy(() -> admin.addMember(meshId, pubkey, "alice again", null, null, null))
                .isInstanceOf(DuplicateException.class);
        assertThat(admin.revokeMember(meshId, m.id())).hasValueSatisfying(r -> assertThat(r.revoked()).isTrue());
        assertThat(admin.revokeMember(meshId, Ids.newId())).isEmpty();

        CreatedInvite invite = admin.createInvite(meshId, "ws://127.0.0.1:7900/ws",
                MembershipAdmin.InviteOptions.defaults());
        assertThat(invite.payload().role()).isEqualTo("member");
        assertThat(invite.expiresAtS()).isEqualTo(NOW_MS / 1000 + MembershipAdmin.InviteOptions.DEFAULT_EXPIRES_IN_S);
        assertThat(admin.revokeInvite(meshId, invite.id())).isTrue();
        assertThat(admin.revokeInvite(meshId, invite.id())).isFalse();
        assertThatThrownBy(() -> admin.revokeInvite(meshId, Ids.newId())).isInstanceOf(NotFoundException.class);

        assertThat(recorder.events).containsExactly("added " + m.id(), "revoked " + m.id() + " true",
                "audit " + meshId, "audit " + meshId, "audit " + meshId);
        // the events wait in the outbox, marked as made by the jar
        assertThat(new AuditOutbox(db.dataSource()).take(100)).filteredOn(op -> op.meshId().equals(meshId))
                .extracting(op -> op.eventType() + " " + (op.event().canonicalPayload().contains("\"via\":\"cli\"")
                        ? "cli" : op.event().canonicalPayload()))
                .containsExactly("member_banned cli", "invite_created cli", "invite_revoked cli");
    }

    @Test
    void shouldVerifyTheAuditChainOfAnExistingMesh() {
        MembershipAdmin admin = admin(MembershipAdmin.Listener.NONE);
        String meshId = admin.createMesh("Team", slug()).mesh().id();
        AuditVerification v = admin.verifyAudit(meshId);
        assertThat(v.ok()).isTrue();
        assertThat(v.events()).isZero();
    }
}
