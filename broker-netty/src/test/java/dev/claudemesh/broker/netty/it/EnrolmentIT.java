package dev.claudemesh.broker.netty.it;

import dev.claudemesh.broker.core.Ids;
import dev.claudemesh.broker.core.crypto.Ed25519;
import dev.claudemesh.broker.db.store.InvitePayload;
import dev.claudemesh.broker.netty.cli.Cli;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.claudemesh.broker.netty.it.BrokerFixture.jsonField;
import static dev.claudemesh.broker.netty.it.EnrolmentSupport.createInvite;
import static dev.claudemesh.broker.netty.it.EnrolmentSupport.join;
import static dev.claudemesh.broker.netty.it.EnrolmentSupport.quoted;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Invite-based enrolment (PROTOCOL §9) against a real broker and PostgreSQL: every {@code /join} outcome in the
 * protocol's order, the atomic use count under concurrent joins, the admin invite routes, the jar's
 * {@code invite create|revoke} run while the broker uses the same database, and the audit chain staying whole
 * through all of it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EnrolmentIT {

    private BrokerFixture broker;

    @BeforeAll
    void start() throws Exception {
        // many joins from one address: the per-address limit is tested with its own broker below
        broker = new BrokerFixture(Map.of("JOIN_RATE_LIMIT_PER_MIN", "0"));
    }

    @AfterAll
    void stop() {
        broker.close();
    }

    private void sql(String statement) throws Exception {
        try (Connection c = DriverManager.getConnection(broker.databaseUrl()); Statement st = c.createStatement()) {
            st.execute(statement);
        }
    }

    /** The invite payload a client decodes from the token (string fields, v and expires_at). */
    private static InvitePayload parse(String payloadJson) {
        Map<String, Object> m = new LinkedHashMap<>();
        Matcher s = Pattern.compile("\"([a-z_]+)\":\"([^\"]*)\"").matcher(payloadJson);
        while (s.find()) {
            m.put(s.group(1), s.group(2));
        }
        m.put("v", 1L);
        m.put("expires_at", EnrolmentSupport.longField(payloadJson, "expires_at"));
        return InvitePayload.fromMap(m);
    }

    private static void assertJoinError(HttpResponse<String> r, String code) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
        assertThat(r.body()).isEqualTo("{\"ok\":false,\"error\":\"" + code + "\"}");
    }

    @Test
    void shouldEnrolAMemberAndAnswerAlreadyMemberWithoutConsumingAUse() throws Exception {
        String meshId = broker.createMesh("enrol-ok");
        EnrolmentSupport.Invite inv = createInvite(broker, meshId, "{\"maxUses\":2,\"expiresInS\":3600,"
                + "\"role\":\"admin\",\"preset\":{\"roleTag\":\"dev\",\"groups\":[{\"name\":\"be\",\"role\":\"lead\"}],"
                + "\"messageMode\":\"inbox\"}}");
        assertThat(inv.link()).isEqualTo("ic://join/" + inv.token());
        assertThat(inv.expiresAt()).isBetween(System.currentTimeMillis() / 1000 + 3590,
                System.currentTimeMillis() / 1000 + 3610);
        assertThat(inv.payloadJson()).startsWith("{\"v\":1,\"mesh_id\":\"" + meshId + "\",\"mesh_slug\":\"enrol-ok\","
                + "\"broker_url\":\"ws://127.0.0.1:" + broker.port() + "/ws\",\"expires_at\":" + inv.expiresAt() + ",")
                .contains("\"role\":\"admin\"");
        Ed25519.KeyPair alice = Ed25519.generate();

        HttpResponse<String> first = join(broker, inv, alice);
        HttpResponse<String> again = join(broker, inv.token(), inv.payloadJson(), alice.publicKeyHex().toUpperCase(),
                "alice-again");

        assertThat(first.statusCode()).isEqualTo(200);
        String memberId = jsonField(first.body(), "memberId");
        assertThat(first.body()).isEqualTo("{\"ok\":true,\"memberId\":\"" + memberId + "\"}");
        assertThat(again.statusCode()).isEqualTo(200);
        assertThat(again.body()).isEqualTo("{\"ok\":true,\"memberId\":\"" + memberId + "\",\"alreadyMember\":true}");
        String url = broker.databaseUrl();
        assertThat(Sql.string(url, "select used_count from mesh.invite where id = '" + inv.id() + "'")).isEqualTo("1");
        assertThat(Sql.string(url, "select role || ' ' || role_tag || ' ' || message_mode || ' ' || display_name || ' '"
                + " || default_groups::text from mesh.member where id = '" + memberId + "'"))
                .isEqualTo("admin dev inbox peer [{\"name\": \"be\", \"role\": \"lead\"}]");
        // the second use is still there
        assertThat(join(broker, inv, Ed25519.generate()).statusCode()).isEqualTo(200);
        assertJoinError(join(broker, inv, Ed25519.generate()), "invite_exhausted");
    }

    @Test
    void shouldAcceptThePayloadAsAJsonString() throws Exception {
        String meshId = broker.createMesh("enrol-string");
        EnrolmentSupport.Invite inv = createInvite(broker, meshId, "{}");

        HttpResponse<String> r = join(broker, inv.token(), quoted(inv.payloadJson()),
                Ed25519.generate().publicKeyHex(), "s");

        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.body()).contains("\"ok\":true");
    }

    @Test
    void shouldRefuseBadRequestsBeforeLookingAtTheInvite() throws Exception {
        String required = "{\"ok\":false,\"error\":\"invite_token, invite_payload, peer_pubkey, display_name required\"}";
        String key = Ed25519.generate().publicKeyHex();
        for (String body : List.of("{}",
                "{\"invite_payload\":{},\"peer_pubkey\":\"" + key + "\",\"display_name\":\"a\"}",
                "{\"invite_token\":\"t\",\"peer_pubkey\":\"" + key + "\",\"display_name\":\"a\"}",
                "{\"invite_token\":\"t\",\"invite_payload\":\"\",\"peer_pubkey\":\"" + key + "\",\"display_name\":\"a\"}",
                "{\"invite_token\":\"t\",\"invite_payload\":{},\"display_name\":\"a\"}",
                "{\"invite_token\":\"t\",\"invite_payload\":{},\"peer_pubkey\":\"" + key + "\"}",
                "{\"invite_token\":\"\",\"invite_payload\":{},\"peer_pubkey\":\"" + key + "\",\"display_name\":\"a\"}")) {
            HttpResponse<String> r = broker.request("POST", "/join", body, null);
            assertThat(r.statusCode()).as(body).isEqualTo(400);
            assertThat(r.body()).as(body).isEqualTo(required);
        }
        HttpResponse<String> badKey = broker.request("POST", "/join",
                "{\"invite_token\":\"t\",\"invite_payload\":{},\"peer_pubkey\":\"abc\",\"display_name\":\"a\"}", null);
        assertThat(badKey.statusCode()).isEqualTo(400);
        assertThat(badKey.body()).isEqualTo("{\"ok\":false,\"error\":\"peer_pubkey must be 64 hex chars (32 bytes)\"}");
        HttpResponse<String> badJson = broker.request("POST", "/join", "{", null);
        assertThat(badJson.statusCode()).isEqualTo(400);
        assertThat(badJson.body()).isEqualTo("{\"ok\":false,\"error\":\"bad json\"}");
        assertThat(broker.request("GET", "/join", null, null).statusCode()).isEqualTo(405);
        // a payload that is not an invite cannot carry a valid signature
        assertJoinError(join(broker, "t", "{\"v\":1}", key, "a"), "invite_bad_signature");
        assertJoinError(join(broker, "t", "42", key, "a"), "invite_bad_signature");
        assertJoinError(join(broker, "t", quoted("not json"), key, "a"), "invite_bad_signature");
    }

    @Test
    void shouldCheckTheInviteInTheProtocolsOrder() throws Exception {
        String meshId = broker.createMesh("enrol-order");
        String otherMesh = broker.createMesh("enrol-order-b");
        EnrolmentSupport.Invite inv = createInvite(broker, meshId, "{\"maxUses\":5}");
        EnrolmentSupport.Invite otherInv = createInvite(broker, otherMesh, "{}");
        String payload = inv.payloadJson();
        String key = Ed25519.generate().publicKeyHex();
        InvitePayload p = parse(payload);
        Ed25519.KeyPair rogue = Ed25519.generate();

        // 1. invite_bad_signature: any signed field changed
        assertJoinError(join(broker, inv.token(), payload.replace("\"role\":\"member\"", "\"role\":\"admin\""), key,
                "a"), "invite_bad_signature");
        // 2. mesh_not_found: validly signed (by someone), for a mesh that does not exist
        String ghost = InvitePayload.sign(Ids.newId(), "ghost", p.brokerUrl(), p.expiresAt(), p.meshRootKey(),
                "member", rogue.publicKeyHex(), rogue.seed()).toJson();
        assertJoinError(join(broker, inv.token(), ghost, key, "a"), "mesh_not_found");
        // 3. invite_owner_mismatch: validly signed for this mesh, by a key that is not its owner's
        String rogueOwner = InvitePayload.sign(meshId, p.meshSlug(), p.brokerUrl(), p.expiresAt(), p.meshRootKey(),
                "admin", rogue.publicKeyHex(), rogue.seed()).toJson();
        assertJoinError(join(broker, inv.token(), rogueOwner, key, "a"), "invite_owner_mismatch");
        // 4. invite_not_found: genuine payload, unknown token
        assertJoinError(join(broker, "bm90LWEtdG9rZW4", payload, key, "a"), "invite_not_found");
        // 5. invite_mesh_mismatch: genuine payload of this mesh, token of another mesh's invite
        assertJoinError(join(broker, otherInv.token(), payload, key, "a"), "invite_mesh_mismatch");
        // 6. invite_revoked, which wins over expiry
        EnrolmentSupport.Invite revoked = createInvite(broker, meshId, "{}");
        HttpResponse<String> rv = broker.admin("POST", "/admin/meshes/" + meshId + "/invites/" + revoked.id()
                + "/revoke", null);
        assertThat(rv.statusCode()).isEqualTo(200);
        assertThat(rv.body()).isEqualTo("{\"ok\":true}");
        sql("update mesh.invite set expires_at = now() - interval '1 hour' where id = '" + revoked.id() + "'");
        assertJoinError(join(broker, revoked, Ed25519.generate()), "invite_revoked");
        // 7. invite_expired (the database clock decides)
        EnrolmentSupport.Invite expired = createInvite(broker, meshId, "{}");
        sql("update mesh.invite set expires_at = now() - interval '1 second' where id = '" + expired.id() + "'");
        assertJoinError(join(broker, expired, Ed25519.generate()), "invite_expired");
        // 8. invite_exhausted
        EnrolmentSupport.Invite single = createInvite(broker, meshId, "{\"maxUses\":1}");
        assertThat(join(broker, single, Ed25519.generate()).statusCode()).isEqualTo(200);
        assertJoinError(join(broker, single, Ed25519.generate()), "invite_exhausted");
        // nothing above enrolled anyone or consumed a use of the first invite
        assertThat(Sql.count(broker.databaseUrl(), "select count(*) from mesh.member where mesh_id = '" + meshId + "'"))
                .isEqualTo(1);
        assertThat(Sql.string(broker.databaseUrl(), "select used_count from mesh.invite where id = '" + inv.id() + "'"))
                .isEqualTo("0");
    }

    @Test
    void shouldEnrolExactlyMaxUsesMembersUnderTwentyConcurrentJoins() throws Exception {
        String meshId = broker.createMesh("enrol-race");
        EnrolmentSupport.Invite inv = createInvite(broker, meshId, "{\"maxUses\":5}");
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        List<CompletableFuture<HttpResponse<String>>> joins = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            String body = "{\"invite_token\":\"" + inv.token() + "\",\"invite_payload\":" + inv.payloadJson()
                    + ",\"peer_pubkey\":\"" + Ed25519.generate().publicKeyHex() + "\",\"display_name\":\"r" + i + "\"}";
            joins.add(http.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + broker.port() + "/join"))
                    .timeout(Duration.ofSeconds(20)).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString()));
        }
        int ok = 0;
        int exhausted = 0;
        for (CompletableFuture<HttpResponse<String>> f : joins) {
            HttpResponse<String> r = f.get();
            if (r.statusCode() == 200) {
                ok++;
            } else if (r.body().equals("{\"ok\":false,\"error\":\"invite_exhausted\"}")) {
                exhausted++;
            }
        }

        assertThat(ok).isEqualTo(5);
        assertThat(exhausted).isEqualTo(15);
        assertThat(Sql.count(broker.databaseUrl(), "select count(*) from mesh.member where mesh_id = '" + meshId + "'"))
                .isEqualTo(5);
        assertThat(Sql.string(broker.databaseUrl(), "select used_count from mesh.invite where id = '" + inv.id() + "'"))
                .isEqualTo("5");
    }

    @Test
    void shouldAnswer413ForAnOversizedJoinBody() throws Exception {
        try (Socket s = new Socket("127.0.0.1", broker.port())) {
            s.setSoTimeout(5_000);
            OutputStream out = s.getOutputStream();
            out.write(("POST /join HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 70000\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            String response = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            assertThat(response).startsWith("HTTP/1.1 413 ").endsWith("{\"ok\":false,\"error\":\"payload too large\"}");
        }
    }

    @Test
    void shouldRateLimitJoinsPerAddressKeepInvitesSignedWithThePublicUrlAndEncryptOwnerSecrets() throws Exception {
        try (BrokerFixture limited = new BrokerFixture(Map.of("JOIN_RATE_LIMIT_PER_MIN", "3",
                "BROKER_PUBLIC_URL", "wss://mesh.example.com/ws",
                "BROKER_ENCRYPTION_KEY", "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"))) {
            for (int i = 0; i < 3; i++) {
                assertThat(limited.request("POST", "/join", "{}", null).statusCode()).isEqualTo(400);
            }
            HttpResponse<String> limitedJoin = limited.request("POST", "/join", "{}", null);
            assertThat(limitedJoin.statusCode()).isEqualTo(429);
            assertThat(limitedJoin.body()).isEqualTo("{\"ok\":false,\"error\":\"rate limited\"}");

            String meshId = limited.createMesh("enrol-public");
            // the mesh got its owner key with the mesh, encrypted under BROKER_ENCRYPTION_KEY
            assertThat(Sql.string(limited.databaseUrl(), "select secret_format from mesh.mesh_key where mesh_id = '"
                    + meshId + "'")).isEqualTo("aes-256-gcm");
            EnrolmentSupport.Invite inv = createInvite(limited, meshId, "{}");
            assertThat(inv.payloadJson()).contains("\"broker_url\":\"wss://mesh.example.com/ws\"");
            assertThat(parse(inv.payloadJson()).signatureValid()).isTrue();
        }
    }

    @Test
    void shouldValidateTheAdminInviteRoutes() throws Exception {
        String meshId = broker.createMesh("enrol-admin");
        String invites = "/admin/meshes/" + meshId + "/invites";
        assertThat(broker.request("POST", invites, "{}", null).statusCode()).isEqualTo(401);
        assertThat(broker.admin("PUT", invites, null).statusCode()).isEqualTo(405); // GET lists them
        Map<String, String> bad = Map.of(
                "{", "bad json: body must be one JSON object",
                "{\"maxUses\":0}", "maxUses must be an integer 1..1000000",
                "{\"maxUses\":\"10\"}", "maxUses must be an integer 1..1000000",
                "{\"expiresInS\":-1}", "expiresInS must be an integer 1..31622400 (seconds)",
                "{\"role\":\"owner\"}", "role must be member or admin");
        bad.forEach((body, error) -> {
            try {
                HttpResponse<String> r = broker.admin("POST", invites, body);
                assertThat(r.statusCode()).as(body).isEqualTo(400);
                assertThat(r.body()).as(body).isEqualTo("{\"error\":\"" + error + "\"}");
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        HttpResponse<String> badPreset = broker.admin("POST", invites, "{\"preset\":{\"colour\":\"red\"}}");
        assertThat(badPreset.statusCode()).isEqualTo(400);
        assertThat(badPreset.body()).startsWith("{\"error\":\"preset must be an object");
        HttpResponse<String> unknownMesh = broker.admin("POST", "/admin/meshes/" + Ids.newId() + "/invites", "{}");
        assertThat(unknownMesh.statusCode()).isEqualTo(404);
        assertThat(unknownMesh.body()).isEqualTo("{\"error\":\"mesh not found\"}");
        assertThat(broker.admin("POST", "/admin/meshes/short/invites", "{}").statusCode()).isEqualTo(404);
        HttpResponse<String> unknownInvite = broker.admin("POST", invites + "/" + Ids.newId() + "/revoke", null);
        assertThat(unknownInvite.statusCode()).isEqualTo(404);
        assertThat(unknownInvite.body()).isEqualTo("{\"error\":\"invite not found\"}");
        EnrolmentSupport.Invite inv = createInvite(broker, meshId, "");
        assertThat(broker.admin("POST", invites + "/" + inv.id() + "/revoke", null).statusCode()).isEqualTo(200);
        assertThat(broker.admin("POST", invites + "/" + inv.id() + "/revoke", null).body()).isEqualTo("{\"ok\":true}");
    }

    @Test
    void shouldKeepTheAuditChainWholeWithCliInvitesWhileTheBrokerRuns() throws Exception {
        String meshId = broker.createMesh("enrol-audit");
        // broker-side events first, so the running writer has this mesh's chain tail cached
        EnrolmentSupport.Invite httpInvite = createInvite(broker, meshId, "{\"maxUses\":3}");
        assertThat(join(broker, httpInvite, Ed25519.generate()).statusCode()).isEqualTo(200);
        String url = broker.databaseUrl();
        Sql.await(url, "select count(*) from mesh.audit_log where mesh_id = '" + meshId + "'", 2);

        // the jar's subcommand, on the same database, while the broker runs
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Map<String, String> env = Map.of("BROKER_PORT", String.valueOf(broker.port()), "BROKER_LOG_LEVEL", "INFO");
        int rc = Cli.run(new String[] {"invite", "create", "--mesh", meshId, "--max-uses", "2",
                "--expires-in", "1h", "--role", "member", "--database-url", url}, env,
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(rc).as(err.toString(StandardCharsets.UTF_8)).isZero();
        String[] lines = out.toString(StandardCharsets.UTF_8).split("\\R");
        assertThat(lines).hasSize(2);
        String link = lines[0];
        assertThat(link).startsWith("ic://join/");
        assertThat(lines[1]).isEqualTo("claudemesh join " + link);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("invite revoke --mesh " + meshId + " --invite ");
        String token = link.substring("ic://join/".length());
        String cliInviteId = Sql.string(url, "select id from mesh.invite where token = '" + token + "'");
        // written to the outbox, not to the chain the broker is appending to
        assertThat(Sql.count(url, "select count(*) from mesh.audit_outbox where mesh_id = '" + meshId + "'"))
                .isEqualTo(1);

        // a join with the CLI's invite: the broker chains invite_created, then member_joined
        EnrolmentSupport.Invite cliInvite = new EnrolmentSupport.Invite(cliInviteId, token, link, 0);
        assertThat(cliInvite.payloadJson()).contains("\"broker_url\":\"ws://127.0.0.1:" + broker.port() + "/ws\"");
        assertThat(join(broker, cliInvite, Ed25519.generate()).statusCode()).isEqualTo(200);
        int revokeRc = Cli.run(new String[] {"invite", "revoke", "--mesh", meshId, "--invite", cliInviteId,
                        "--database-url", url}, env, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        assertThat(revokeRc).isZero();
        assertJoinError(join(broker, cliInvite, Ed25519.generate()), "invite_revoked");
        // the next broker-side change moves the CLI's invite_revoked into the chain
        EnrolmentSupport.Invite last = createInvite(broker, meshId, "{}");
        broker.admin("POST", "/admin/meshes/" + meshId + "/invites/" + last.id() + "/revoke", null);

        Sql.await(url, "select count(*) from mesh.audit_log where mesh_id = '" + meshId + "'", 7);
        assertThat(Sql.string(url, "select string_agg(event_type || ':' || (payload_canonical::jsonb ->> 'via'), ',' "
                + "order by id) from mesh.audit_log where mesh_id = '" + meshId + "'"))
                .isEqualTo("invite_created:admin_api,member_joined:invite,invite_created:cli,member_joined:invite,"
                        + "invite_revoked:cli,invite_created:admin_api,invite_revoked:admin_api");
        HttpResponse<String> verify = broker.admin("GET", "/admin/meshes/" + meshId + "/audit/verify", null);
        assertThat(verify.body()).isEqualTo("{\"ok\":true,\"events\":7}");
        assertThat(Sql.count(url, "select count(*) from mesh.audit_outbox")).isZero();
        // metadata only: neither tokens nor the root key they carry reach the audit log
        String rootKey = jsonField(cliInvite.payloadJson(), "mesh_root_key");
        assertThat(Sql.count(url, "select count(*) from mesh.audit_log where payload_canonical like '%" + rootKey
                + "%' or payload_canonical like '%" + token.substring(0, 40) + "%'")).isZero();
    }
}
