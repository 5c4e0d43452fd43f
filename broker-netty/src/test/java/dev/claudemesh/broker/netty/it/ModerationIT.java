package dev.claudemesh.broker.netty.it;

import dev.claudemesh.broker.core.crypto.Ed25519;
import dev.claudemesh.broker.core.testing.Identities;
import dev.claudemesh.broker.netty.cli.Cli;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static dev.claudemesh.broker.netty.it.BrokerFixture.jsonField;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Moderation end to end (PROTOCOL-MESH §9 with the §9.6 [fix]; defects 7 and 10) on a real broker, real sockets and a
 * real PostgreSQL: the role rules (a member cannot kick, an admin can; nobody bans the last admin; only the owner bans
 * an admin), kicks as evictions (capacity, {@code peer_left}, audit), a ban closing every lease of the member 4002 and
 * refusing its next hello and its next {@code /join}, the operator's revoke as the same path, and roles set by the
 * admin API, an admin invite and the jar.
 */
class ModerationIT {

    private static BrokerFixture broker;

    @BeforeAll
    static void start() throws Exception {
        broker = new BrokerFixture(Map.of("MAX_CONNECTIONS_PER_MESH", "4"));
    }

    @AfterAll
    static void stop() {
        broker.stop();
    }

    /** A mesh with an admin (its owner), bob and carol. */
    private record Mesh(String id, Identities.MemberKeys owner, Identities.MemberKeys bob,
                        Identities.MemberKeys carol) {
    }

    private static Mesh mesh(String slug) throws Exception {
        String id = broker.createMesh(slug);
        return new Mesh(id, broker.addMember(id, "olga", "\"role\":\"admin\""), broker.addMember(id, "bob"),
                broker.addMember(id, "carol"));
    }

    /** A control-plane lease (plain hello), named {@code d-<sessionId>}. */
    private static WsClient hello(Identities.MemberKeys m, String sessionId) {
        WsClient ws = broker.ws();
        ws.send(Identities.hello(m, null, sessionId, System.currentTimeMillis(), "d-" + sessionId));
        assertThat(ws.await(s -> s.contains("hello_ack") || s.contains("\"type\":\"error\""), 5_000))
                .contains("hello_ack");
        return ws;
    }

    /** Sends {@code json} (which carries {@code "_reqId":"<reqId>"}) and waits for the frame answering it. */
    private static String ask(WsClient ws, String json, String reqId) {
        ws.send(json);
        return ws.await(s -> s.contains("\"_reqId\":\"" + reqId + "\""), 10_000);
    }

    @Test
    void aMemberCannotKickAnAdminCanAndTheKickIsAnEviction() throws Exception {
        Mesh m = mesh("mod-kick");
        BrokerFixture.Peer owner = broker.session(m.owner, "o");
        BrokerFixture.Peer bob = broker.session(m.bob, "b");
        BrokerFixture.Peer carol = broker.session(m.carol, "c");
        BrokerFixture.Peer dan = broker.session(broker.addMember(m.id, "dan"), "d");

        assertThat(ask(carol.ws(), "{\"type\":\"kick\",\"target\":\"n-b\",\"_reqId\":\"k1\"}", "k1"))
                .isEqualTo("{\"type\":\"error\",\"code\":\"forbidden\",\"message\":\"only owner or admin can kick\","
                        + "\"_reqId\":\"k1\"}");
        assertThat(ask(owner.ws(), "{\"type\":\"kick\",\"target\":\"n-b\",\"_reqId\":\"k2\"}", "k2"))
                .isEqualTo("{\"type\":\"kick_ack\",\"kicked\":[\"n-b\"],\"affected\":[\"n-b\"],\"_reqId\":\"k2\"}");

        assertThat(bob.ws().awaitClose(5_000)).isEqualTo(4001);
        assertThat(bob.ws().closeReason()).isEqualTo("kicked");
        assertThat(carol.ws().await("\"event\":\"peer_left\"")).contains("\"pubkey\":\"" + bob.key() + "\"");
        // the mesh was full (4 leases): the kicked lease's place is free at once, without waiting for a grace period
        BrokerFixture.Peer eve = broker.session(broker.addMember(m.id, "eve"), "e");
        assertThat(eve.helloAck()).contains("hello_ack");
        Sql.await(broker.databaseUrl(), "select count(*) from mesh.audit_log where mesh_id = '" + m.id
                + "' and event_type = 'member_kicked' and actor_id = '" + m.owner.memberId() + "'", 1);
        Sql.await(broker.databaseUrl(), "select count(*) from mesh.audit_log where mesh_id = '" + m.id
                + "' and event_type = 'peer_left' and actor_id = '" + m.bob.memberId() + "'", 1);
        Sql.await(broker.databaseUrl(), "select count(*) from mesh.presence where id = '" + bob.presenceId()
                + "' and disconnected_at is not null", 1);
        assertThat(dan.ws().closed()).isFalse();
    }

