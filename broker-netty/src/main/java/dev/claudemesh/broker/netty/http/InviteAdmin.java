package dev.claudemesh.broker.netty.http;

import dev.claudemesh.broker.core.Ids;
import dev.claudemesh.broker.db.store.CreatedInvite;
import dev.claudemesh.broker.db.store.InvitePreset;
import dev.claudemesh.broker.db.store.MembershipAdmin;
import dev.claudemesh.broker.db.store.NotFoundException;
import dev.claudemesh.broker.netty.ServerContext;
import io.netty.handler.codec.http.HttpResponseStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Objects;

/**
 * The invite routes of the admin API (PROTOCOL §9), behind the admin token's area guard:
 * <ul>
 *   <li>{@code POST /admin/meshes/{meshId}/invites} {@code {"maxUses"?,"expiresInS"?,"role"?,"preset"?}} → 201
 *       {@code {"id","token","link","expiresAt"}} (defaults: 1 use, 7 days, member);</li>
 *   <li>{@code POST /admin/meshes/{meshId}/invites/{inviteId}/revoke} → 200 {@code {"ok":true}}, also when it
 *       already was revoked.</li>
 * </ul>
 * Bad values → 400 {@code {"error":"…"}} (checked on the event loop, before any database work); unknown mesh or
 * invite → 404 {@code mesh not found} / {@code invite not found}; database down → 503. The invite's
 * {@code broker_url} is {@code BROKER_PUBLIC_URL}, else {@code ws://127.0.0.1:<bound port>/ws}.
 *
 * <p>Threads: parsing on the event loop, JDBC on {@link BlockingCalls}. Never logs tokens or links (they carry the
 * mesh root key). Thread-safe.</p>
 */
final class InviteAdmin {

    private static final Logger log = LoggerFactory.getLogger(InviteAdmin.class);
    private static final String WHAT = "admin invite";
    private static final byte[] OK_TRUE = "{\"ok\":true}".getBytes(StandardCharsets.UTF_8);

    private final ServerContext server;
    private final MembershipAdmin admin;
    private final BlockingCalls calls;

    /** {@code admin} moves the invite's audit event into the chain through its listener. */
    InviteAdmin(ServerContext server, MembershipAdmin admin, BlockingCalls calls) {
        this.server = Objects.requireNonNull(server, "server");
        this.admin = Objects.requireNonNull(admin, "admin");
        this.calls = Objects.requireNonNull(calls, "calls");
    }

    void create(HttpExchange x) {
        String meshId = x.param("meshId");
        Map<String, Object> body;
        try {
            body = x.body().isReadable() ? x.bodyJson() : Map.of();
        } catch (JsonBody.BadJsonException e) {
            x.sendError(HttpResponseStatus.BAD_REQUEST, "bad json: body must be one JSON object");
            return;
        }
        int maxUses;
        long expiresInS;
        String role;
        InvitePreset preset;
        try {
            maxUses = InviteFormats.maxUsesOf(body.get("maxUses"));
            expiresInS = InviteFormats.expiresInSOf(body.get("expiresInS"));
            role = InviteFormats.roleOf(body.get("role"));
            preset = InviteFormats.presetOf(body.get("preset"));
        } catch (IllegalArgumentException e) {
            x.sendError(HttpResponseStatus.BAD_REQUEST, e.getMessage());
            return;
        }
        if (!Ids.isId(meshId)) {
            x.sendError(HttpResponseStatus.NOT_FOUND, "mesh not found");
            return;
        }
        String brokerUrl = server.config().effectivePublicUrl(server.boundPort().getAsInt());
        calls.run(x, ErrorBody.PLAIN, WHAT, () -> {
            CreatedInvite inv = withShortNotFound(() -> admin.createInvite(meshId, brokerUrl,
                    new MembershipAdmin.InviteOptions(maxUses, expiresInS, role, preset)));
            log.info("admin: invite {} created for mesh {} (role {}, {} uses, expires {})", inv.id(), meshId, role,
                    maxUses, inv.expiresAtS());
            return Answer.json(HttpResponseStatus.CREATED, InviteFormats.createdJson(inv));
        });
    }

    void revoke(HttpExchange x) {
        String meshId = x.param("meshId");
        String inviteId = x.param("inviteId");
        if (!Ids.isId(meshId) || !Ids.isId(inviteId)) {
            x.sendError(HttpResponseStatus.NOT_FOUND, "invite not found");
            return;
        }
        calls.run(x, ErrorBody.PLAIN, WHAT, () -> {
            boolean now = withShortNotFound(() -> admin.revokeInvite(meshId, inviteId));
            if (now) {
                log.info("admin: invite {} of mesh {} revoked", inviteId, meshId);
            }
            return Answer.json(HttpResponseStatus.OK, OK_TRUE);
        });
    }

    /**
     * Runs {@code call}, saying a {@link NotFoundException} the way README documents for these routes: {@code mesh not
     * found} or {@code invite not found}, without the ids the repository puts in its message.
     */
    private static <T> T withShortNotFound(java.util.function.Supplier<T> call) {
        try {
            return call.get();
        } catch (NotFoundException e) {
            String m = e.getMessage();
            throw new NotFoundException(m != null && m.startsWith("invite") ? "invite not found" : "mesh not found");
        }
    }
}
