package dev.claudemesh.broker.core.moderation;

import dev.claudemesh.broker.core.BrokerSettings;
import dev.claudemesh.broker.core.audit.AuditEvent;
import dev.claudemesh.broker.core.model.MemberRole;
import dev.claudemesh.broker.core.testing.Identities;
import dev.claudemesh.broker.core.testing.ServiceHarness;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The moderation service on a manual loop and clock with an in-memory member table: who may, which leases each mode
 * selects (PROTOCOL-MESH §9.2 with the §9.6 [fix]: 8-hex-char prefixes, the caller's own lease spared, control-plane
 * leases spared by kick), that moderation closes are evictions (defect 10: capacity, peer_left, audit), and the reply
 * shapes.
 */
class ModerationServiceTest {

    private final FakeModeration store = new FakeModeration();
    private final ServiceHarness h = new ServiceHarness(BrokerSettings.defaults().withMaxConnectionsPerMesh(4),
            List.of(new ModerationService(store, store)));

    {
        store.h = h;
    }

    private final Identities.MemberKeys admin = store.enrol("ada", MemberRole.ADMIN);
    private final Identities.MemberKeys bob = store.enrol("bob", MemberRole.MEMBER);
    private final Identities.MemberKeys carol = store.enrol("carol", MemberRole.MEMBER);

    /** The number of leases {@code viewer} sees in {@code list_peers}. */
    private int leasesSeenBy(ServiceHarness.Peer viewer) {
        viewer.send("{\"type\":\"list_peers\"}");
        h.run();
        return viewer.last().split("\"pubkey\":").length - 1;
    }

    /** Sends {@code json} and runs the loop until everything it caused is done. */
    private void ask(ServiceHarness.Peer p, String json) {
        p.send(json);
        h.run();
    }

    @Test
    void anAdminShouldKickByLeaseNameAndTheKickShouldBeAnEviction() {
        ServiceHarness.Peer a = h.session(admin, "a");
        ServiceHarness.Peer b = h.session(bob, "b");
        ServiceHarness.Peer c = h.session(carol, "c");
        ServiceHarness.Peer x = h.session(h.member("xena"), "x");
        assertThat(leasesSeenBy(x)).as("the mesh is full").isEqualTo(4);

        a.send("{\"type\":\"kick\",\"target\":\"n-b\",\"_reqId\":\"r14\"}");
        h.run();

        assertThat(a.last()).isEqualTo("{\"type\":\"kick_ack\",\"kicked\":[\"n-b\"],\"affected\":[\"n-b\"],"
                + "\"_reqId\":\"r14\"}");
        assertThat(b.conn().closeCode).isEqualTo(4001);
        assertThat(b.conn().closeReason).isEqualTo("kicked");
        assertThat(c.conn().framesContaining("\"event\":\"peer_left\"")).singleElement()
                .satisfies(f -> assertThat(f).contains("\"pubkey\":\"" + b.key() + "\""));
        assertThat(h.audits("member_kicked")).singleElement().satisfies(e -> {
            assertThat(e.actorId()).isEqualTo(admin.memberId());
            assertThat(e.event()).isEqualTo(new AuditEvent.MemberKicked(bob.pubkey(), "kicked"));
        });
        assertThat(h.audits("peer_left")).singleElement()
                .satisfies(e -> assertThat(e.actorId()).isEqualTo(bob.memberId()));
        // capacity freed: the mesh was full (4), the kicked lease's place is free at once (no grace)
        ServiceHarness.Peer d = h.session(h.member("dan"), "d");
        assertThat(d.conn().frames.get(0)).contains("hello_ack");
        assertThat(c.conn().closeCode).isNull();
    }

    @Test
    void aMemberShouldNotKickNorDisconnect() {
        ServiceHarness.Peer b = h.session(bob, "b");
        ServiceHarness.Peer c = h.session(carol, "c");

        b.send("{\"type\":\"kick\",\"target\":\"n-c\",\"_reqId\":\"k\"}");
        h.run();
        assertThat(b.last()).isEqualTo("{\"type\":\"error\",\"code\":\"forbidden\","
                + "\"message\":\"only owner or admin can kick\",\"_reqId\":\"k\"}");
        b.send("{\"type\":\"disconnect\",\"all\":true,\"_reqId\":\"d\"}");
        h.run();
        assertThat(b.last()).isEqualTo("{\"type\":\"error\",\"code\":\"forbidden\","
                + "\"message\":\"only owner or admin can disconnect\",\"_reqId\":\"d\"}");

        assertThat(c.conn().closeCode).isNull();
        assertThat(h.audits("member_kicked")).isEmpty();
        assertThat(h.metrics.requestErrors().get("kick").get("forbidden").sum()).isEqualTo(1);
    }