    @Test
    void kickShouldSpareDaemonsDisconnectShouldCloseThemAndPrefixesNeedEightHexChars() throws Exception {
        Mesh m = mesh("mod-disconnect");
        BrokerFixture.Peer owner = broker.session(m.owner, "o");
        WsClient daemon = hello(m.bob, "bd");

        assertThat(ask(owner.ws(), "{\"type\":\"kick\",\"all\":true,\"_reqId\":\"a\"}", "a"))
                .isEqualTo("{\"type\":\"kick_ack\",\"kicked\":[],\"affected\":[],\"skipped_control_plane\":[\"d-bd\"],"
                        + "\"_reqId\":\"a\"}");
        assertThat(ask(owner.ws(), "{\"type\":\"disconnect\",\"target\":\"" + m.bob.pubkey().substring(0, 7)
                + "\",\"_reqId\":\"p7\"}", "p7")).contains("\"affected\":[]");
        assertThat(daemon.closed()).isFalse();
        assertThat(ask(owner.ws(), "{\"type\":\"disconnect\",\"target\":\"" + m.bob.pubkey().substring(0, 8)
                + "\",\"_reqId\":\"p8\"}", "p8"))
                .isEqualTo("{\"type\":\"disconnect_ack\",\"kicked\":[\"d-bd\"],\"affected\":[\"d-bd\"],"
                        + "\"_reqId\":\"p8\"}");
        assertThat(daemon.awaitClose(5_000)).isEqualTo(1000);
        assertThat(daemon.closeReason()).isEqualTo("disconnected");
        assertThat(ask(owner.ws(), "{\"type\":\"kick\",\"stale\":-1,\"_reqId\":\"s\"}", "s"))
                .contains("\"code\":\"bad_request\"");
    }

