package dev.claudemesh.broker.netty.it;

import dev.claudemesh.broker.core.audit.AuditChain;
import dev.claudemesh.broker.core.crypto.Ed25519;
import dev.claudemesh.broker.core.testing.Identities;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static dev.claudemesh.broker.netty.it.ControlPlane.event;
import static dev.claudemesh.broker.netty.it.ControlPlane.hello;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The member profile API (PROTOCOL-MESH §3.6) over real HTTP: what the claudemesh CLI 1.37 sends (no credential, or a
 * bare {@code X-Member-Id}) is refused 401 (the [fix], §16 defect 5); signed requests list the roster, edit a profile
 * (pushing {@code profile_updated}, changing the member's next {@code hello_ack}) and the mesh policy, with the
 * original's authorization and texts; every credential failure has its code.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MemberApiIT {

    private BrokerFixture broker;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    void start() throws Exception {
        broker = new BrokerFixture(Map.of());
    }

    @AfterAll
    void stop() {
        broker.close();
    }

    /** A member enrolled with an admin invite (role {@code admin}). */
    private Identities.MemberKeys admin(String mesh) throws Exception {
        EnrolmentSupport.Invite invite = EnrolmentSupport.createInvite(broker, mesh,
                "{\"maxUses\":1,\"expiresInS\":600,\"role\":\"admin\"}");
        Ed25519.KeyPair keys = Ed25519.generate();
        HttpResponse<String> joined = EnrolmentSupport.join(broker, invite.token(), invite.payloadJson(),
                keys.publicKeyHex(), "root");
        assertThat(joined.statusCode()).as(joined.body()).isEqualTo(200);
        return new Identities.MemberKeys(mesh, BrokerFixture.jsonField(joined.body(), "memberId"), keys);
    }

    private HttpResponse<String> call(String method, String path, String body, Map<String, String> headers)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + broker.port() + path))
                .timeout(Duration.ofSeconds(10))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        headers.forEach(b::header);
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The three credential headers, signed by {@code m} over this request at {@code timestampMs}. */
    static Map<String, String> signed(Identities.MemberKeys m, String method, String path, String body,
                                      long timestampMs) {
        String bodyHash = AuditChain.sha256Hex((body == null ? "" : body).getBytes(StandardCharsets.UTF_8));
        String text = "claudemesh-member-api|" + method + "|" + path + "|" + m.memberId() + "|" + timestampMs + "|"
                + bodyHash;
        return Map.of("X-Member-Id", m.memberId(), "X-Member-Timestamp", Long.toString(timestampMs),
                "X-Member-Signature", Ed25519.sign(m.keys().seed(), text));
    }

    private HttpResponse<String> signedCall(Identities.MemberKeys m, String method, String path, String body)
            throws Exception {
        return call(method, path, body, signed(m, method, path, body, System.currentTimeMillis()));
    }

    @Test
    void shouldRefuseWhatTheCli137SendsWith401() throws Exception {
        String mesh = broker.createMesh("ma-cli");
        Identities.MemberKeys alice = broker.addMember(mesh, "alice");
        String required = "{\"ok\":false,\"error\":\"signed member credential required: X-Member-Id, "
                + "X-Member-Timestamp, X-Member-Signature\"}";

        // `claudemesh profile`: a plain GET
        HttpResponse<String> list = call("GET", "/mesh/" + mesh + "/members", null, Map.of());
        assertThat(list.statusCode()).isEqualTo(401);
        assertThat(list.body()).isEqualTo(required);
        // `claudemesh profile --role-tag x`: PATCH with the bare X-Member-Id header
        HttpResponse<String> patch = call("PATCH", "/mesh/" + mesh + "/member/" + alice.memberId(),
                "{\"roleTag\":\"x\"}", Map.of("Content-Type", "application/json", "X-Member-Id", alice.memberId()));
        assertThat(patch.statusCode()).isEqualTo(401);
        assertThat(patch.body()).isEqualTo(required);
        HttpResponse<String> settings = call("PATCH", "/mesh/" + mesh + "/settings", "{\"selfEditable\":{}}",
                Map.of("X-Member-Id", alice.memberId()));
        assertThat(settings.statusCode()).isEqualTo(401);
    }

    @Test
    void shouldListTheRosterToASignedMember() throws Exception {
        String mesh = broker.createMesh("ma-list");
        Identities.MemberKeys alice = broker.addMember(mesh, "alice", "\"roleTag\":\"dev\","
                + "\"defaultGroups\":[{\"name\":\"be\",\"role\":\"lead\"}]");
        Identities.MemberKeys bob = broker.addMember(mesh, "bob");
        ControlPlane.Hello a1 = hello(broker, alice, "d1");
        ControlPlane.Hello a2 = hello(broker, alice, "d2");
        ControlPlane.Hello b = hello(broker, bob, "d3");
        b.ws().close(); // bob's lease saves its peer state (lastSeenAt) and stays in grace

        HttpResponse<String> r = signedCall(bob, "GET", "/mesh/" + mesh + "/members", null);

        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        Map<String, Object> body = Json.object(r.body());
        assertThat(body.keySet()).containsExactly("ok", "members");
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> members = (List<Map<String, Object>>) body.get("members");
        assertThat(members).hasSize(2);
        Map<String, Object> first = members.get(0);
        assertThat(first.keySet()).containsExactly("id", "displayName", "roleTag", "groups", "messageMode",
                "permission", "dashboardUserId", "joinedAt", "online", "sessionCount");
        assertThat(first).containsEntry("id", alice.memberId()).containsEntry("displayName", "alice")
                .containsEntry("roleTag", "dev").containsEntry("groups", List.of(Map.of("name", "be", "role", "lead")))
                .containsEntry("messageMode", "push").containsEntry("permission", "member")
                .containsEntry("dashboardUserId", null).containsEntry("online", true)
                .containsEntry("sessionCount", 2L);
        assertThat((String) first.get("joinedAt")).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");
        Sql.await(broker.databaseUrl(), "select count(*) from mesh.peer_state where member_id = '" + bob.memberId()
                + "'", 1);
        Map<String, Object> bobRow = Json.object(signedCall(bob, "GET", "/mesh/" + mesh + "/members", null).body());
        @SuppressWarnings("unchecked")
        Map<String, Object> second = ((List<Map<String, Object>>) bobRow.get("members")).get(1);
        assertThat(second).containsEntry("id", bob.memberId()).containsKey("lastSeenAt")
                .containsEntry("online", true).containsEntry("sessionCount", 1L); // in grace still counts
        a1.ws().close();
        a2.ws().close();
    }

    @Test
    void shouldLetAMemberEditItselfPushProfileUpdatedAndChangeItsNextHello() throws Exception {
        String mesh = broker.createMesh("ma-edit");
        Identities.MemberKeys alice = broker.addMember(mesh, "alice");
        ControlPlane.Hello live = hello(broker, alice, "d1");
        String path = "/mesh/" + mesh + "/member/" + alice.memberId();
        String body = "{\"displayName\":\"Alice\",\"roleTag\":\"reviewer\",\"groups\":[{\"name\":\"be\"},"
                + "{\"name\":\"ops\",\"role\":\"lead\"}],\"messageMode\":\"inbox\",\"ignored\":1}";

        HttpResponse<String> r = signedCall(alice, "PATCH", path, body);

        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        Map<String, Object> answer = Json.object(r.body());
        assertThat(answer.keySet()).containsExactly("ok", "member", "changes");
        @SuppressWarnings("unchecked")
        Map<String, Object> member = (Map<String, Object>) answer.get("member");
        assertThat(member.keySet()).containsExactly("id", "displayName", "roleTag", "groups", "messageMode",
                "permission", "dashboardUserId", "joinedAt", "lastSeenAt");
        assertThat(member).containsEntry("displayName", "Alice").containsEntry("roleTag", "reviewer")
                .containsEntry("messageMode", "inbox").containsEntry("lastSeenAt", null);
        Map<String, Object> changes = Map.of("displayName", "Alice", "roleTag", "reviewer", "groups",
                List.of(Map.of("name", "be"), Map.of("name", "ops", "role", "lead")), "messageMode", "inbox");
        assertThat(answer.get("changes")).isEqualTo(changes);
        assertThat(event(live.ws(), "profile_updated")).isEqualTo(changes);

        ControlPlane.Hello next = hello(broker, alice, "d2");
        assertThat(next.ackJson()).containsEntry("memberDisplayName", "Alice").containsEntry("memberProfile",
                Map.of("roleTag", "reviewer", "groups", changes.get("groups"), "messageMode", "inbox"));
        Sql.await(broker.databaseUrl(), "select count(*) from mesh.audit_log where mesh_id = '" + mesh + "' and "
                + "event_type = 'member_updated' and payload_canonical = '{\"fields\":[\"displayName\",\"roleTag\","
                + "\"groups\",\"messageMode\"],\"memberId\":\"" + alice.memberId() + "\"}'", 1);
        live.ws().close();
        next.ws().close();
    }

    @Test
    void shouldApplyTheOriginalsAuthorizationWithItsTexts() throws Exception {
        String mesh = broker.createMesh("ma-authz");
        Identities.MemberKeys alice = broker.addMember(mesh, "alice");
        Identities.MemberKeys bob = broker.addMember(mesh, "bob");
        Identities.MemberKeys root = admin(mesh);
        String alicePath = "/mesh/" + mesh + "/member/" + alice.memberId();

        assertRefused(signedCall(alice, "PATCH", "/mesh/" + mesh + "/member/" + bob.memberId(), "{\"roleTag\":\"x\"}"),
                400, "not authorized — only admins or self can edit");
        assertRefused(signedCall(alice, "PATCH", alicePath, "{\"permission\":\"admin\"}"), 400,
                "admin-managed fields: permission");
        assertRefused(signedCall(alice, "PATCH", alicePath, "{}"), 400, "no fields to update");
        assertRefused(signedCall(alice, "PATCH", "/mesh/" + mesh + "/settings", "{\"selfEditable\":{}}"), 400,
                "admin access required");

        HttpResponse<String> policy = signedCall(root, "PATCH", "/mesh/" + mesh + "/settings",
                "{\"selfEditable\":{\"displayName\":true,\"roleTag\":false,\"groups\":false,\"messageMode\":true}}");
        assertThat(policy.statusCode()).as(policy.body()).isEqualTo(200);
        assertThat(policy.body()).isEqualTo("{\"ok\":true}");
        assertRefused(signedCall(alice, "PATCH", alicePath, "{\"roleTag\":\"x\",\"groups\":[]}"), 400,
                "admin-managed fields: roleTag, groups");
        assertThat(signedCall(alice, "PATCH", alicePath, "{\"messageMode\":\"off\"}").statusCode()).isEqualTo(200);
        HttpResponse<String> byAdmin = signedCall(root, "PATCH", alicePath, "{\"roleTag\":\"lead\","
                + "\"permission\":\"admin\"}");
        assertThat(byAdmin.statusCode()).as(byAdmin.body()).isEqualTo(200);
        assertThat(byAdmin.body()).contains("\"permission\":\"admin\"").endsWith("\"changes\":{\"roleTag\":\"lead\"}}");
        assertRefused(signedCall(root, "PATCH", "/mesh/" + mesh + "/settings", "{}"), 400, "no settings to update");
    }

    /**
     * A role change through the member API ({@code permission}) takes moderation's one path: the last admin is never
     * demoted (refused, nothing of the request written), a change is audited {@code member_role_changed} like the
     * operator's, and the admin API sees the same rule afterwards.
     */
    @Test
    void shouldChangeRolesThroughModerationsPathAndNeverDemoteTheLastAdmin() throws Exception {
        String mesh = broker.createMesh("ma-role");
        Identities.MemberKeys alice = broker.addMember(mesh, "alice");
        Identities.MemberKeys root = admin(mesh);
        String rootPath = "/mesh/" + mesh + "/member/" + root.memberId();
        String alicePath = "/mesh/" + mesh + "/member/" + alice.memberId();
        String lastAdmin = "member " + root.memberId() + " is the last admin of its mesh: make another member admin "
                + "first";

        // the only admin demotes itself, with a profile field in the same request: refused, nothing written
        assertRefused(signedCall(root, "PATCH", rootPath, "{\"roleTag\":\"gone\",\"permission\":\"member\"}"), 400,
                lastAdmin);
        assertThat(Sql.string(broker.databaseUrl(), "select role || '/' || coalesce(role_tag, '-') from mesh.member "
                + "where id = '" + root.memberId() + "'")).isEqualTo("admin/-");

        // an admin makes alice admin: audited as moderation audits a role change, acted by the caller
        HttpResponse<String> promote = signedCall(root, "PATCH", alicePath, "{\"permission\":\"admin\"}");
        assertThat(promote.statusCode()).as(promote.body()).isEqualTo(200);
        assertThat(promote.body()).contains("\"permission\":\"admin\"");
        Sql.await(broker.databaseUrl(), "select count(*) from mesh.audit_log where mesh_id = '" + mesh + "' and "
                + "event_type = 'member_role_changed' and actor_id = '" + root.memberId() + "' and payload_canonical = "
                + "'{\"pubkey\":\"" + alice.keys().publicKeyHex() + "\",\"role\":\"admin\",\"via\":\"member_api\"}'", 1);
        assertThat(Sql.count(broker.databaseUrl(), "select count(*) from mesh.audit_log where mesh_id = '" + mesh
                + "' and event_type = 'member_updated'")).isZero();
        // the same role again changes nothing and records nothing
        assertThat(signedCall(root, "PATCH", alicePath, "{\"permission\":\"admin\"}").statusCode()).isEqualTo(200);

        // with two admins, one may step down; then the other is the last one, for every surface
        HttpResponse<String> stepDown = signedCall(root, "PATCH", rootPath, "{\"permission\":\"member\"}");
        assertThat(stepDown.statusCode()).as(stepDown.body()).isEqualTo(200);
        assertRefused(signedCall(alice, "PATCH", alicePath, "{\"permission\":\"member\"}"), 400,
                "member " + alice.memberId() + " is the last admin of its mesh: make another member admin first");
        assertThat(broker.admin("POST", "/admin/meshes/" + mesh + "/members/" + alice.memberId() + "/role",
                "{\"role\":\"member\"}").statusCode()).isEqualTo(409);
        // and the demoted member lost its admin rights at once
        assertRefused(signedCall(root, "PATCH", alicePath, "{\"permission\":\"member\"}"), 400,
                "not authorized — only admins or self can edit");
        Sql.await(broker.databaseUrl(), "select count(*) from mesh.audit_log where mesh_id = '" + mesh + "' and "
                + "event_type = 'member_role_changed'", 2);
        assertThat(Sql.string(broker.databaseUrl(), "select string_agg(role, ',' order by display_name) from "
                + "mesh.member where mesh_id = '" + mesh + "'")).isEqualTo("admin,member");
    }

    @Test
    void shouldRefuseBadInputWith400() throws Exception {
        String mesh = broker.createMesh("ma-input");
        Identities.MemberKeys alice = broker.addMember(mesh, "alice");
        String path = "/mesh/" + mesh + "/member/" + alice.memberId();

        assertRefused(signedCall(alice, "PATCH", path, "{not json"), 400, "bad json");
        assertRefused(signedCall(alice, "PATCH", path, "{\"displayName\":\"\"}"), 400,
                "displayName must be a non-empty string");
        assertRefused(signedCall(alice, "PATCH", path, "{\"roleTag\":7}"), 400, "roleTag must be a string or null");
        assertRefused(signedCall(alice, "PATCH", path, "{\"groups\":[{\"role\":\"x\"}]}"), 400,
                "groups must be an array of {name, role?} with non-empty string names");
        assertRefused(signedCall(alice, "PATCH", path, "{\"messageMode\":\"loud\"}"), 400,
                "messageMode must be one of inbox, off, push");
        assertRefused(signedCall(alice, "PATCH", path, "{\"permission\":\"owner\"}"), 400,
                "permission must be one of admin, member");
        assertRefused(signedCall(alice, "PATCH", "/mesh/" + mesh + "/settings", "{\"selfEditable\":{\"x\":true}}"),
                400, "selfEditable must be an object of booleans with keys displayName, roleTag, groups, messageMode");
    }

    @Test
    void shouldRefuseEveryBadCredentialWithItsCode() throws Exception {
        String mesh = broker.createMesh("ma-cred");
        String other = broker.createMesh("ma-cred-other");
        Identities.MemberKeys alice = broker.addMember(mesh, "alice");
        Identities.MemberKeys stranger = broker.addMember(other, "stranger");
        String path = "/mesh/" + mesh + "/members";
        long now = System.currentTimeMillis();

        Map<String, String> good = signed(alice, "GET", path, null, now);
        assertThat(call("GET", path, null, good).statusCode()).isEqualTo(200);
        assertRefused(call("GET", path, null, good), 401, "credential rejected: replayed");
        assertRefused(call("GET", path, null, signed(alice, "GET", path, null, now - 120_000)), 401,
                "credential rejected: timestamp_skew");
        Map<String, String> malformed = Map.of("X-Member-Id", alice.memberId(), "X-Member-Timestamp", "soon",
                "X-Member-Signature", "ab");
        assertRefused(call("GET", path, null, malformed), 401, "credential rejected: malformed");
        // signed for another path, or another body: the signature does not cover this request
        assertRefused(call("GET", path, null, signed(alice, "GET", "/mesh/" + other + "/members", null, now + 1)),
                401, "credential rejected: bad_signature");
        assertRefused(call("PATCH", "/mesh/" + mesh + "/member/" + alice.memberId(), "{\"roleTag\":\"b\"}",
                signed(alice, "PATCH", "/mesh/" + mesh + "/member/" + alice.memberId(), "{\"roleTag\":\"a\"}",
                        now + 2)), 401, "credential rejected: bad_signature");
        // a member of another mesh, an unknown member, a revoked member
        assertRefused(signedCall(stranger, "GET", path, null), 401, "credential rejected: unauthorized");
        assertRefused(signedCall(new Identities.MemberKeys(mesh, "X".repeat(32), Ed25519.generate()), "GET", path,
                null), 401, "credential rejected: unauthorized");
        assertThat(broker.admin("POST", "/admin/meshes/" + mesh + "/members/" + alice.memberId() + "/revoke", null)
                .statusCode()).isEqualTo(200);
        assertRefused(signedCall(alice, "GET", path, null), 401, "credential rejected: unauthorized");
    }

    private static void assertRefused(HttpResponse<String> r, int status, String error) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(Json.object(r.body())).isEqualTo(Map.of("ok", false, "error", error));
    }
}
