package dev.claudemesh.broker.db.store;

import dev.claudemesh.broker.core.Ids;
import dev.claudemesh.broker.core.crypto.Ed25519;
import dev.claudemesh.broker.core.model.Member;
import dev.claudemesh.broker.core.model.MemberRole;
import dev.claudemesh.broker.core.moderation.BanOutcome;
import dev.claudemesh.broker.core.moderation.ModerationStore;
import dev.claudemesh.broker.core.port.DurableOp;
import dev.claudemesh.broker.db.testing.TestDatabase;
import dev.claudemesh.broker.db.testing.TestDatabases;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Roles and bans against a real PostgreSQL (PROTOCOL-MESH §9 with the §9.6 [fix], defect 7): a member's ban and the
 * operator's revoke are one path (same row change, same {@code member_banned}, same listener calls), the ban rules
 * hold inside the transaction, and a mesh never loses its last admin, also when two requests race.
 */
class MemberModerationIT {

    private static TestDatabase db;

    /** What the service tells a running broker. */
    private static final class Recorder implements MembershipAdmin.Listener {
        final List<String> events = Collections.synchronizedList(new ArrayList<>());

        @Override
        public void memberAdded(Member member) {
            events.add("added " + member.displayName());
        }

        @Override
        public void memberRevoked(Member member) {
            events.add("revoked " + member.displayName() + " " + member.revoked());
        }

        @Override
        public void auditEventsQueued(String meshId) {
            events.add("audit");
        }
    }

    private final Recorder recorder = new Recorder();
    private final MembershipAdmin admin = new MembershipAdmin(db.dataSource(), null, MembershipAdmin.VIA_ADMIN_API,
            System::currentTimeMillis, recorder);
    private final String meshId = admin.createMesh("Team", "m-" + Ids.newId().toLowerCase(Locale.ROOT)).mesh().id();

    @BeforeAll
    static void createDatabase() {
        db = TestDatabases.newDatabase();
    }

    @AfterAll
    static void dropDatabase() {
        db.close();
    }

    private Member add(String name, MemberRole role) {
        return add(name, Ed25519.generate().publicKeyHex(), role);
    }

    private Member add(String name, String pubkey, MemberRole role) {
        Member m = admin.addMember(meshId, pubkey, name, null, null, null, role);
        recorder.events.clear();
        return m;
    }

    /** This mesh's events waiting in the outbox, as {@code type actor payload}; taken out. */
    private List<String> outbox() {
        List<String> out = new ArrayList<>();
        for (DurableOp.AppendAudit op : new AuditOutbox(db.dataSource()).take(1000)) {
            if (op.meshId().equals(meshId)) {
                out.add(op.event().type() + " " + op.actorId() + " " + op.event().canonicalPayload());
            }
        }
        return out;
    }

    private MemberModeration moderation() {
        return admin.moderation();
    }

    @Test
    void aMemberBanShouldBeTheOperatorsRevokeWithTheMemberAsActor() {
        Member owner = add("olga", MemberRole.ADMIN);
        Member bob = add("bob", MemberRole.MEMBER);
        Member carol = add("carol", MemberRole.MEMBER);

        assertThat(moderation().ban(meshId, owner.id(), "bob"))
                .isEqualTo(new BanOutcome.Done(bob.id(), "bob", bob.pubkey()));
        assertThat(admin.revokeMember(meshId, carol.id())).map(Member::revoked).contains(true);

        assertThat(recorder.events).containsExactly("revoked bob true", "audit", "revoked carol true", "audit");
        assertThat(outbox()).containsExactly(
                "member_banned " + owner.id() + " {\"target\":\"bob\",\"targetPubkey\":\"" + bob.pubkey()
                        + "\",\"via\":\"ws\"}",
                "member_banned null {\"target\":\"carol\",\"targetPubkey\":\"" + carol.pubkey()
                        + "\",\"via\":\"admin_api\"}");
        assertThat(moderation().roleOf(meshId, bob.id())).as("banned: no role").isNull();
        assertThat(moderation().bans(meshId)).extracting(ModerationStore.Ban::name).containsExactly("bob", "carol");
        // a revoked key cannot come back through an invite (defect 7: ban evasion)
        CreatedInvite invite = admin.createInvite(meshId, "ws://127.0.0.1:1/ws",
                MembershipAdmin.InviteOptions.defaults());
        assertThat(admin.invites().join(invite.token(), invite.payload(), bob.pubkey(), "bob again", System.currentTimeMillis()))
                .isEqualTo(new JoinOutcome.Refused(JoinOutcome.Reason.MEMBER_REVOKED));
    }

