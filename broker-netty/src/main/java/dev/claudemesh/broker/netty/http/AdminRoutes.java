package dev.claudemesh.broker.netty.http;

import dev.claudemesh.broker.core.Ids;
import dev.claudemesh.broker.core.mesh.Broker;
import dev.claudemesh.broker.core.model.GroupRole;
import dev.claudemesh.broker.core.model.Member;
import dev.claudemesh.broker.core.model.MemberRole;
import dev.claudemesh.broker.core.model.Mesh;
import dev.claudemesh.broker.db.store.MembershipAdmin;
import io.netty.handler.codec.http.HttpResponseStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The membership routes of the admin API (DESIGN "Membership administration"), behind the admin token's area guard:
 * {@code POST /admin/meshes}, {@code POST /admin/meshes/{meshId}/members}, {@code POST
 * /admin/meshes/{meshId}/members/{memberId}/revoke}, {@code GET /admin/meshes/{meshId}/peers} and {@code GET
 * /admin/meshes/{meshId}/audit/verify}. Each handler validates the request on the event loop (400 {@code
 * {"error":"…"}} naming the field, 404 for an id that cannot exist) and then makes one call to the store on the
 * blocking pool; the effects on the running broker (member cache, 4002 close) follow the commit. Also
 * {@code POST /admin/meshes/{meshId}/members/{memberId}/role} and {@code …/unban} (PROTOCOL-MESH §9 roles and bans).
 *
 * <p>Thread-safe; handlers run on the event loop, the store calls on {@link BlockingCalls}.</p>
 */
final class AdminRoutes {

    private static final Logger log = LoggerFactory.getLogger(AdminRoutes.class);
    private static final String WHAT = "admin";
    private static final byte[] OK_TRUE = "{\"ok\":true}".getBytes(StandardCharsets.UTF_8);

    private final Broker broker;
    private final MembershipAdmin admin;
    private final BlockingCalls calls;

    /** {@code admin} tells the running broker about its changes (member cache, 4002 closes) through its listener. */
    AdminRoutes(Broker broker, MembershipAdmin admin, BlockingCalls calls) {
        this.broker = Objects.requireNonNull(broker, "broker");
        this.admin = Objects.requireNonNull(admin, "admin");
        this.calls = Objects.requireNonNull(calls, "calls");
    }

    /** {@code {"name","slug"}} → 201 {@code {"id","name","slug"}}; the mesh gets its owner keys (PROTOCOL §9). */
    void createMesh(HttpExchange x) {
        Map<String, Object> body = body(x);
        if (body == null) {
            return;
        }
        if (!(body.get("name") instanceof String name) || name.isBlank()) {
            x.sendError(HttpResponseStatus.BAD_REQUEST, "name required");
            return;
        }
        if (!(body.get("slug") instanceof String slug) || slug.isEmpty()) {
            x.sendError(HttpResponseStatus.BAD_REQUEST, "slug required");
            return;
        }
        if (!AdminFormats.validSlug(slug)) {
            x.sendError(HttpResponseStatus.BAD_REQUEST,
                    "slug must be 1-64 characters of a-z, 0-9 and '-', starting with a letter or digit");
            return;
        }
        calls.run(x, ErrorBody.PLAIN, WHAT, () -> {
            Mesh mesh = admin.createMesh(name, slug).mesh(); // the owner keys in the same transaction
            log.info("admin: mesh {} created (slug {})", mesh.id(), mesh.slug());
            return Answer.json(HttpResponseStatus.CREATED, AdminFormats.meshJson(mesh));
        });
    }

    /**
     * {@code {"pubkey","displayName","roleTag"?,"defaultGroups"?,"peerGrants"?,"role"?}} → 201
     * {@code {"id","meshId","pubkey","displayName","role"}}; {@code role} is {@code member} (default) or {@code admin}
     * (may moderate the mesh; the first admin is its owner); 409 on a taken key.
     */
    void addMember(HttpExchange x) {
        String meshId = x.param("meshId");
        Map<String, Object> body = body(x);
        if (body == null) {
            return;
        }
        Object rawPubkey = body.get("pubkey");
        String pubkey = rawPubkey instanceof String s ? AdminFormats.canonicalPubkey(s) : null;
        if (pubkey == null) {
            x.sendError(HttpResponseStatus.BAD_REQUEST, "pubkey must be 64 hex chars (32 bytes)");
            return;
        }
        if (!(body.get("displayName") instanceof String displayName) || displayName.isBlank()) {
            x.sendError(HttpResponseStatus.BAD_REQUEST, "displayName required");
            return;
        }
        Object rawRoleTag = body.get("roleTag");
        if (rawRoleTag != null && !(rawRoleTag instanceof String)) {
            x.sendError(HttpResponseStatus.BAD_REQUEST, "roleTag must be a string");
            return;
        }
        String roleTag = (String) rawRoleTag;
        MemberRole role = roleOf(x, body.get("role"), MemberRole.MEMBER);
        if (role == null) {
            return;
        }
        List<GroupRole> groups;
        Map<String, List<String>> grants;
        try {
            groups = groupsOf(body.get("defaultGroups"));
            grants = grantsOf(body.get("peerGrants"));
        } catch (IllegalArgumentException e) {
            x.sendError(HttpResponseStatus.BAD_REQUEST, e.getMessage());
            return;
        }
        if (!Ids.isId(meshId)) {
            x.sendError(HttpResponseStatus.NOT_FOUND, "mesh not found");
            return;
        }
        calls.run(x, ErrorBody.PLAIN, WHAT, () -> {
            Member m = admin.addMember(meshId, pubkey, displayName, roleTag, groups, grants, role);
            log.info("admin: member {} added to mesh {} as {}", m.id(), meshId, role.wire());
            return Answer.json(HttpResponseStatus.CREATED, AdminFormats.memberJson(m, role));
        });
    }