    @Test
    void kickShouldSpareControlPlaneLeasesAndDisconnectShouldCloseThem() {
        ServiceHarness.Peer a = h.session(admin, "a");
        ServiceHarness.Peer daemon = h.hello(bob, "bd");

        a.send("{\"type\":\"kick\",\"all\":true}");
        h.run();
        assertThat(a.last()).isEqualTo("{\"type\":\"kick_ack\",\"kicked\":[],\"affected\":[],"
                + "\"skipped_control_plane\":[\"d-bd\"]}");
        assertThat(daemon.conn().closeCode).isNull();

        a.send("{\"type\":\"disconnect\",\"all\":true,\"_reqId\":7}");
        h.run();
        assertThat(a.last()).isEqualTo("{\"type\":\"disconnect_ack\",\"kicked\":[\"d-bd\"],\"affected\":[\"d-bd\"],"
                + "\"_reqId\":7}");
        assertThat(daemon.conn().closeCode).isEqualTo(1000);
        assertThat(daemon.conn().closeReason).isEqualTo("disconnected");
        assertThat(h.audits("member_kicked")).singleElement()
                .satisfies(e -> assertThat(e.event()).isEqualTo(new AuditEvent.MemberKicked(bob.pubkey(),
                        "disconnected")));
    }

    @Test
    void keyPrefixTargetsShouldNeedEightHexCharacters() {
        ServiceHarness.Peer a = h.session(admin, "a");
        ServiceHarness.Peer b = h.session(bob, "b");

        for (int n = 1; n < Targets.MIN_KEY_PREFIX; n++) {
            a.send("{\"type\":\"kick\",\"target\":\"" + bob.pubkey().substring(0, n) + "\"}");
        }
        h.run();
        assertThat(a.ofType("kick_ack")).hasSize(Targets.MIN_KEY_PREFIX - 1)
                .allSatisfy(f -> assertThat(f).contains("\"affected\":[]"));
        assertThat(b.conn().closeCode).isNull();

        a.send("{\"type\":\"kick\",\"target\":\"" + bob.pubkey().substring(0, 8).toUpperCase() + "\"}");
        h.run();
        assertThat(a.last()).contains("\"affected\":[\"n-b\"]");
        assertThat(b.conn().closeCode).isEqualTo(4001);
    }

    @Test
    void targetModeShouldSpareTheCallersOwnLeaseButNotItsSiblings() {
        ServiceHarness.Peer a1 = h.session(admin, "a");
        ServiceHarness.Peer a2 = h.session(admin, "a2");

        a1.send("{\"type\":\"kick\",\"target\":\"" + admin.pubkey() + "\"}");
        h.run();

        assertThat(a1.last()).contains("\"affected\":[\"n-a2\"]");
        assertThat(a1.conn().closeCode).isNull();
        assertThat(a2.conn().closeCode).isEqualTo(4001);
    }

    @Test
    void allShouldEndEveryOtherLeaseOfTheMesh() {
        ServiceHarness.Peer a = h.session(admin, "a");
        ServiceHarness.Peer a2 = h.session(admin, "a2");
        ServiceHarness.Peer b = h.session(bob, "b");
        ServiceHarness.Peer c = h.session(carol, "c");

        a.send("{\"type\":\"kick\",\"all\":1}");
        h.run();

        assertThat(a.last()).contains("\"affected\":[\"n-a2\",\"n-b\",\"n-c\"]");
        assertThat(List.of(a2, b, c)).allSatisfy(p -> assertThat(p.conn().closeCode).isEqualTo(4001));
        assertThat(a.conn().closeCode).isNull();
        assertThat(leasesSeenBy(a)).isEqualTo(1);
    }