    @Test
    void aBanShouldCloseEveryLeaseOfTheMemberAndRefuseItsNextHelloAndItsNextJoin() throws Exception {
        Mesh m = mesh("mod-ban");
        EnrolmentSupport.Invite invite = EnrolmentSupport.createInvite(broker, m.id, "{\"maxUses\":5}");
        BrokerFixture.Peer owner = broker.session(m.owner, "o");
        BrokerFixture.Peer bob = broker.session(m.bob, "b");
        WsClient bobDaemon = hello(m.bob, "bd");
        BrokerFixture.Peer carol = broker.session(m.carol, "c");

        assertThat(ask(owner.ws(), "{\"type\":\"ban\",\"target\":\"bob\",\"reason\":\"spam\",\"_reqId\":\"r15\"}",
                "r15")).isEqualTo("{\"type\":\"ban_ack\",\"banned\":\"bob\",\"_reqId\":\"r15\"}");

        for (WsClient ws : List.of(bob.ws(), bobDaemon)) {
            assertThat(ws.awaitClose(5_000)).isEqualTo(4002);
            assertThat(ws.closeReason()).isEqualTo("banned");
        }
        carol.ws().await("\"event\":\"peer_left\"");
        carol.ws().await("\"event\":\"peer_left\"");
        // its next hello: refused `revoked`, closed 4002
        WsClient again = broker.ws();
        again.send(Identities.sessionHello(m.bob, Ed25519.generate(), "b2", System.currentTimeMillis(), 3_600_000,
                "n-b2", null));
        assertThat(again.awaitType("error")).contains("\"code\":\"revoked\"");
        assertThat(again.awaitClose(5_000)).isEqualTo(4002);
        // its next /join with a still-valid invite: refused (defect 7: ban evasion)
        HttpResponse<String> join = EnrolmentSupport.join(broker, invite.token(), invite.payloadJson(),
                m.bob.pubkey(), "bob");
        assertThat(join.statusCode()).isEqualTo(400);
        assertThat(join.body()).isEqualTo("{\"ok\":false,\"error\":\"member_revoked\"}");

        String bans = ask(carol.ws(), "{\"type\":\"list_bans\",\"_reqId\":\"l\"}", "l");
        assertThat(Json.object(bans)).containsOnlyKeys("type", "bans", "_reqId");
        assertThat(bans).startsWith("{\"type\":\"list_bans_result\",\"bans\":[{\"name\":\"bob\",\"pubkey\":\""
                + m.bob.pubkey() + "\",\"revokedAt\":\"");
        Sql.await(broker.databaseUrl(), "select count(*) from mesh.audit_log where mesh_id = '" + m.id
                + "' and event_type = 'member_banned' and actor_id = '" + m.owner.memberId()
                + "' and payload_canonical = '{\"target\":\"bob\",\"targetPubkey\":\"" + m.bob.pubkey()
                + "\",\"via\":\"ws\"}'", 1);

        assertThat(ask(owner.ws(), "{\"type\":\"unban\",\"target\":\"bob\",\"_reqId\":\"u\"}", "u"))
                .isEqualTo("{\"type\":\"unban_ack\",\"unbanned\":\"bob\",\"_reqId\":\"u\"}");
        assertThat(broker.session(m.bob, "b3").helloAck()).contains("hello_ack");
        assertThat(ask(owner.ws(), "{\"type\":\"list_bans\",\"_reqId\":\"l2\"}", "l2"))
                .isEqualTo("{\"type\":\"list_bans_result\",\"bans\":[],\"_reqId\":\"l2\"}");
    }

