package dev.claudemesh.broker.netty.http;

import dev.claudemesh.broker.core.Ids;
import dev.claudemesh.broker.db.store.CreatedInvite;
import dev.claudemesh.broker.db.store.InvitePreset;
import dev.claudemesh.broker.db.store.InviteRepository;
import dev.claudemesh.broker.db.store.MeshKeys;
import dev.claudemesh.broker.db.store.NotFoundException;
import dev.claudemesh.broker.netty.ServerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Supplier;

/**
 * The invite routes of the admin API (PROTOCOL §9), reached through {@link HttpApi} after its bearer-token check:
 * <ul>
 *   <li>{@code POST /admin/meshes/{meshId}/invites} {@code {"maxUses"?,"expiresInS"?,"role"?,"preset"?}} → 201
 *       {@code {"id","token","link","expiresAt"}} (defaults: 1 use, 7 days, member);</li>
 *   <li>{@code POST /admin/meshes/{meshId}/invites/{id}/revoke} → 200 {@code {"ok":true}}, also when it already
 *       was revoked.</li>
 * </ul>
 * Bad values → 400 {@code {"error":"…"}} (checked on the event loop, before any database work); unknown mesh or
 * invite → 404; database down → 503. The invite's {@code broker_url} is {@code BROKER_PUBLIC_URL}, else
 * {@code ws://127.0.0.1:<bound port>/ws}.
 *
 * <p>Threads: parsing on the event loop, JDBC on {@link ServerContext#blocking()}, which writes the answer. Never logs
 * tokens or links (they carry the mesh root key). Thread-safe.</p>
 */
final class InviteAdmin {

    private static final Logger log = LoggerFactory.getLogger(InviteAdmin.class);

    static final String VIA = "admin_api";

    private final ServerContext server;
    /** Null when no database is configured (unit tests): every route is then 503. */
    private final InviteRepository invites;
    private final MeshKeys keys;
    private final EnrolmentAudit audit;

    InviteAdmin(ServerContext server, InviteRepository invites, MeshKeys keys, EnrolmentAudit audit) {
        this.server = Objects.requireNonNull(server, "server");
        this.invites = invites;
        this.keys = keys;
        this.audit = audit;
    }

    void create(FullHttpRequest req, String meshId, JsonReply reply) {
        Map<String, Object> body;
        try {
            body = req.content().isReadable() ? JsonBody.parseObject(req.content()) : Map.of();
        } catch (JsonBody.BadJsonException e) {
            error(reply, HttpResponseStatus.BAD_REQUEST, "bad json: body must be one JSON object");
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
            error(reply, HttpResponseStatus.BAD_REQUEST, e.getMessage());
            return;
        }
        if (!Ids.isId(meshId)) {
            error(reply, HttpResponseStatus.NOT_FOUND, "mesh not found");
            return;
        }
        String brokerUrl = server.config().effectivePublicUrl(server.boundPort().getAsInt());
        onBlocking(reply, () -> {
            CreatedInvite inv = invites.create(meshId, brokerUrl, maxUses, expiresInS, role, preset, VIA,
                    server.clock().millis());
            audit.drain();
            log.info("admin: invite {} created for mesh {} (role {}, {} uses, expires {})", inv.id(), meshId, role,
                    maxUses, inv.expiresAtS());
            return new Answer(HttpResponseStatus.CREATED, InviteFormats.createdJson(inv));
        });
    }

    void revoke(String meshId, String inviteId, JsonReply reply) {
        if (!Ids.isId(meshId) || !Ids.isId(inviteId)) {
            error(reply, HttpResponseStatus.NOT_FOUND, "invite not found");
            return;
        }
        onBlocking(reply, () -> {
            boolean now = invites.revoke(meshId, inviteId, VIA, server.clock().millis());
            if (now) {
                audit.drain();
                log.info("admin: invite {} of mesh {} revoked", inviteId, meshId);
            }
            return new Answer(HttpResponseStatus.OK, "{\"ok\":true}");
        });
    }

    /**
     * Gives a mesh just created its owner key pair and root key, so that it has them from the start (a mesh
     * without them gets them at its first invite anyway). Blocking; failures are logged, not thrown: the mesh
     * exists either way.
     */
    void meshCreated(String meshId) {
        if (keys == null) {
            return;
        }
        try {
            keys.ensure(meshId);
        } catch (RuntimeException e) {
            log.warn("mesh {}: owner key not created yet (will be at its first invite): {}", meshId,
                    e.getClass().getSimpleName());
        }
    }

    private record Answer(HttpResponseStatus status, String json) {
    }

    private void onBlocking(JsonReply reply, Supplier<Answer> work) {
        if (invites == null) {
            error(reply, HttpResponseStatus.SERVICE_UNAVAILABLE, "database unavailable");
            return;
        }
        try {
            server.blocking().execute(() -> {
                Answer a;
                try {
                    a = work.get();
                } catch (NotFoundException e) {
                    a = new Answer(HttpResponseStatus.NOT_FOUND, AdminFormats.errorJson(notFoundText(e)));
                } catch (IllegalArgumentException e) {
                    a = new Answer(HttpResponseStatus.BAD_REQUEST, AdminFormats.errorJson(e.getMessage()));
                } catch (MeshKeys.KeyUnavailableException e) {
                    log.error("admin: {}", e.getMessage());
                    a = new Answer(HttpResponseStatus.INTERNAL_SERVER_ERROR, AdminFormats.errorJson(e.getMessage()));
                } catch (RuntimeException e) {
                    if (JoinApi.isDatabaseFailure(e)) {
                        log.warn("admin: database unavailable: {}", e.getClass().getSimpleName());
                        a = new Answer(HttpResponseStatus.SERVICE_UNAVAILABLE,
                                AdminFormats.errorJson("database unavailable"));
                    } else {
                        log.error("admin invite operation failed", e);
                        a = new Answer(HttpResponseStatus.INTERNAL_SERVER_ERROR,
                                AdminFormats.errorJson("internal error"));
                    }
                }
                reply.send(a.status(), a.json().getBytes(StandardCharsets.UTF_8));
            });
        } catch (RejectedExecutionException e) {
            error(reply, HttpResponseStatus.SERVICE_UNAVAILABLE, "shutting down");
        }
    }

    /** "mesh not found" / "invite not found", as the other admin routes say it. */
    private static String notFoundText(NotFoundException e) {
        String m = e.getMessage();
        return m != null && m.startsWith("invite") ? "invite not found" : "mesh not found";
    }

    private static void error(JsonReply reply, HttpResponseStatus status, String message) {
        reply.send(status, AdminFormats.errorJson(message).getBytes(StandardCharsets.UTF_8));
    }
}
