package dev.claudemesh.broker.netty.http;

import dev.claudemesh.broker.core.Clock;
import dev.claudemesh.broker.core.Ids;
import dev.claudemesh.broker.core.audit.AuditChain;
import dev.claudemesh.broker.core.envelope.JsonOut;
import dev.claudemesh.broker.core.mesh.Broker;
import dev.claudemesh.broker.db.store.AdminListing;
import dev.claudemesh.broker.db.store.MembershipAdmin;
import io.netty.handler.codec.http.HttpResponseStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The listing and deletion routes of the admin API, behind the admin token's area guard (README "Admin API"):
 * <ul>
 *   <li>{@code GET /admin/meshes} → 200 {@code [{"id","name","slug","createdAt","members","activeMembers",
 *       "livePeers"}]}, oldest first;</li>
 *   <li>{@code GET /admin/meshes/{meshId}} → 200 the same object plus {@code "queue":{"depth","claimed",
 *       "oldestUndeliveredAt","oldestUndeliveredAgeMs"}} (the DMs the broker holds, not yet client-acked);</li>
 *   <li>{@code DELETE /admin/meshes/{meshId}} → 200 {@code {"ok":true,"deleted":{"members","invites","messages",
 *       "auditEvents"}}}: the mesh and everything of it; its peers are closed 4002 {@code mesh_deleted};</li>
 *   <li>{@code GET /admin/meshes/{meshId}/members} → 200 {@code [{"id","pubkey","displayName","roleTag"?,"role",
 *       "createdAt","revoked","revokedAt"?,"leases"}]};</li>
 *   <li>{@code GET /admin/meshes/{meshId}/invites} → 200 {@code [{"id","role","maxUses","usedCount","usesLeft",
 *       "createdAt","expiresAt","revoked","revokedAt"?,"state","link"}]}, newest first; {@code state} is
 *       {@code active}, {@code used_up}, {@code expired} or {@code revoked}.</li>
 * </ul>
 * An unknown mesh → 404 {@code mesh not found}; database down → 503. Never logs invite links (they carry the mesh
 * root key). Thread-safe; handlers on the event loop, JDBC on {@link BlockingCalls}, broker reads on mesh loops.
 */
final class MeshAdmin {

    private static final Logger log = LoggerFactory.getLogger(MeshAdmin.class);
    private static final String WHAT = "admin mesh";

    private final Broker broker;
    private final MembershipAdmin admin;
    private final BlockingCalls calls;
    private final Clock clock;