    @Test
    void nobodyShouldBanTheLastAdminAndOnlyTheOwnerAnAdmin() throws Exception {
        Mesh m = mesh("mod-roles");
        BrokerFixture.Peer owner = broker.session(m.owner, "o");
        BrokerFixture.Peer bob = broker.session(m.bob, "b");

        assertThat(ask(bob.ws(), "{\"type\":\"ban\",\"target\":\"olga\",\"_reqId\":\"1\"}", "1"))
                .isEqualTo("{\"type\":\"error\",\"code\":\"forbidden\",\"message\":\"only owner or admin can ban\","
                        + "\"_reqId\":\"1\"}");
        // every moderation verb is for admins, with the §9.6 [fix] texts ("can kick", "can disconnect")
        assertThat(ask(bob.ws(), "{\"type\":\"unban\",\"target\":\"olga\",\"_reqId\":\"1u\"}", "1u"))
                .isEqualTo("{\"type\":\"error\",\"code\":\"forbidden\",\"message\":\"only owner or admin can "
                        + "unban\",\"_reqId\":\"1u\"}");
        assertThat(ask(bob.ws(), "{\"type\":\"disconnect\",\"all\":true,\"_reqId\":\"1d\"}", "1d"))
                .isEqualTo("{\"type\":\"error\",\"code\":\"forbidden\",\"message\":\"only owner or admin can "
                        + "disconnect\",\"_reqId\":\"1d\"}");
        assertThat(owner.ws().closed()).isFalse();
        assertThat(ask(owner.ws(), "{\"type\":\"ban\",\"target\":\"olga\",\"_reqId\":\"2\"}", "2"))
                .isEqualTo("{\"type\":\"error\",\"code\":\"invalid\",\"message\":\"cannot ban yourself\","
                        + "\"_reqId\":\"2\"}");
        HttpResponse<String> revokeLast = broker.admin("POST", "/admin/meshes/" + m.id + "/members/"
                + m.owner.memberId() + "/revoke", null);
        assertThat(revokeLast.statusCode()).isEqualTo(409);
        assertThat(revokeLast.body()).contains("last admin");
        HttpResponse<String> demoteLast = broker.admin("POST", "/admin/meshes/" + m.id + "/members/"
                + m.owner.memberId() + "/role", "{\"role\":\"member\"}");
        assertThat(demoteLast.statusCode()).isEqualTo(409);
        assertThat(owner.ws().closed()).isFalse();

        // bob becomes an admin: he still cannot ban the owner (the first admin), the owner can ban him
        HttpResponse<String> promote = broker.admin("POST", "/admin/meshes/" + m.id + "/members/"
                + m.bob.memberId() + "/role", "{\"role\":\"admin\"}");
        assertThat(promote.statusCode()).isEqualTo(200);
        assertThat(promote.body()).isEqualTo("{\"id\":\"" + m.bob.memberId() + "\",\"meshId\":\"" + m.id
                + "\",\"pubkey\":\"" + m.bob.pubkey() + "\",\"displayName\":\"bob\",\"role\":\"admin\"}");
        assertThat(ask(bob.ws(), "{\"type\":\"ban\",\"target\":\"olga\",\"_reqId\":\"3\"}", "3")).isEqualTo(
                "{\"type\":\"error\",\"code\":\"forbidden\",\"message\":\"only the mesh owner (its first admin) can "
                        + "ban an admin\",\"_reqId\":\"3\"}");
        assertThat(ask(bob.ws(), "{\"type\":\"kick\",\"target\":\"n-o\",\"_reqId\":\"4\"}", "4"))
                .as("an admin may kick").contains("\"affected\":[\"n-o\"]");
        assertThat(owner.ws().awaitClose(5_000)).isEqualTo(4001);
        BrokerFixture.Peer owner2 = broker.session(m.owner, "o2");
        assertThat(ask(owner2.ws(), "{\"type\":\"ban\",\"target\":\"" + m.bob.pubkey().substring(0, 8)
                + "\",\"_reqId\":\"5\"}", "5")).isEqualTo("{\"type\":\"ban_ack\",\"banned\":\"bob\",\"_reqId\":\"5\"}");
        assertThat(bob.ws().awaitClose(5_000)).isEqualTo(4002);

        assertThat(ask(owner2.ws(), "{\"type\":\"ban\",\"_reqId\":\"6\"}", "6"))
                .isEqualTo("{\"type\":\"error\",\"code\":\"invalid\",\"message\":\"target required\",\"_reqId\":\"6\"}");
        assertThat(ask(owner2.ws(), "{\"type\":\"ban\",\"target\":\"" + m.carol.pubkey().substring(0, 7)
                + "\",\"_reqId\":\"7\"}", "7")).contains("\"code\":\"not_found\"");
        broker.addMember(m.id, "carol"); // a second carol
        assertThat(ask(owner2.ws(), "{\"type\":\"ban\",\"target\":\"carol\",\"_reqId\":\"8\"}", "8"))
                .contains("\"code\":\"ambiguous_target\"");
        assertThat(ask(owner2.ws(), "{\"type\":\"unban\",\"target\":\"carol\",\"_reqId\":\"9\"}", "9"))
                .isEqualTo("{\"type\":\"error\",\"code\":\"not_found\",\"message\":\"no banned peer \\\"carol\\\"\","
                        + "\"_reqId\":\"9\"}");
    }

    @Test
    void theOperatorsRevokeShouldBeTheSamePathAsABan() throws Exception {
        Mesh m = mesh("mod-revoke");
        BrokerFixture.Peer owner = broker.session(m.owner, "o");
        BrokerFixture.Peer bob = broker.session(m.bob, "b");

        assertThat(broker.admin("POST", "/admin/meshes/" + m.id + "/members/" + m.bob.memberId() + "/revoke", null)
                .body()).isEqualTo("{\"ok\":true}");

        assertThat(bob.ws().awaitClose(5_000)).isEqualTo(4002);
        assertThat(owner.ws().await("\"event\":\"peer_left\"")).contains(bob.key());
        assertThat(ask(owner.ws(), "{\"type\":\"list_bans\",\"_reqId\":\"l\"}", "l")).contains("\"name\":\"bob\"");
        Sql.await(broker.databaseUrl(), "select count(*) from mesh.audit_log where mesh_id = '" + m.id
                + "' and event_type = 'member_banned' and actor_id is null and payload_canonical like "
                + "'%\"via\":\"admin_api\"}'", 1);
        Sql.await(broker.databaseUrl(), "select count(*) from mesh.audit_log where mesh_id = '" + m.id
                + "' and event_type = 'peer_left'", 1);

        assertThat(broker.admin("POST", "/admin/meshes/" + m.id + "/members/" + m.bob.memberId() + "/unban", null)
                .body()).isEqualTo("{\"ok\":true}");
        assertThat(broker.session(m.bob, "b2").helloAck()).contains("hello_ack");
        Sql.await(broker.databaseUrl(), "select count(*) from mesh.audit_log where mesh_id = '" + m.id
                + "' and event_type = 'member_unbanned'", 1);
    }

