package dev.claudemesh.broker.netty.it;

import dev.claudemesh.broker.core.crypto.Ed25519;
import dev.claudemesh.broker.core.testing.Identities;
import dev.claudemesh.broker.db.testing.Eventually;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.claudemesh.broker.netty.it.ControlPlane.event;
import static dev.claudemesh.broker.netty.it.ControlPlane.hello;
import static dev.claudemesh.broker.netty.it.ControlPlane.peers;
import static dev.claudemesh.broker.netty.it.ControlPlane.row;
import static dev.claudemesh.broker.netty.it.ControlPlane.rowOfSession;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Peer state across reconnects (PROTOCOL-MESH §2) against a real broker and PostgreSQL: saved when a control-plane
 * lease's socket closes, restored by the member's next {@code hello} ({@code hello_ack} fields, groups, visibility,
 * profile), {@code peer_returned} instead of {@code peer_joined}, across a broker restart, and the §2.5 fixes (§16
 * defect 11): counters not counted twice, session state kept out, the closing lease's own summary, and
 * {@code peer_returned} only for a member that was away. Grace is shortened to 3 s; nothing sleeps: a test waits for
 * the broker to have seen a socket close (its open-socket gauge), for a row, or for an event.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PeerStateIT {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private BrokerFixture broker;

    @BeforeAll
    void start() throws Exception {
        broker = new BrokerFixture(Map.of("BROKER_GRACE_MS", "3000", "SEND_RATE_LIMIT_PER_MIN", "0"));
    }

    @AfterAll
    void stop() {
        broker.close();
    }

    /** The sockets a test opened on the shared broker: dropped after it, so a failure does not leak into the next. */
    private final List<WsClient> opened = new ArrayList<>();

    @BeforeEach
    void earlierSocketsClosed() {
        awaitOpenSockets(0);
    }

    @AfterEach
    void dropSockets() {
        opened.forEach(WsClient::abort);
        opened.clear();
        awaitOpenSockets(0);
    }

    private void awaitOpenSockets(long n) {
        Eventually.await(WAIT, n + " open peer sockets",
                () -> broker.server().broker().metrics().connectionsActive.get() == n);
    }

    private ControlPlane.Hello cp(Identities.MemberKeys m, String sessionId, String name, String groupsJson) {
        ControlPlane.Hello h = hello(broker, m, sessionId, name, groupsJson);
        opened.add(h.ws());
        return h;
    }

    private ControlPlane.Hello cp(Identities.MemberKeys m, String sessionId) {
        return cp(m, sessionId, "d-" + sessionId, null);
    }

    private BrokerFixture.Peer session(Identities.MemberKeys m, Ed25519.KeyPair keys, String sessionId,
                                       String groupsJson) {
        BrokerFixture.Peer p = broker.session(m, keys, sessionId, groupsJson);
        opened.add(p.ws());
        return p;
    }

    /** Closes {@code ws} and waits until the broker handed the close to the mesh (the lease is in grace). */
    private void closeAndAwait(WsClient ws, long openAfter) {
        ws.close();
        awaitOpenSockets(openAfter);
    }

    private String sql(String query) throws Exception {
        return Sql.string(broker.databaseUrl(), query);
    }

    @Test
    void shouldAnswerAFirstHelloWithTheCoreFieldsPlusServicesAndAnnouncePeerJoined() throws Exception {
        String mesh = broker.createMesh("ps-first");
        Identities.MemberKeys alice = broker.addMember(mesh, "alice");
        BrokerFixture.Peer bob = session(broker.addMember(mesh, "bob"), Ed25519.generate(), "b", null);

        ControlPlane.Hello a = cp(alice, "daemon-1");

        assertThat(a.ack()).isEqualTo("{\"type\":\"hello_ack\",\"presenceId\":\"" + a.presenceId()
                + "\",\"memberDisplayName\":\"alice\",\"memberProfile\":{\"roleTag\":null,\"groups\":[],"
                + "\"messageMode\":\"push\"},\"services\":[]}");
        assertThat(event(bob.ws(), "peer_joined")).containsEntry("name", "d-daemon-1")
                .containsEntry("pubkey", alice.pubkey()).containsEntry("groups", List.of());
        Sql.await(broker.databaseUrl(), "select count(*) from mesh.audit_log where mesh_id = '" + mesh
                + "' and event_type = 'peer_joined' and payload_canonical like '%\"restored\":false%'", 1);
        // a session_hello's ack stays the core one (no services, no restore)
        assertThat(bob.helloAck()).doesNotContain("services").doesNotContain("restored");
        a.ws().close();
        bob.ws().close();
    }

    @Test
    void shouldSaveOnCloseAndRestoreIntoTheNextHelloWithPeerReturned() throws Exception {
        String mesh = broker.createMesh("ps-restore");
        Identities.MemberKeys alice = broker.addMember(mesh, "alice");
        BrokerFixture.Peer bob = session(broker.addMember(mesh, "bob"), Ed25519.generate(), "b", null);
        ControlPlane.Hello a = cp(alice, "daemon-1", "alice", "[{\"name\":\"be\",\"role\":\"lead\"}]");
        a.ws().send("{\"type\":\"set_profile\",\"title\":\"reviewer\",\"avatar\":\"🦊\"}");
        a.ws().send("{\"type\":\"set_summary\",\"summary\":\"fixing the parser\"}");
        a.ws().send("{\"type\":\"set_stats\",\"stats\":{\"messagesIn\":3,\"messagesOut\":5,\"toolCalls\":12,"
                + "\"uptime\":1200,\"errors\":1}}");
        a.ws().send("{\"type\":\"set_visible\",\"visible\":false}");
        a.ws().awaitType("ack");
        a.ws().awaitType("ack");
        closeAndAwait(a.ws(), 1);
        event(bob.ws(), "peer_left"); // grace over: alice is away
        String savedAt = sql("select last_seen_at from mesh.peer_state where member_id = '" + alice.memberId() + "'");
        assertThat(savedAt).isNotNull();

        ControlPlane.Hello back = cp(alice, "daemon-2"); // a new daemon: no groups in its hello

        Map<String, Object> ack = back.ackJson();
        assertThat(ack.keySet()).containsExactly("type", "presenceId", "memberDisplayName", "memberProfile",
                "restored", "lastSummary", "lastSeenAt", "restoredGroups", "restoredStats", "services");
        assertThat(ack).containsEntry("restored", true).containsEntry("lastSummary", "fixing the parser")
                .containsEntry("restoredGroups", List.of(Map.of("name", "be", "role", "lead")))
                .containsEntry("restoredStats", Map.of("messagesIn", 3L, "messagesOut", 5L, "toolCalls", 12L,
                        "errors", 1L))
                .containsEntry("services", List.of());
        assertThat((String) ack.get("lastSeenAt")).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");

        Map<String, Object> returned = event(bob.ws(), "peer_returned");
        assertThat(returned.keySet()).containsExactly("name", "pubkey", "groups", "lastSeenAt", "summary");
        assertThat(returned).containsEntry("name", "d-daemon-2").containsEntry("pubkey", alice.pubkey())
                .containsEntry("groups", List.of(Map.of("name", "be", "role", "lead")))
                .containsEntry("lastSeenAt", ack.get("lastSeenAt")).containsEntry("summary", "fixing the parser");
        assertThat(bob.ws().all("\"event\":\"peer_joined\"")).as("only the first hello's").hasSize(1);

        // restored hidden: bob does not list it; alice's own member does, with the restored profile (jsonb order)
        assertThat(row(peers(bob.ws()), alice.pubkey())).isNull();
        Map<String, Object> own = rowOfSession(peers(back.ws()), "daemon-2");
        assertThat(own).containsEntry("visible", false)
                .containsEntry("groups", List.of(Map.of("name", "be", "role", "lead")))
                .containsEntry("profile", Map.of("title", "reviewer", "avatar", "🦊"));
        assertThat(own).doesNotContainKey("stats"); // stats and summary are reported, not applied
        assertThat(own.get("summary")).isNull();
        Sql.await(broker.databaseUrl(), "select count(*) from mesh.audit_log where mesh_id = '" + mesh
                + "' and event_type = 'peer_joined' and payload_canonical like '%\"restored\":true%'", 1);
        back.ws().close();
        bob.ws().close();
    }

    @Test
    void shouldPreferTheHellosGroupsAndNotReportRestoredGroupsThen() throws Exception {
        String mesh = broker.createMesh("ps-groups");
        Identities.MemberKeys alice = broker.addMember(mesh, "alice");
        ControlPlane.Hello a = cp(alice, "d1", "alice", "[{\"name\":\"be\"}]");
        closeAndAwait(a.ws(), 0);

        ControlPlane.Hello back = cp(alice, "d2", "alice", "[{\"name\":\"ops\"}]");

        assertThat(back.ackJson()).containsEntry("restored", true).doesNotContainKey("restoredGroups")
                .doesNotContainKey("lastSummary");
        assertThat(rowOfSession(peers(back.ws()), "d2")).containsEntry("groups", List.of(Map.of("name", "ops")));
        back.ws().close();
    }

    @Test
    void shouldAnnouncePeerJoinedNotReturnedWhileTheMemberStillHasALease() throws Exception {
        // §16 defect 11: the original announced peer_returned for every hello after the member's first close
        String mesh = broker.createMesh("ps-present");
        Identities.MemberKeys alice = broker.addMember(mesh, "alice");
        BrokerFixture.Peer bob = session(broker.addMember(mesh, "bob"), Ed25519.generate(), "b", null);
        ControlPlane.Hello daemon = cp(alice, "daemon-1");
        event(bob.ws(), "peer_joined");
        ControlPlane.Hello cold = cp(alice, "cold-1");
        event(bob.ws(), "peer_joined");
        closeAndAwait(cold.ws(), 2); // saves: the member now has a peer_state row

        ControlPlane.Hello cold2 = cp(alice, "cold-2");

        assertThat(cold2.ackJson()).containsEntry("restored", true);
        assertThat(event(bob.ws(), "peer_joined")).containsEntry("name", "d-cold-2");
        peers(bob.ws()); // marker: nothing else came before it
        assertThat(bob.ws().all("peer_returned")).isEmpty();
        daemon.ws().close();
        cold2.ws().close();
        bob.ws().close();
    }

    @Test
    void shouldAddOnlyWhatALeaseCountedSinceItsSeedAcrossAReattach() throws Exception {
        // §16 defect 11 / §2.5: the client seeds its counters from restoredStats and reports running totals
        String mesh = broker.createMesh("ps-stats");
        Identities.MemberKeys alice = broker.addMember(mesh, "alice");
        ControlPlane.Hello first = cp(alice, "c1");
        first.ws().send("{\"type\":\"set_stats\",\"stats\":{\"messagesIn\":3,\"messagesOut\":5,\"toolCalls\":12,"
                + "\"errors\":1}}");
        closeAndAwait(first.ws(), 0);
        // the client sees the closing handshake before the broker's close event saves: wait for the save
        awaitStats(alice, "{\"messagesIn\":3,\"messagesOut\":5,\"toolCalls\":12,\"errors\":1}");

        ControlPlane.Hello second = cp(alice, "c2");
        @SuppressWarnings("unchecked")
        Map<String, Object> seed = (Map<String, Object>) second.ackJson().get("restoredStats");
        assertThat(seed).isEqualTo(Map.of("messagesIn", 3L, "messagesOut", 5L, "toolCalls", 12L, "errors", 1L));
        // seeded 3/5/12/1, then counted 2 in, 1 out, 4 tools
        second.ws().send("{\"type\":\"set_stats\",\"stats\":{\"messagesIn\":5,\"messagesOut\":6,\"toolCalls\":16,"
                + "\"errors\":1}}");
        closeAndAwait(second.ws(), 0); // adds 2/1/4/0: 5/6/16/1
        awaitStats(alice, "{\"messagesIn\":5,\"messagesOut\":6,\"toolCalls\":16,\"errors\":1}");

        // a reattach within grace keeps the lease: its next close adds only what it counted since the last save
        ControlPlane.Hello again = cp(alice, "c2");
        assertThat(again.presenceId()).isEqualTo(second.presenceId());
        assertThat(again.ack()).isEqualTo("{\"type\":\"hello_ack\",\"presenceId\":\"" + second.presenceId()
                + "\",\"memberDisplayName\":\"alice\",\"services\":[]}");
        again.ws().send("{\"type\":\"set_stats\",\"stats\":{\"messagesIn\":7,\"messagesOut\":6,\"toolCalls\":16,"
                + "\"errors\":1}}");
        closeAndAwait(again.ws(), 0); // adds 2/0/0/0 (counting everything again would give 15/17/44/3)
        awaitStats(alice, "{\"messagesIn\":7,\"messagesOut\":6,\"toolCalls\":16,\"errors\":1}");
    }

    /** Waits until the member's saved cumulative stats are {@code json}. */
    private void awaitStats(Identities.MemberKeys member, String json) throws Exception {
        Sql.await(broker.databaseUrl(), "select count(*) from mesh.peer_state where member_id = '" + member.memberId()
                + "' and cumulative_stats = '" + json + "'", 1);
    }

    @Test
    void shouldKeepSessionStateOutOfTheMembersNextControlPlaneLease() throws Exception {
        // §16 defect 11 / §2.5: only control-plane leases save; a session_hello never restores
        String mesh = broker.createMesh("ps-session");
        Identities.MemberKeys alice = broker.addMember(mesh, "alice");
        BrokerFixture.Peer session = session(alice, Ed25519.generate(), "s1", "[{\"name\":\"secret-team\"}]");
        session.ws().send("{\"type\":\"set_visible\",\"visible\":false}");
        session.ws().awaitType("ack");
        closeAndAwait(session.ws(), 0);

        ControlPlane.Hello daemon = cp(alice, "daemon-1");

        assertThat(daemon.ack()).doesNotContain("restored");
        assertThat(row(peers(daemon.ws()), alice.pubkey())).containsEntry("visible", true)
                .containsEntry("groups", List.of());
        assertThat(Sql.count(broker.databaseUrl(), "select count(*) from mesh.peer_state where member_id = '"
                + alice.memberId() + "'")).isZero();
        daemon.ws().close();
    }

    @Test
    void shouldSaveTheClosingLeasesOwnSummary() throws Exception {
        // §16 defect 11 / §2.5: the original took the summary of any live presence row of the member
        String mesh = broker.createMesh("ps-summary");
        Identities.MemberKeys alice = broker.addMember(mesh, "alice");
        ControlPlane.Hello daemon = cp(alice, "daemon-1");
        ControlPlane.Hello cold = cp(alice, "cold-1");
        daemon.ws().send("{\"type\":\"set_summary\",\"summary\":\"daemon summary\"}");
        cold.ws().send("{\"type\":\"set_summary\",\"summary\":\"cold summary\"}");
        peers(daemon.ws());
        peers(cold.ws());

        closeAndAwait(cold.ws(), 1);
        Sql.await(broker.databaseUrl(), "select count(*) from mesh.peer_state where member_id = '" + alice.memberId()
                + "' and last_summary = 'cold summary'", 1);
        // a lease without a summary leaves the stored one
        daemon.ws().send("{\"type\":\"set_summary\",\"summary\":\"\"}");
        peers(daemon.ws());
        closeAndAwait(daemon.ws(), 0);
        Sql.await(broker.databaseUrl(), "select count(*) from mesh.peer_state where member_id = '" + alice.memberId()
                + "' and last_summary = 'cold summary' and last_display_name = 'd-daemon-1'", 1);
    }

    @Test
    void shouldRestorePeerStateAfterABrokerRestartIncludingLeasesOpenAtShutdown() throws Exception {
        try (BrokerFixture own = new BrokerFixture(Map.of())) {
            String mesh = own.createMesh("ps-restart");
            Identities.MemberKeys alice = own.addMember(mesh, "alice");
            Identities.MemberKeys bob = own.addMember(mesh, "bob");
            ControlPlane.Hello a = hello(own, alice, "daemon-a", "alice", "[{\"name\":\"be\"}]");
            a.ws().send("{\"type\":\"set_summary\",\"summary\":\"before restart\"}");
            a.ws().close(); // saved on close
            ControlPlane.Hello b = hello(own, bob, "daemon-b");
            b.ws().send("{\"type\":\"set_visible\",\"visible\":false}");
            b.ws().awaitType("ack");
            Sql.await(own.databaseUrl(), "select count(*) from mesh.peer_state where member_id = '" + alice.memberId()
                    + "' and last_summary = 'before restart'", 1);

            own.stop(); // bob's lease is still connected: saved as the broker stops
            assertThat(b.ws().awaitClose(5_000)).isEqualTo(1001);
            own.start();

            ControlPlane.Hello a2 = hello(own, alice, "daemon-a2");
            assertThat(a2.ackJson()).containsEntry("restored", true).containsEntry("lastSummary", "before restart")
                    .containsEntry("restoredGroups", List.of(Map.of("name", "be")));
            ControlPlane.Hello b2 = hello(own, bob, "daemon-b2");
            assertThat(b2.ackJson()).containsEntry("restored", true);
            assertThat(row(peers(a2.ws()), bob.pubkey())).as("bob came back hidden").isNull();
            assertThat(row(peers(b2.ws()), bob.pubkey())).containsEntry("visible", false);
            a2.ws().close();
            b2.ws().close();
        }
    }
}
