package dev.claudemesh.broker.netty.it;

import dev.claudemesh.broker.core.testing.Identities;
import dev.claudemesh.broker.netty.cli.Cli;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The admin routes the operator console uses (listings, mesh detail with queue figures, deletion, the live peer stream,
 * node figures), over real HTTP against a real broker and PostgreSQL: success shapes, 401 without or with a wrong
 * token, 404 for unknown ids; and the jar's matching subcommands on the same database.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AdminConsoleApiIT {

    private static final String UNKNOWN = "Z".repeat(32);
    private BrokerFixture broker;

    @BeforeAll
    void start() throws Exception {
        broker = new BrokerFixture();
    }

    @AfterAll
    void stop() {
        broker.close();
    }

    private HttpResponse<String> get(String path) throws Exception {
        return broker.admin("GET", path, null);
    }

    @Test
    void everyNewRouteShouldRefuseWithoutOrWithAWrongToken() throws Exception {
        String mesh = broker.createMesh("guarded");
        for (String[] r : List.of(new String[] {"GET", "/admin/meshes"}, new String[] {"GET", "/admin/node"},
                new String[] {"GET", "/admin/meshes/" + mesh}, new String[] {"DELETE", "/admin/meshes/" + mesh},
                new String[] {"GET", "/admin/meshes/" + mesh + "/members"},
                new String[] {"GET", "/admin/meshes/" + mesh + "/invites"},
                new String[] {"GET", "/admin/meshes/" + mesh + "/peers/stream"},
                new String[] {"POST", "/admin/meshes/" + mesh + "/members/" + UNKNOWN + "/kick"})) {
            for (String token : new String[] {null, "wrong-token"}) {
                HttpResponse<String> res = broker.request(r[0], r[1], null, token);
                assertThat(res.statusCode()).as(r[0] + " " + r[1] + " token " + token).isEqualTo(401);
                assertThat(res.body()).isEqualTo("{\"error\":\"unauthorized\"}");
            }
        }
        assertThat(get("/admin/meshes/" + mesh).statusCode()).as("still there").isEqualTo(200);
    }

    @Test
    void unknownIdsShouldBe404() throws Exception {
        for (String id : new String[] {UNKNOWN, "short"}) {
            for (String path : new String[] {"/admin/meshes/" + id, "/admin/meshes/" + id + "/members",
                    "/admin/meshes/" + id + "/invites", "/admin/meshes/" + id + "/peers/stream"}) {
                HttpResponse<String> r = get(path);
                assertThat(r.statusCode()).as(path).isEqualTo(404);
                assertThat(r.body()).isEqualTo("{\"error\":\"mesh not found\"}");
            }
            HttpResponse<String> del = broker.admin("DELETE", "/admin/meshes/" + id, null);
            assertThat(del.statusCode()).isEqualTo(404);
            assertThat(del.body()).isEqualTo("{\"error\":\"mesh not found\"}");
        }
    }

    @Test
    void shouldListMeshesWithLivePeerCountsAndShowQueueFigures() throws Exception {
        String mesh = broker.createMesh("listed");
        Identities.MemberKeys alice = broker.addMember(mesh, "alice");
        Identities.MemberKeys bob = broker.addMember(mesh, "bob");
        BrokerFixture.Peer a = broker.session(alice, "s-a");
        BrokerFixture.Peer b = broker.session(bob, "s-b");
        b.ws().close(); // bob's lease goes to grace: a DM to it is held
        a.ws().send(Identities.send("c1", b.key(), "now", "bm9uY2U=", "Y2lwaGVy"));
        assertThat(a.ws().await("\"queued\":true")).contains("\"id\":\"c1\"");

        HttpResponse<String> list = get("/admin/meshes");
        assertThat(list.statusCode()).isEqualTo(200);
        assertThat(list.headers().firstValue("content-type")).contains("application/json");
        assertThat(list.body()).startsWith("[").containsPattern("\\{\"id\":\"" + mesh + "\",\"name\":\"listed\","
                + "\"slug\":\"listed\",\"createdAt\":\"[0-9T:.Z-]+\",\"members\":2,\"activeMembers\":2,"
                + "\"livePeers\":1}");

        HttpResponse<String> one = get("/admin/meshes/" + mesh);
        assertThat(one.statusCode()).isEqualTo(200);
        assertThat(one.body()).startsWith("{\"id\":\"" + mesh + "\",\"name\":\"listed\"")
                .contains("\"livePeers\":1")
                .containsPattern("\"queue\":\\{\"depth\":1,\"claimed\":0,\"oldestUndeliveredAt\":\"[0-9T:.Z-]+\","
                        + "\"oldestUndeliveredAgeMs\":[0-9]+}}$");
        a.ws().close();
    }

    @Test
    void shouldListMembersWithRolesRevocationAndLeases() throws Exception {
        String mesh = broker.createMesh("members");
        Identities.MemberKeys owner = broker.addMember(mesh, "owner", "\"role\":\"admin\",\"roleTag\":\"lead\"");
        Identities.MemberKeys bob = broker.addMember(mesh, "bob");
        BrokerFixture.Peer o = broker.session(owner, "s-o");
        assertThat(broker.admin("POST", "/admin/meshes/" + mesh + "/members/" + bob.memberId() + "/revoke", null)
                .statusCode()).isEqualTo(200);

        HttpResponse<String> r = get("/admin/meshes/" + mesh + "/members");

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).matches("\\[\\{\"id\":\"" + owner.memberId() + "\",\"pubkey\":\"" + owner.pubkey()
                + "\",\"displayName\":\"owner\",\"roleTag\":\"lead\",\"role\":\"admin\",\"createdAt\":\"[^\"]+\","
                + "\"revoked\":false,\"leases\":1},\\{\"id\":\"" + bob.memberId() + "\",\"pubkey\":\"" + bob.pubkey()
                + "\",\"displayName\":\"bob\",\"role\":\"member\",\"createdAt\":\"[^\"]+\",\"revoked\":true,"
                + "\"revokedAt\":\"[^\"]+\",\"leases\":0}]");
        o.ws().close();
    }

    @Test
    void shouldListInvitesWithUsesExpiryRoleAndState() throws Exception {
        String mesh = broker.createMesh("invites");
        HttpResponse<String> first = broker.admin("POST", "/admin/meshes/" + mesh + "/invites",
                "{\"maxUses\":3,\"expiresInS\":3600,\"role\":\"admin\"}");
        HttpResponse<String> second = broker.admin("POST", "/admin/meshes/" + mesh + "/invites", "{}");
        String firstId = BrokerFixture.jsonField(first.body(), "id");
        String secondId = BrokerFixture.jsonField(second.body(), "id");
        assertThat(broker.admin("POST", "/admin/meshes/" + mesh + "/invites/" + secondId + "/revoke", null)
                .statusCode()).isEqualTo(200);

        HttpResponse<String> r = get("/admin/meshes/" + mesh + "/invites");

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("{\"id\":\"" + secondId + "\",\"role\":\"member\",\"maxUses\":1,"
                + "\"usedCount\":0,\"usesLeft\":1,").contains("\"revoked\":true,\"revokedAt\":")
                .contains("\"state\":\"revoked\",\"link\":\"" + BrokerFixture.jsonField(second.body(), "link") + "\"}")
                .contains("{\"id\":\"" + firstId + "\",\"role\":\"admin\",\"maxUses\":3,\"usedCount\":0,"
                        + "\"usesLeft\":3,")
                .contains("\"revoked\":false,\"state\":\"active\",\"link\":\""
                        + BrokerFixture.jsonField(first.body(), "link") + "\"}");
        assertThat(r.body().indexOf(secondId)).as("newest first").isLessThan(r.body().indexOf(firstId));
    }

    @Test
    void shouldStreamPeersLiveThenEndWhenTheMeshIsDeleted() throws Exception {
        String mesh = broker.createMesh("streamed");
        Identities.MemberKeys alice = broker.addMember(mesh, "alice");
        try (SseClient sse = SseClient.open(broker.port(), "/admin/meshes/" + mesh + "/peers/stream",
                BrokerFixture.ADMIN_TOKEN, null)) {
            assertThat(sse.status()).isEqualTo(200);
            assertThat(sse.next(e -> e.event().equals("peers"), 10_000).data()).isEqualTo("[]");

            BrokerFixture.Peer a = broker.session(alice, "s-live");
            SseClient.Event joined = sse.next(e -> e.event().equals("peers") && e.data().contains("n-s-live"),
                    10_000);
            assertThat(joined.data()).contains("\"memberId\":\"" + alice.memberId() + "\"").contains("\"live\":true")
                    .contains("\"peerRole\":\"session\"");

            a.ws().close();
            sse.next(e -> e.event().equals("peers") && e.data().contains("\"live\":false"), 10_000);

            HttpResponse<String> del = broker.admin("DELETE", "/admin/meshes/" + mesh, null);
            assertThat(del.statusCode()).isEqualTo(200);
            sse.next(e -> e.event().equals("deleted"), 10_000);
            sse.awaitEnd(10_000);
        }
    }

    @Test
    void deleteShouldCloseThePeersRemoveTheRowsAndRefuseReconnects() throws Exception {
        String mesh = broker.createMesh("doomed");
        String kept = broker.createMesh("kept");
        Identities.MemberKeys alice = broker.addMember(mesh, "alice");
        Identities.MemberKeys keeper = broker.addMember(kept, "keeper");
        broker.admin("POST", "/admin/meshes/" + mesh + "/invites", "{}");
        BrokerFixture.Peer a = broker.session(alice, "s-doomed");
        BrokerFixture.Peer k = broker.session(keeper, "s-kept");

        HttpResponse<String> del = broker.admin("DELETE", "/admin/meshes/" + mesh, null);

        assertThat(del.statusCode()).isEqualTo(200);
        assertThat(del.body()).matches("\\{\"ok\":true,\"deleted\":\\{\"members\":1,\"invites\":1,\"messages\":0,"
                + "\"auditEvents\":[0-9]+}}");
        assertThat(a.ws().awaitClose(10_000)).isEqualTo(4002);
        assertThat(a.ws().closeReason()).isEqualTo("mesh_deleted");
        assertThat(k.ws().closed()).isFalse();
        for (String table : new String[] {"mesh", "member", "invite", "mesh_key", "presence", "audit_log",
                "audit_outbox", "message_queue"}) {
            String column = table.equals("mesh") ? "id" : "mesh_id";
            assertThat(Sql.count(broker.databaseUrl(), "select count(*) from mesh." + table + " where " + column
                    + " = '" + mesh + "'")).as(table).isZero();
        }
        assertThat(get("/admin/meshes/" + mesh).statusCode()).isEqualTo(404);
        assertThat(get("/admin/meshes").body()).doesNotContain(mesh).contains(kept);
        try (WsClient again = broker.ws()) {
            again.send(Identities.sessionHello(alice, dev.claudemesh.broker.core.crypto.Ed25519.generate(), "s-2",
                    System.currentTimeMillis(), 3_600_000, "again", null));
            assertThat(again.awaitType("error")).contains("\"code\":\"unauthorized\"");
            assertThat(again.awaitClose(5_000)).isEqualTo(1008);
        }
        assertThat(broker.admin("DELETE", "/admin/meshes/" + mesh, null).statusCode()).isEqualTo(404);
        k.ws().close();
    }

    @Test
    void kickShouldCloseTheMembersSessionsWhoMayReconnect() throws Exception {
        String mesh = broker.createMesh("kicks");
        Identities.MemberKeys bob = broker.addMember(mesh, "bob");
        BrokerFixture.Peer b = broker.session(bob, "s-kicked");

        HttpResponse<String> r = broker.admin("POST", "/admin/meshes/" + mesh + "/members/" + bob.memberId()
                + "/kick", null);

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("{\"ok\":true,\"kicked\":1,\"sparedControlPlane\":0}");
        assertThat(b.ws().awaitClose(10_000)).isEqualTo(4001);
        assertThat(b.ws().closeReason()).isEqualTo("kicked");
        assertThat(broker.session(bob, "s-back").helloAck()).contains("hello_ack");
        assertThat(broker.admin("POST", "/admin/meshes/" + mesh + "/members/" + UNKNOWN + "/kick", null)
                .statusCode()).isEqualTo(404);
        assertThat(broker.admin("POST", "/admin/meshes/" + mesh + "/members/x/kick", null).statusCode())
                .isEqualTo(404);
    }

    @Test
    void shouldReportTheNodesOwnFigures() throws Exception {
        HttpResponse<String> r = get("/admin/node");

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).matches("\\{\"version\":\"[^\"]+\",\"gitSha\":\"[^\"]*\",\"startedAt\":\"[^\"]+\","
                + "\"uptimeS\":[0-9]+,\"database\":\"up\",\"connections\":[0-9]+,\"meshesInMemory\":[0-9]+,"
                + "\"queueDepth\":[0-9]+,\"messagesRoutedTotal\":[0-9]+,\"pushesTotal\":[0-9]+,"
                + "\"messagesRoutedPerSec\":[0-9]+,\"pushesPerSec\":[0-9]+,\"rateWindowMs\":[0-9]+,"
                + "\"writer\":\\{\"backlog\":[0-9]+,\"lastBatchSize\":[0-9]+,\"lastCommitLatencyMicros\":[0-9]+,"
                + "\"committedOps\":[0-9]+,\"committedBatches\":[0-9]+,\"failedAttempts\":[0-9]+}}");
    }

    @Test
    void theJarShouldListAndDeleteThroughTheSameService() throws Exception {
        String mesh = broker.createMesh("jarred");
        Identities.MemberKeys alice = broker.addMember(mesh, "alice");
        broker.admin("POST", "/admin/meshes/" + mesh + "/invites", "{\"maxUses\":2}");

        String[] meshes = jar("mesh", "list");
        assertThat(meshes[0]).isEqualTo("0");
        assertThat(meshes[1]).contains("{\"id\":\"" + mesh + "\",\"name\":\"jarred\",\"slug\":\"jarred\"");
        String[] members = jar("member", "list", "--mesh", mesh);
        assertThat(members[0]).isEqualTo("0");
        assertThat(members[1]).contains("\"id\":\"" + alice.memberId() + "\"").contains("\"role\":\"member\"");
        String[] invites = jar("invite", "list", "--mesh", mesh);
        assertThat(invites[0]).isEqualTo("0");
        assertThat(invites[1]).contains("\"maxUses\":2").contains("\"state\":\"active\"").contains("ic://join/");
        assertThat(jar("member", "list", "--mesh", UNKNOWN)[2]).contains("error: mesh not found");

        String[] deleted = jar("mesh", "delete", "--mesh", mesh, "--yes");
        assertThat(deleted[0]).isEqualTo("0");
        assertThat(deleted[1]).startsWith("{\"ok\":true,\"deleted\":{\"members\":1,\"invites\":1,");
        assertThat(get("/admin/meshes/" + mesh).statusCode()).isEqualTo(404);
        assertThat(jar("mesh", "delete", "--mesh", mesh, "--yes")[0]).isEqualTo("1");
    }

    /** Runs the jar's subcommand on the broker's database: {exit code, stdout, stderr}. */
    private String[] jar(String... args) {
        String[] all = new String[args.length + 2];
        System.arraycopy(args, 0, all, 0, args.length);
        all[args.length] = "--database-url";
        all[args.length + 1] = broker.databaseUrl();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = Cli.run(all, Map.of(), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new String[] {String.valueOf(rc), out.toString(StandardCharsets.UTF_8),
                err.toString(StandardCharsets.UTF_8)};
    }
}