    /**
     * {@code {"role":"member"|"admin"}} → 200 {@code {"id","meshId","pubkey","displayName","role"}}; 404 for an unknown
     * member; 409 when it would demote the mesh's last admin. Audited {@code member_role_changed} when it changes.
     */
    void setRole(HttpExchange x) {
        String meshId = x.param("meshId");
        String memberId = x.param("memberId");
        Map<String, Object> body = body(x);
        if (body == null) {
            return;
        }
        Object raw = body.get("role");
        if (raw == null) {
            x.sendError(HttpResponseStatus.BAD_REQUEST, "role required (member or admin)");
            return;
        }
        MemberRole role = roleOf(x, raw, null);
        if (role == null) {
            return;
        }
        if (!Ids.isId(meshId) || !Ids.isId(memberId)) {
            x.sendError(HttpResponseStatus.NOT_FOUND, "member not found");
            return;
        }
        calls.run(x, ErrorBody.PLAIN, WHAT, () -> {
            Optional<Member> m = admin.setRole(meshId, memberId, role);
            if (m.isEmpty()) {
                return ErrorBody.PLAIN.answer(HttpResponseStatus.NOT_FOUND, "member not found");
            }
            log.info("admin: member {} of mesh {} has role {}", memberId, meshId, role.wire());
            return Answer.json(HttpResponseStatus.OK, AdminFormats.memberJson(m.get(), role));
        });
    }

    /**
     * → 200 {@code {"ok":true}}: the member's ban is lifted (audited {@code member_unbanned}), its next hello is
     * accepted. Idempotent; 404 for an unknown member.
     */
    void unbanMember(HttpExchange x) {
        String meshId = x.param("meshId");
        String memberId = x.param("memberId");
        if (!Ids.isId(meshId) || !Ids.isId(memberId)) {
            x.sendError(HttpResponseStatus.NOT_FOUND, "member not found");
            return;
        }
        calls.run(x, ErrorBody.PLAIN, WHAT, () -> {
            if (admin.unbanMember(meshId, memberId).isEmpty()) {
                return ErrorBody.PLAIN.answer(HttpResponseStatus.NOT_FOUND, "member not found");
            }
            log.info("admin: member {} of mesh {} unbanned", memberId, meshId);
            return Answer.json(HttpResponseStatus.OK, OK_TRUE);
        });
    }

    /** {@code v} as a role: {@code dflt} when absent; null after answering 400 when it is not one. */
    private static MemberRole roleOf(HttpExchange x, Object v, MemberRole dflt) {
        if (v == null) {
            return dflt;
        }
        MemberRole role = v instanceof String s ? MemberRole.of(s) : null;
        if (role == null) {
            x.sendError(HttpResponseStatus.BAD_REQUEST, "role must be member or admin");
        }
        return role;
    }

    /**
     * → 200 {@code {"ok":true}}; the member's live sockets close 4002 {@code banned} after the commit. The same path
     * as a mesh admin's {@code ban} (audited {@code member_banned}); 409 for the mesh's last admin.
     */
    void revokeMember(HttpExchange x) {
        String meshId = x.param("meshId");
        String memberId = x.param("memberId");
        if (!Ids.isId(meshId) || !Ids.isId(memberId)) {
            x.sendError(HttpResponseStatus.NOT_FOUND, "member not found");
            return;
        }
        calls.run(x, ErrorBody.PLAIN, WHAT, () -> {
            Optional<Member> revoked = admin.revokeMember(meshId, memberId);
            if (revoked.isEmpty()) {
                return ErrorBody.PLAIN.answer(HttpResponseStatus.NOT_FOUND, "member not found");
            }
            log.info("admin: member {} of mesh {} revoked", memberId, meshId);
            return Answer.json(HttpResponseStatus.OK, OK_TRUE);
        });
    }

