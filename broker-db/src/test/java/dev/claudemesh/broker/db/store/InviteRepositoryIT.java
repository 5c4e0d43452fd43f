package dev.claudemesh.broker.db.store;

import dev.claudemesh.broker.core.Ids;
import dev.claudemesh.broker.core.crypto.Ed25519;
import dev.claudemesh.broker.core.model.GroupRole;
import dev.claudemesh.broker.core.model.Member;
import dev.claudemesh.broker.core.model.Mesh;
import dev.claudemesh.broker.core.port.DurableOp;
import dev.claudemesh.broker.db.testing.TestDatabase;
import dev.claudemesh.broker.db.testing.TestDatabases;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class InviteRepositoryIT {

    private static final String URL = "ws://127.0.0.1:7900/ws";

    private static TestDatabase db;
    private static AdminRepository admin;
    private static InviteRepository invites;
    private static AuditOutbox outbox;

    @BeforeAll
    static void createDatabase() {
        db = TestDatabases.newDatabase();
        admin = new AdminRepository(db.dataSource());
        invites = new InviteRepository(db.dataSource(), new MeshKeys(db.dataSource(), null));
        outbox = new AuditOutbox(db.dataSource());
    }

    @AfterAll
    static void dropDatabase() {
        db.close();
    }

    private static Mesh newMesh() {
        return admin.createMesh("inv", "inv-" + Ids.newId().toLowerCase());
    }

    private static String key() {
        return Ed25519.generate().publicKeyHex();
    }

    private static void sql(String statement) throws Exception {
        try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement()) {
            st.execute(statement);
        }
    }

    private static JoinOutcome join(CreatedInvite inv, String pubkey) {
        return invites.join(inv.token(), inv.payload(), pubkey, "peer", System.currentTimeMillis());
    }

    @Test
    void shouldEnrolWithTheInvitesRoleAndPresetAndAnswerAlreadyMemberAfterwards() {
        Mesh mesh = newMesh();
        InvitePreset preset = new InvitePreset(null, "reviewer", List.of(new GroupRole("be", "lead")), "inbox");
        CreatedInvite inv = invites.create(mesh.id(), URL, 2, 3600, "admin", preset, "test", System.currentTimeMillis());
        String pubkey = key();

        JoinOutcome first = invites.join(inv.token(), inv.payload(), pubkey.toUpperCase(), "alice",
                System.currentTimeMillis());
        JoinOutcome again = join(inv, pubkey);

        assertThat(first).isInstanceOf(JoinOutcome.Joined.class);
        String memberId = ((JoinOutcome.Joined) first).memberId();
        assertThat(again).isEqualTo(new JoinOutcome.AlreadyMember(memberId));
        Member m = admin.findMember(mesh.id(), memberId).orElseThrow();
        assertThat(m.pubkey()).isEqualTo(pubkey);
        assertThat(m.displayName()).isEqualTo("alice");
        assertThat(m.roleTag()).isEqualTo("reviewer");
        assertThat(m.defaultGroups()).containsExactly(new GroupRole("be", "lead"));
        assertThat(m.messageMode()).isEqualTo("inbox");
        // one use consumed, not two: a second key still gets in, a third does not
        assertThat(join(inv, key())).isInstanceOf(JoinOutcome.Joined.class);
        assertThat(join(inv, key())).isEqualTo(new JoinOutcome.Refused(JoinOutcome.Reason.EXHAUSTED));
    }

    @Test
    void shouldPresetTheDisplayNameWhenTheInviteSaysSo() {
        Mesh mesh = newMesh();
        CreatedInvite inv = invites.create(mesh.id(), URL, 1, 3600, "member",
                new InvitePreset("bob", null, List.of(), null), "test", System.currentTimeMillis());

        JoinOutcome.Joined j = (JoinOutcome.Joined) join(inv, key());

        assertThat(admin.findMember(mesh.id(), j.memberId()).orElseThrow().displayName()).isEqualTo("bob");
    }

    @Test
    void shouldNeverExceedMaxUsesUnderConcurrentJoins() throws Exception {
        Mesh mesh = newMesh();
        CreatedInvite inv = invites.create(mesh.id(), URL, 5, 3600, "member", null, "test", System.currentTimeMillis());
        ExecutorService pool = Executors.newFixedThreadPool(8);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<JoinOutcome>> results = new ArrayList<>();
        try {
            for (int i = 0; i < 20; i++) {
                String k = key();
                results.add(pool.submit(() -> {
                    start.await();
                    return join(inv, k);
                }));
            }
            start.countDown();
            int joined = 0;
            int exhausted = 0;
            for (Future<JoinOutcome> f : results) {
                JoinOutcome o = f.get();
                if (o instanceof JoinOutcome.Joined) {
                    joined++;
                } else if (o.equals(new JoinOutcome.Refused(JoinOutcome.Reason.EXHAUSTED))) {
                    exhausted++;
                }
            }
            assertThat(joined).isEqualTo(5);
            assertThat(exhausted).isEqualTo(15);
            assertThat(admin.listMembers(mesh.id())).hasSize(5);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void shouldAnswerAlreadyMemberToTheSameKeyJoiningTwiceAtOnce() throws Exception {
        Mesh mesh = newMesh();
        CreatedInvite inv = invites.create(mesh.id(), URL, 10, 3600, "member", null, "test", System.currentTimeMillis());
        String k = key();
        ExecutorService pool = Executors.newFixedThreadPool(6);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<JoinOutcome>> results = new ArrayList<>();
        try {
            for (int i = 0; i < 6; i++) {
                results.add(pool.submit(() -> {
                    start.await();
                    return join(inv, k);
                }));
            }
            start.countDown();
            int joined = 0;
            for (Future<JoinOutcome> f : results) {
                JoinOutcome o = f.get();
                assertThat(o).isInstanceOfAny(JoinOutcome.Joined.class, JoinOutcome.AlreadyMember.class);
                joined += o instanceof JoinOutcome.Joined ? 1 : 0;
            }
            assertThat(joined).isEqualTo(1);
            assertThat(admin.listMembers(mesh.id())).hasSize(1);
            // exactly one use consumed
            try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement();
                 var r = st.executeQuery("select used_count from mesh.invite where id = '" + inv.id() + "'")) {
                r.next();
                assertThat(r.getInt(1)).isEqualTo(1);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void shouldCheckInTheProtocolsOrder() throws Exception {
        Mesh mesh = newMesh();
        Mesh other = newMesh();
        CreatedInvite inv = invites.create(mesh.id(), URL, 1, 3600, "member", null, "test", System.currentTimeMillis());
        CreatedInvite otherInv = invites.create(other.id(), URL, 1, 3600, "member", null, "test",
                System.currentTimeMillis());
        InvitePayload p = inv.payload();

        // a payload signed by a foreign key for this mesh
        Ed25519.KeyPair rogue = Ed25519.generate();
        InvitePayload forged = InvitePayload.sign(mesh.id(), mesh.slug(), URL, p.expiresAt(), p.meshRootKey(),
                "admin", rogue.publicKeyHex(), rogue.seed());
        InvitePayload unknownMesh = InvitePayload.sign(Ids.newId(), "x", URL, p.expiresAt(), p.meshRootKey(),
                "member", rogue.publicKeyHex(), rogue.seed());
        InvitePayload tampered = new InvitePayload(1, p.meshId(), p.meshSlug(), p.brokerUrl(), p.expiresAt(),
                p.meshRootKey(), "admin", p.ownerPubkey(), p.signature());
        long now = System.currentTimeMillis();

        assertThat(invites.join(inv.token(), null, key(), "x", now)).isEqualTo(refused(JoinOutcome.Reason.BAD_SIGNATURE));
        assertThat(invites.join(inv.token(), tampered, key(), "x", now)).isEqualTo(refused(JoinOutcome.Reason.BAD_SIGNATURE));
        assertThat(invites.join(inv.token(), unknownMesh, key(), "x", now)).isEqualTo(refused(JoinOutcome.Reason.MESH_NOT_FOUND));
        assertThat(invites.join(inv.token(), forged, key(), "x", now)).isEqualTo(refused(JoinOutcome.Reason.OWNER_MISMATCH));
        assertThat(invites.join("nope", p, key(), "x", now)).isEqualTo(refused(JoinOutcome.Reason.NOT_FOUND));
        assertThat(invites.join(otherInv.token(), p, key(), "x", now)).isEqualTo(refused(JoinOutcome.Reason.MESH_MISMATCH));

        sql("update mesh.invite set expires_at = now() - interval '1 second' where id = '" + inv.id() + "'");
        assertThat(join(inv, key())).isEqualTo(refused(JoinOutcome.Reason.EXPIRED));
        assertThat(invites.revoke(mesh.id(), inv.id(), "test", now)).isTrue();
        assertThat(invites.revoke(mesh.id(), inv.id(), "test", now)).isFalse();
        assertThat(join(inv, key())).isEqualTo(refused(JoinOutcome.Reason.REVOKED));
        assertThatThrownBy(() -> invites.revoke(other.id(), inv.id(), "test", now))
                .isInstanceOf(NotFoundException.class);
    }

    @Test
    void shouldNotLiftABanThroughAnInvite() {
        Mesh mesh = newMesh();
        CreatedInvite inv = invites.create(mesh.id(), URL, 5, 3600, "member", null, "test", System.currentTimeMillis());
        String k = key();
        JoinOutcome.Joined j = (JoinOutcome.Joined) join(inv, k);
        new MembershipAdmin(db.dataSource(), null, MembershipAdmin.VIA_CLI, System::currentTimeMillis,
                MembershipAdmin.Listener.NONE).revokeMember(mesh.id(), j.memberId());

        assertThat(join(inv, k)).isEqualTo(refused(JoinOutcome.Reason.MEMBER_REVOKED));
    }

    @Test
    void shouldRecordMetadataOnlyAuditEventsInTheOutbox() {
        Mesh mesh = newMesh();
        long t0 = 1_800_000_000_000L;
        CreatedInvite inv = invites.create(mesh.id(), URL, 3, 60, "member", null, "cli", t0);
        JoinOutcome.Joined j = (JoinOutcome.Joined) invites.join(inv.token(), inv.payload(), key(), "p", t0 + 1);
        invites.revoke(mesh.id(), inv.id(), "cli", t0 + 2);

        List<DurableOp.AppendAudit> ops = outbox.take(10_000).stream()
                .filter(op -> op.meshId().equals(mesh.id())).toList();

        assertThat(ops).extracting(DurableOp.AppendAudit::eventType)
                .containsExactly("invite_created", "member_joined", "invite_revoked");
        assertThat(ops).extracting(DurableOp.AppendAudit::createdAtMs).containsExactly(t0, t0 + 1, t0 + 2);
        assertThat(AuditOutbox.parseObject(ops.get(0).event().canonicalPayload())).isEqualTo(Map.of("inviteId",
                inv.id(), "role", "member", "maxUses", 3L, "expiresAt", t0 / 1000 + 60, "via", "cli"));
        assertThat(ops.get(1).actorId()).isEqualTo(j.memberId());
        assertThat(AuditOutbox.parseObject(ops.get(1).event().canonicalPayload())).containsEntry("via", "invite")
                .containsEntry("inviteId", inv.id());
        for (DurableOp.AppendAudit op : ops) {
            // never the token, which carries the mesh root key
            assertThat(op.event().canonicalPayload()).doesNotContain(inv.payload().meshRootKey());
        }
        assertThat(outbox.size()).isZero();
    }

    @Test
    void shouldMakeDistinctTokensForIdenticalInvitesAndValidateArguments() {
        Mesh mesh = newMesh();
        long now = System.currentTimeMillis();
        CreatedInvite a = invites.create(mesh.id(), URL, 1, 3600, "member", null, "test", now);
        CreatedInvite b = invites.create(mesh.id(), URL, 1, 3600, "member", null, "test", now);

        assertThat(a.token()).isNotEqualTo(b.token());
        assertThat(b.payload().signatureValid()).isTrue();
        assertThatThrownBy(() -> invites.create(Ids.newId(), URL, 1, 60, "member", null, "t", now))
                .isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> invites.create(mesh.id(), URL, 0, 60, "member", null, "t", now))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> invites.create(mesh.id(), URL, 1, 60, "owner", null, "t", now))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> invites.create(mesh.id(), URL, 1, 0, "member", null, "t", now))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static JoinOutcome refused(JoinOutcome.Reason r) {
        return new JoinOutcome.Refused(r);
    }
}