    @Test
    void targetsShouldNameExactlyOneMemberByNameOrAnEightCharKeyPrefix() {
        Member owner = add("olga", MemberRole.ADMIN);
        String k1 = "abcdef01" + "11".repeat(28);
        String k2 = "abcdef01" + "22".repeat(28);
        add("twin", k1, MemberRole.MEMBER);
        add("twin", k2, MemberRole.MEMBER);

        assertThat(moderation().ban(meshId, owner.id(), "abcdef0"))
                .isEqualTo(new BanOutcome.Refused("not_found", "peer \"abcdef0\" not found"));
        assertThat(moderation().ban(meshId, owner.id(), "ABCDEF01"))
                .isInstanceOf(BanOutcome.Refused.class).extracting(o -> ((BanOutcome.Refused) o).code())
                .isEqualTo("ambiguous_target");
        assertThat(moderation().ban(meshId, owner.id(), "twin"))
                .extracting(o -> ((BanOutcome.Refused) o).code()).isEqualTo("ambiguous_target");
        assertThat(moderation().ban(meshId, owner.id(), "abcdef0122"))
                .isInstanceOf(BanOutcome.Done.class).extracting(o -> ((BanOutcome.Done) o).pubkey()).isEqualTo(k2);
        assertThat(moderation().ban(meshId, owner.id(), "twin")).as("only one twin is left")
                .isInstanceOf(BanOutcome.Done.class).extracting(o -> ((BanOutcome.Done) o).pubkey()).isEqualTo(k1);
    }

    @Test
    void onlyTheOwnerShouldBanAnAdminAndMembersNobody() {
        Member owner = add("olga", MemberRole.ADMIN);
        Member ada = add("ada", MemberRole.ADMIN);
        Member bob = add("bob", MemberRole.MEMBER);

        assertThat(moderation().ban(meshId, bob.id(), "carol"))
                .isEqualTo(new BanOutcome.Refused("forbidden", "only owner or admin can ban"));
        assertThat(moderation().ban(meshId, ada.id(), "olga")).isEqualTo(new BanOutcome.Refused("forbidden",
                "only the mesh owner (its first admin) can ban an admin"));
        assertThat(moderation().ban(meshId, ada.id(), "ada"))
                .isEqualTo(new BanOutcome.Refused("invalid", "cannot ban yourself"));
        assertThat(moderation().ban(meshId, owner.id(), "ada")).isInstanceOf(BanOutcome.Done.class);
        assertThat(moderation().ban(meshId, ada.id(), "bob")).as("a banned admin bans nobody")
                .isEqualTo(new BanOutcome.Refused("forbidden", "only owner or admin can ban"));
        assertThat(outbox()).hasSize(1);
    }

    @Test
    void nobodyShouldRevokeOrDemoteTheLastAdmin() {
        Member owner = add("olga", MemberRole.ADMIN);
        Member bob = add("bob", MemberRole.MEMBER);

        assertThatThrownBy(() -> admin.revokeMember(meshId, owner.id())).isInstanceOf(ConflictException.class)
                .hasMessageContaining("last admin");
        assertThatThrownBy(() -> admin.setRole(meshId, owner.id(), MemberRole.MEMBER))
                .isInstanceOf(ConflictException.class);
        assertThat(moderation().roleOf(meshId, owner.id())).isEqualTo(MemberRole.ADMIN);
        assertThat(recorder.events).isEmpty();
        assertThat(outbox()).isEmpty();

        assertThat(admin.setRole(meshId, bob.id(), MemberRole.ADMIN)).map(Member::id).contains(bob.id());
        assertThat(admin.setRole(meshId, bob.id(), MemberRole.ADMIN)).as("no change, no event").isPresent();
        assertThat(admin.revokeMember(meshId, owner.id())).map(Member::revoked).contains(true);
        assertThat(outbox()).containsExactly(
                "member_role_changed null {\"pubkey\":\"" + bob.pubkey() + "\",\"role\":\"admin\",\"via\":\"admin_api\"}",
                "member_banned null {\"target\":\"olga\",\"targetPubkey\":\"" + owner.pubkey()
                        + "\",\"via\":\"admin_api\"}");
        assertThat(admin.setRole(meshId, Ids.newId(), MemberRole.ADMIN)).isEmpty();
        assertThat(admin.revokeMember(meshId, owner.id())).as("idempotent").map(Member::revoked).contains(true);
        assertThat(outbox()).as("a repeated revoke records nothing").isEmpty();
    }