    /**
     * → 200 {@code {"ok":true,"kicked":N,"sparedControlPlane":M}}: the member's session leases close 4001
     * {@code kicked} (audited {@code member_kicked}, as a mesh admin's {@code kick}; they may reconnect), its
     * control-plane leases are spared. 404 for an unknown member.
     */
    void kickMember(HttpExchange x) {
        String meshId = x.param("meshId");
        String memberId = x.param("memberId");
        if (!Ids.isId(meshId) || !Ids.isId(memberId)) {
            x.sendError(HttpResponseStatus.NOT_FOUND, "member not found");
            return;
        }
        calls.runAsync(x, ErrorBody.PLAIN, WHAT, () -> {
            boolean known = admin.listMembers(meshId).map(ms -> ms.stream().anyMatch(m -> m.id().equals(memberId)))
                    .orElse(false);
            if (!known) {
                return CompletableFuture.completedFuture(ErrorBody.PLAIN.answer(HttpResponseStatus.NOT_FOUND,
                        "member not found"));
            }
            return broker.kickMember(meshId, memberId).thenApply(n -> {
                log.info("admin: member {} of mesh {} kicked ({} leases, {} control-plane spared)", memberId, meshId,
                        n[0], n[1]);
                return Answer.json(HttpResponseStatus.OK, "{\"ok\":true,\"kicked\":" + n[0]
                        + ",\"sparedControlPlane\":" + n[1] + "}");
            });
        });
    }

    /** → 200 with the {@code peers_list} peers array, read on the mesh's loop. */
    void peers(HttpExchange x) {
        String meshId = x.param("meshId");
        if (!Ids.isId(meshId)) {
            x.sendError(HttpResponseStatus.NOT_FOUND, "mesh not found");
            return;
        }
        calls.runAsync(x, ErrorBody.PLAIN, WHAT, () -> admin.findMesh(meshId).isEmpty()
                ? CompletableFuture.completedFuture(ErrorBody.PLAIN.answer(HttpResponseStatus.NOT_FOUND,
                        "mesh not found"))
                : broker.peersJson(meshId).thenApply(json -> Answer.json(HttpResponseStatus.OK, json)));
    }

    /** → 200 {@code {"ok":true,"events":N}} or {@code {"ok":false,"events":N,"brokenAt":<id>}}. */
    void verifyAudit(HttpExchange x) {
        String meshId = x.param("meshId");
        if (!Ids.isId(meshId)) {
            x.sendError(HttpResponseStatus.NOT_FOUND, "mesh not found");
            return;
        }
        calls.run(x, ErrorBody.PLAIN, WHAT, () -> admin.findMesh(meshId).isEmpty()
                ? ErrorBody.PLAIN.answer(HttpResponseStatus.NOT_FOUND, "mesh not found")
                : Answer.json(HttpResponseStatus.OK, AdminFormats.verificationJson(admin.verifyAudit(meshId))));
    }

    /** The body as a JSON object, or null after answering 400. */
    private static Map<String, Object> body(HttpExchange x) {
        try {
            return x.bodyJson();
        } catch (JsonBody.BadJsonException e) {
            x.sendError(HttpResponseStatus.BAD_REQUEST, "bad json: body must be one JSON object");
            return null;
        }
    }

    /** {@code defaultGroups}: absent/null → none; else an array of {@code {"name", "role"?}}. */
    static List<GroupRole> groupsOf(Object v) {
        if (v == null) {
            return List.of();
        }
        String expected = "defaultGroups must be an array of {\"name\":\"…\",\"role\":\"…\"?}";
        if (!(v instanceof List<?> list)) {
            throw new IllegalArgumentException(expected);
        }
        List<GroupRole> out = new ArrayList<>(list.size());
        for (Object o : list) {
            if (!(o instanceof Map<?, ?> g) || !(g.get("name") instanceof String name) || name.isBlank()) {
                throw new IllegalArgumentException(expected);
            }
            Object role = g.get("role");
            if (role != null && !(role instanceof String)) {
                throw new IllegalArgumentException(expected);
            }
            out.add(new GroupRole(name, (String) role));
        }
        return out;
    }

    /**
     * {@code peerGrants}: absent/null → defaults for everyone; else {@code {"<64 hex sender member key>": ["dm",
     * …]}}. Keys are lowercased like every stored key, so that they match the sender's key when routing.
     */
    static Map<String, List<String>> grantsOf(Object v) {
        if (v == null) {
            return Map.of();
        }
        String expected = "peerGrants must be an object {\"<64 hex member pubkey>\":[\"dm\",\"broadcast\",…]}";
        if (!(v instanceof Map<?, ?> map)) {
            throw new IllegalArgumentException(expected);
        }
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            String key = AdminFormats.canonicalPubkey((String) e.getKey());
            if (key == null || !(e.getValue() instanceof List<?> caps)) {
                throw new IllegalArgumentException(expected);
            }
            List<String> list = new ArrayList<>(caps.size());
            for (Object c : caps) {
                if (!(c instanceof String s) || s.isEmpty()) {
                    throw new IllegalArgumentException(expected);
                }
                list.add(s);
            }
            out.put(key, List.copyOf(list));
        }
        return out;
    }
}