    @Test
    void rolesShouldComeFromTheAdminApiAnAdminInviteAndTheJar() throws Exception {
        String meshId = broker.createMesh("mod-enrol");
        Identities.MemberKeys bob = broker.addMember(meshId, "bob");
        HttpResponse<String> badRole = broker.admin("POST", "/admin/meshes/" + meshId + "/members",
                "{\"pubkey\":\"" + Ed25519.generate().publicKeyHex() + "\",\"displayName\":\"x\",\"role\":\"owner\"}");
        assertThat(badRole.statusCode()).isEqualTo(400);
        assertThat(badRole.body()).isEqualTo("{\"error\":\"role must be member or admin\"}");
        assertThat(broker.admin("POST", "/admin/meshes/" + meshId + "/members/" + bob.memberId() + "/role", "{}")
                .body()).isEqualTo("{\"error\":\"role required (member or admin)\"}");
        assertThat(broker.admin("POST", "/admin/meshes/" + meshId + "/members/" + meshId + "/role",
                "{\"role\":\"admin\"}").statusCode()).isEqualTo(404);

        // an admin invite enrols an admin, who may kick
        EnrolmentSupport.Invite invite = EnrolmentSupport.createInvite(broker, meshId, "{\"role\":\"admin\"}");
        Ed25519.KeyPair key = Ed25519.generate();
        HttpResponse<String> joined = EnrolmentSupport.join(broker, invite, key);
        assertThat(joined.statusCode()).isEqualTo(200);
        Identities.MemberKeys invited = new Identities.MemberKeys(meshId, jsonField(joined.body(), "memberId"), key);
        BrokerFixture.Peer admin = broker.session(invited, "i");
        BrokerFixture.Peer b = broker.session(bob, "b");
        assertThat(ask(admin.ws(), "{\"type\":\"kick\",\"target\":\"n-b\",\"_reqId\":\"k\"}", "k"))
                .contains("\"affected\":[\"n-b\"]");
        assertThat(b.ws().awaitClose(5_000)).isEqualTo(4001);

        // the jar: member add --role admin, member role, member unban (same service as the routes)
        String carolKey = Ed25519.generate().publicKeyHex();
        String[] out = jar("member", "add", "--mesh", meshId, "--pubkey", carolKey, "--name", "carol", "--role",
                "admin");
        assertThat(out[0]).isEqualTo("0");
        assertThat(out[1].strip()).endsWith("\"displayName\":\"carol\",\"role\":\"admin\"}");
        String carolId = jsonField(out[1], "id");
        out = jar("member", "role", "--mesh", meshId, "--member", invited.memberId(), "--role", "member");
        assertThat(out[0]).isEqualTo("0");
        assertThat(out[1]).contains("\"role\":\"member\"");
        out = jar("member", "role", "--mesh", meshId, "--member", carolId, "--role", "member");
        assertThat(out[0]).as("the last admin cannot be demoted").isEqualTo("1");
        assertThat(out[2]).contains("last admin");
        assertThat(ask(admin.ws(), "{\"type\":\"kick\",\"all\":true,\"_reqId\":\"k2\"}", "k2"))
                .as("demoted: the next request is refused").contains("\"code\":\"forbidden\"");
        assertThat(jar("member", "revoke", "--mesh", meshId, "--member", bob.memberId())[0]).isEqualTo("0");
        assertThat(jar("member", "unban", "--mesh", meshId, "--member", bob.memberId())[0]).isEqualTo("0");
        assertThat(broker.session(bob, "b2").helloAck()).contains("hello_ack");
    }

    /** Runs the jar's subcommand on the broker's database: {exit code, stdout, stderr}. */
    private static String[] jar(String... args) {
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