    @Test
    void staleModeShouldEndLeasesWhoseSocketIsGoneLongerThanStale() {
        ServiceHarness.Peer a = h.session(admin, "a");
        ServiceHarness.Peer old = h.session(bob, "old");
        ServiceHarness.Peer live = h.session(carol, "live");
        old.session().onClosed();
        h.run();
        h.loop.advance(30_000);
        ServiceHarness.Peer recent = h.session(bob, "recent");
        recent.session().onClosed();
        h.loop.advance(5_000);

        a.send("{\"type\":\"kick\",\"stale\":20000,\"_reqId\":\"s\"}");
        h.run();

        assertThat(a.last()).isEqualTo("{\"type\":\"kick_ack\",\"kicked\":[\"n-old\"],\"affected\":[\"n-old\"],"
                + "\"_reqId\":\"s\"}");
        assertThat(live.conn().closeCode).isNull();
        assertThat(h.audits("member_kicked")).singleElement()
                .satisfies(e -> assertThat(e.event()).isEqualTo(new AuditEvent.MemberKicked(bob.pubkey(),
                        "kicked_stale")));
        assertThat(live.conn().framesContaining("\"event\":\"peer_left\"")).hasSize(1);
    }

    @Test
    void nothingGivenShouldSelectNothingAndStillAnswer() {
        ServiceHarness.Peer a = h.session(admin, "a");
        ServiceHarness.Peer b = h.session(bob, "b");

        a.send("{\"type\":\"kick\",\"_reqId\":\"n\"}");
        a.send("{\"type\":\"kick\",\"stale\":0,\"target\":\"\",\"all\":false,\"_reqId\":\"z\"}");
        a.send("{\"type\":\"kick\",\"target\":\"nobody\",\"_reqId\":\"x\"}");
        h.run();

        assertThat(a.ofType("kick_ack")).containsExactly(
                "{\"type\":\"kick_ack\",\"kicked\":[],\"affected\":[],\"_reqId\":\"n\"}",
                "{\"type\":\"kick_ack\",\"kicked\":[],\"affected\":[],\"_reqId\":\"z\"}",
                "{\"type\":\"kick_ack\",\"kicked\":[],\"affected\":[],\"_reqId\":\"x\"}");
        assertThat(b.conn().closeCode).isNull();
    }

    @Test
    void badStaleOrTargetShouldBeBadRequests() {
        ServiceHarness.Peer a = h.session(admin, "a");

        a.send("{\"type\":\"kick\",\"stale\":-5,\"_reqId\":\"1\"}");
        a.send("{\"type\":\"kick\",\"stale\":\"30m\",\"_reqId\":\"2\"}");
        a.send("{\"type\":\"disconnect\",\"target\":42,\"_reqId\":\"3\"}");
        h.run();

        assertThat(a.ofType("error")).hasSize(3).allSatisfy(f -> assertThat(f).contains("\"code\":\"bad_request\""));
        assertThat(store.roleReads).as("refused before any storage call").isZero();
    }

    @Test
    void aBanShouldCloseEveryLeaseOfTheMember4002AndAnswerWithItsName() {
        ServiceHarness.Peer a = h.session(admin, "a");
        ServiceHarness.Peer b1 = h.session(bob, "b1");
        ServiceHarness.Peer b2 = h.hello(bob, "b2");
        ServiceHarness.Peer c = h.session(carol, "c");

        a.send("{\"type\":\"ban\",\"target\":\"bob\",\"reason\":\"spam\",\"_reqId\":\"r15\"}");
        h.run();

        assertThat(a.last()).isEqualTo("{\"type\":\"ban_ack\",\"banned\":\"bob\",\"_reqId\":\"r15\"}");
        assertThat(List.of(b1, b2)).allSatisfy(p -> {
            assertThat(p.conn().closeCode).isEqualTo(4002);
            assertThat(p.conn().closeReason).isEqualTo("banned");
        });
        assertThat(c.conn().framesContaining("\"event\":\"peer_left\"")).hasSize(2);

        // the next hello of the banned key fails `revoked`
        ServiceHarness.Peer again = h.session(bob, "b3");
        assertThat(again.conn().frames).anySatisfy(f -> assertThat(f).contains("\"code\":\"revoked\""));

        a.send("{\"type\":\"list_bans\",\"_reqId\":\"l\"}");
        h.run();
        assertThat(a.last()).isEqualTo("{\"type\":\"list_bans_result\",\"bans\":[{\"name\":\"bob\",\"pubkey\":\""
                + bob.pubkey() + "\",\"revokedAt\":\"2023-11-14T22:13:20.000Z\"}],\"_reqId\":\"l\"}");

        a.send("{\"type\":\"unban\",\"target\":\"" + bob.pubkey() + "\",\"_reqId\":\"u\"}");
        h.run();
        assertThat(a.last()).isEqualTo("{\"type\":\"unban_ack\",\"unbanned\":\"bob\",\"_reqId\":\"u\"}");
        assertThat(h.session(bob, "b4").conn().frames.get(0)).contains("hello_ack");
    }