    @Test
    void twoRevokesOfTheLastTwoAdminsAtOnceShouldLeaveOne() throws Exception {
        Member a = add("a", MemberRole.ADMIN);
        Member b = add("b", MemberRole.ADMIN);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Object>> results = new ArrayList<>();
            for (Member m : List.of(a, b)) {
                results.add(pool.submit(() -> {
                    start.await();
                    try {
                        return admin.revokeMember(meshId, m.id());
                    } catch (ConflictException e) {
                        return e;
                    }
                }));
            }
            start.countDown();
            List<Object> outcomes = new ArrayList<>();
            for (Future<Object> f : results) {
                outcomes.add(f.get(30, TimeUnit.SECONDS));
            }
            assertThat(outcomes).filteredOn(o -> o instanceof ConflictException).hasSize(1);
        } finally {
            pool.shutdownNow();
        }
        assertThat(List.of(a, b)).filteredOn(m -> moderation().roleOf(meshId, m.id()) == MemberRole.ADMIN)
                .as("exactly one admin is left").hasSize(1);
    }

    @Test
    void unbansShouldLiftTheBanByNameOrFullKey() {
        Member owner = add("olga", MemberRole.ADMIN);
        Member bob = add("bob", MemberRole.MEMBER);
        Member carol = add("carol", MemberRole.MEMBER);
        moderation().ban(meshId, owner.id(), "bob");
        moderation().ban(meshId, owner.id(), "carol");
        outbox();
        recorder.events.clear();

        assertThat(moderation().unban(meshId, owner.id(), bob.pubkey().substring(0, 16)))
                .as("no prefixes for unban").isEqualTo(new BanOutcome.Refused("not_found",
                        "no banned peer \"" + bob.pubkey().substring(0, 16) + "\""));
        assertThat(moderation().unban(meshId, owner.id(), bob.pubkey().toUpperCase(Locale.ROOT)))
                .isEqualTo(new BanOutcome.Done(bob.id(), "bob", bob.pubkey()));
        assertThat(admin.unbanMember(meshId, carol.id())).map(Member::revoked).contains(false);
        assertThat(admin.unbanMember(meshId, carol.id())).as("idempotent").map(Member::revoked).contains(false);

        assertThat(recorder.events).containsExactly("added bob", "audit", "added carol", "audit");
        assertThat(outbox()).containsExactly(
                "member_unbanned " + owner.id() + " {\"target\":\"bob\",\"targetPubkey\":\"" + bob.pubkey()
                        + "\",\"via\":\"ws\"}",
                "member_unbanned null {\"target\":\"carol\",\"targetPubkey\":\"" + carol.pubkey()
                        + "\",\"via\":\"admin_api\"}");
        assertThat(moderation().roleOf(meshId, bob.id())).isEqualTo(MemberRole.MEMBER);
        assertThat(moderation().bans(meshId)).isEmpty();
    }

    @Test
    void anAdminInviteShouldEnrolAnAdmin() {
        CreatedInvite invite = admin.createInvite(meshId, "ws://127.0.0.1:1/ws",
                new MembershipAdmin.InviteOptions(1, 3600, "admin", null));
        String key = Ed25519.generate().publicKeyHex();

        JoinOutcome.Joined j = (JoinOutcome.Joined) admin.invites().join(invite.token(), invite.payload(), key,
                "newcomer", System.currentTimeMillis());

        assertThat(moderation().roleOf(meshId, j.memberId())).isEqualTo(MemberRole.ADMIN);
        assertThat(admin.roleOf(meshId, j.memberId())).isEqualTo(MemberRole.ADMIN);
        assertThat(admin.addMember(meshId, Ed25519.generate().publicKeyHex(), "plain", null, null, Map.of()))
                .satisfies(m -> assertThat(admin.roleOf(meshId, m.id())).isEqualTo(MemberRole.MEMBER));
    }
}