    /** {@code admin} tells the running broker about a deletion through its listener. */
    MeshAdmin(Broker broker, MembershipAdmin admin, BlockingCalls calls, Clock clock) {
        this.broker = Objects.requireNonNull(broker, "broker");
        this.admin = Objects.requireNonNull(admin, "admin");
        this.calls = Objects.requireNonNull(calls, "calls");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    void list(HttpExchange x) {
        calls.runAsync(x, ErrorBody.PLAIN, WHAT, () -> {
            List<AdminListing.MeshRow> meshes = admin.listMeshes();
            return broker.livePeerCounts().thenApply(live -> {
                JsonOut o = new JsonOut(128 + 160 * meshes.size()).beginArray();
                for (AdminListing.MeshRow m : meshes) {
                    mesh(o, m, live.getOrDefault(m.id(), 0)).endObject();
                }
                return Answer.json(HttpResponseStatus.OK, o.endArray().toBytes());
            });
        });
    }

    void get(HttpExchange x) {
        String meshId = x.param("meshId");
        if (!Ids.isId(meshId)) {
            x.sendError(HttpResponseStatus.NOT_FOUND, "mesh not found");
            return;
        }
        calls.runAsync(x, ErrorBody.PLAIN, WHAT, () -> {
            Optional<AdminListing.MeshRow> row = admin.meshRow(meshId);
            if (row.isEmpty()) {
                return notFound();
            }
            CompletableFuture<Map<String, Integer>> live = broker.livePeerCounts();
            return broker.queueStats(meshId).thenCombine(live, (q, counts) -> {
                JsonOut o = mesh(new JsonOut(512), row.get(), counts.getOrDefault(meshId, 0));
                long now = clock.millis();
                o.name("queue").beginObject().field("depth", q.depth()).field("claimed", q.claimed());
                if (q.oldestCreatedAtMs() >= 0) {
                    o.field("oldestUndeliveredAt", AuditChain.isoMillis(q.oldestCreatedAtMs()));
                } else {
                    o.name("oldestUndeliveredAt").nullValue();
                }
                o.field("oldestUndeliveredAgeMs", q.oldestAgeMs(now)).endObject();
                return Answer.json(HttpResponseStatus.OK, o.endObject().toBytes());
            });
        });
    }

    void delete(HttpExchange x) {
        String meshId = x.param("meshId");
        if (!Ids.isId(meshId)) {
            x.sendError(HttpResponseStatus.NOT_FOUND, "mesh not found");
            return;
        }
        calls.run(x, ErrorBody.PLAIN, WHAT, () -> {
            Optional<AdminListing.DeletedMesh> deleted = admin.deleteMesh(meshId);
            if (deleted.isEmpty()) {
                return ErrorBody.PLAIN.answer(HttpResponseStatus.NOT_FOUND, "mesh not found");
            }
            AdminListing.DeletedMesh d = deleted.get();
            log.info("admin: mesh {} deleted ({} members, {} invites, {} messages, {} audit events)", meshId,
                    d.members(), d.invites(), d.messages(), d.auditEvents());
            return Answer.json(HttpResponseStatus.OK, AdminFormats.deletedJson(d));
        });
    }

    void members(HttpExchange x) {
        String meshId = x.param("meshId");
        if (!Ids.isId(meshId)) {
            x.sendError(HttpResponseStatus.NOT_FOUND, "mesh not found");
            return;
        }
        calls.runAsync(x, ErrorBody.PLAIN, WHAT, () -> {
            Optional<List<AdminListing.MemberRow>> rows = admin.listMembers(meshId);
            if (rows.isEmpty()) {
                return notFound();
            }
            return broker.leaseCounts(meshId).thenApply(leases -> {
                JsonOut o = new JsonOut(128 + 256 * rows.get().size()).beginArray();
                for (AdminListing.MemberRow m : rows.get()) {
                    AdminFormats.memberRow(o, m).field("leases", leases.getOrDefault(m.id(), 0)).endObject();
                }
                return Answer.json(HttpResponseStatus.OK, o.endArray().toBytes());
            });
        });
    }

    void invites(HttpExchange x) {
        String meshId = x.param("meshId");
        if (!Ids.isId(meshId)) {
            x.sendError(HttpResponseStatus.NOT_FOUND, "mesh not found");
            return;
        }
        calls.run(x, ErrorBody.PLAIN, WHAT, () -> {
            Optional<List<AdminListing.InviteRow>> rows = admin.listInvites(meshId);
            if (rows.isEmpty()) {
                return ErrorBody.PLAIN.answer(HttpResponseStatus.NOT_FOUND, "mesh not found");
            }
            long now = clock.millis();
            JsonOut o = new JsonOut(128 + 1024 * rows.get().size()).beginArray();
            for (AdminListing.InviteRow i : rows.get()) {
                AdminFormats.inviteRow(o, i, now);
            }
            return Answer.json(HttpResponseStatus.OK, o.endArray().toBytes());
        });
    }

    /** Opens the mesh's object and writes its fields; the caller may add more and closes it. */
    private static JsonOut mesh(JsonOut o, AdminListing.MeshRow m, int livePeers) {
        return AdminFormats.meshRow(o, m).field("livePeers", livePeers);
    }

    private static CompletableFuture<Answer> notFound() {
        return CompletableFuture.completedFuture(ErrorBody.PLAIN.answer(HttpResponseStatus.NOT_FOUND,
                "mesh not found"));
    }
}