    @Test
    void banErrorsShouldCarryTheRulesCodesAndTexts() {
        ServiceHarness.Peer a = h.session(admin, "a");
        ServiceHarness.Peer b = h.session(bob, "b");

        ask(a, "{\"type\":\"ban\",\"_reqId\":\"1\"}");
        ask(a, "{\"type\":\"ban\",\"target\":\"\",\"_reqId\":\"2\"}");
        ask(a, "{\"type\":\"ban\",\"target\":[1],\"_reqId\":\"3\"}");
        ask(a, "{\"type\":\"ban\",\"target\":\"zed\",\"_reqId\":\"4\"}");
        ask(a, "{\"type\":\"ban\",\"target\":\"ada\",\"_reqId\":\"5\"}");
        ask(a, "{\"type\":\"unban\",\"target\":\"bob\",\"_reqId\":\"6\"}");
        ask(a, "{\"type\":\"unban\",\"_reqId\":\"7\"}");
        ask(b, "{\"type\":\"ban\",\"target\":\"carol\",\"_reqId\":\"8\"}");
        ask(b, "{\"type\":\"unban\",\"target\":\"carol\",\"_reqId\":\"9\"}");

        assertThat(a.ofType("error")).containsExactly(
                "{\"type\":\"error\",\"code\":\"invalid\",\"message\":\"target required\",\"_reqId\":\"1\"}",
                "{\"type\":\"error\",\"code\":\"invalid\",\"message\":\"target required\",\"_reqId\":\"2\"}",
                "{\"type\":\"error\",\"code\":\"bad_request\",\"message\":\"target must be a string\",\"_reqId\":\"3\"}",
                "{\"type\":\"error\",\"code\":\"not_found\",\"message\":\"peer \\\"zed\\\" not found\",\"_reqId\":\"4\"}",
                "{\"type\":\"error\",\"code\":\"invalid\",\"message\":\"cannot ban yourself\",\"_reqId\":\"5\"}",
                "{\"type\":\"error\",\"code\":\"not_found\",\"message\":\"no banned peer \\\"bob\\\"\",\"_reqId\":\"6\"}",
                "{\"type\":\"error\",\"code\":\"invalid\",\"message\":\"target required\",\"_reqId\":\"7\"}");
        assertThat(b.ofType("error")).containsExactly(
                "{\"type\":\"error\",\"code\":\"forbidden\",\"message\":\"only owner or admin can ban\",\"_reqId\":\"8\"}",
                "{\"type\":\"error\",\"code\":\"forbidden\",\"message\":\"only owner or admin can unban\","
                        + "\"_reqId\":\"9\"}");
        assertThat(b.conn().closeCode).isNull();
    }

    @Test
    void aStorageFailureShouldBeAnInternalErrorAndChangeNothing() {
        ServiceHarness.Peer a = h.session(admin, "a");
        ServiceHarness.Peer b = h.session(bob, "b");
        store.failure = new IllegalStateException("database down");

        a.send("{\"type\":\"kick\",\"all\":true,\"_reqId\":\"k\"}");
        a.send("{\"type\":\"ban\",\"target\":\"bob\",\"_reqId\":\"b\"}");
        a.send("{\"type\":\"list_bans\",\"_reqId\":\"l\"}");
        h.run();

        assertThat(a.ofType("error")).hasSize(3)
                .allSatisfy(f -> assertThat(f).contains("\"code\":\"internal_error\"").doesNotContain("database down"));
        assertThat(b.conn().closeCode).isNull();
    }
}
