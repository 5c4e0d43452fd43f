package dev.claudemesh.broker.core.context;

import dev.claudemesh.broker.core.Ids;
import dev.claudemesh.broker.core.audit.AuditChain;
import dev.claudemesh.broker.core.envelope.Frames;
import dev.claudemesh.broker.core.envelope.Inbound;
import dev.claudemesh.broker.core.envelope.JsonFields;
import dev.claudemesh.broker.core.envelope.JsonNode;
import dev.claudemesh.broker.core.envelope.JsonOut;
import dev.claudemesh.broker.core.mesh.Lease;
import dev.claudemesh.broker.core.mesh.MeshContext;
import dev.claudemesh.broker.core.mesh.MeshService;
import dev.claudemesh.broker.core.mesh.PeerSession;
import dev.claudemesh.broker.core.port.Fanout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Objects;

/**
 * Contexts (PROTOCOL-MESH §11.1, §11.2): {@code share_context}, {@code get_context}, {@code list_contexts}.
 *
 * <p>Kept from the original for compatibility (§16 defect 19): {@code context_shared} never carries {@code _reqId}
 * (the CLI sends {@code share_context} without one and waits for nothing), and every other lease of the mesh gets
 * {@code state_change} with key {@code _context:<member name>}, in the key space of shared state, although nothing is
 * written to the state table. A client that lists state keys must skip the {@code _context:} prefix itself.</p>
 *
 * <p>Beyond the original (§16 defect 20): at most {@link Limits#maxContextsPerMesh} contexts per mesh (a member's
 * first share over it is refused with {@code limit_exceeded}; updates always pass), lists capped at that number,
 * contexts not updated for {@link Limits#retentionMs} hidden and purged, and a missing or ill-typed field answered
 * {@code bad_request}. Replies and pushes go out once the store has answered.</p>
 *
 * <p>Stateless and thread-safe; the per-mesh state is the mesh's {@link MeshContext}. Handlers run on the mesh
 * loop.</p>
 */
public final class ContextService implements MeshService<MeshContext> {

    private static final Logger log = LoggerFactory.getLogger(ContextService.class);
    /** Most entries of {@code filesRead}, {@code keyFindings} or {@code tags}. */
    static final int MAX_LIST_ITEMS = 256;
    /** Most rows {@code get_context} returns (the original's page). */
    static final int FIND_LIMIT = 20;

    /**
     * The service's limits (settings). Immutable.
     *
     * @param maxContextsPerMesh contexts per mesh; {@code list_contexts} returns at most this many
     * @param retentionMs        a context not updated for this long is gone; 0 = kept for ever
     */
    public record Limits(int maxContextsPerMesh, long retentionMs) {
        public Limits {
            if (maxContextsPerMesh < 1) {
                throw new IllegalArgumentException("maxContextsPerMesh: " + maxContextsPerMesh + " (expected: > 0)");
            }
            if (retentionMs < 0) {
                throw new IllegalArgumentException("retentionMs: " + retentionMs + " (expected: >= 0)");
            }
        }
    }

    private final ContextStore store;
    private final Limits limits;

    public ContextService(ContextStore store, Limits limits) {
        this.store = Objects.requireNonNull(store, "store");
        this.limits = Objects.requireNonNull(limits, "limits");
    }

    @Override
    public String name() {
        return "contexts";
    }

    @Override
    public void registerHandlers(Registrar<MeshContext> r) {
        r.handle("share_context", this::share);
        r.handle("get_context", this::get);
        r.handle("list_contexts", this::list);
    }

    @Override
    public MeshContext createMeshState(MeshContext mesh) {
        return mesh;
    }

    private long sinceMs(long nowMs) {
        return limits.retentionMs() == 0 ? 0 : nowMs - limits.retentionMs();
    }

    /** {@code share_context {summary, filesRead?, keyFindings?, tags?}} → {@code context_shared {id}} and the push. */
    private void share(MeshContext mesh, PeerSession from, Inbound in) {
        JsonNode.ObjectNode body = in.body();
        Lease caller = from.lease();
        String peerName = caller.member().displayName();
        ContextStore.Share share;
        try {
            share = new ContextStore.Share(caller.member().id(), caller.presenceId(), peerName,
                    JsonFields.requiredText(body, "summary"),
                    JsonFields.stringArray(body, "filesRead", MAX_LIST_ITEMS),
                    JsonFields.stringArray(body, "keyFindings", MAX_LIST_ITEMS),
                    JsonFields.stringArray(body, "tags", MAX_LIST_ITEMS));
        } catch (JsonFields.BadField e) {
            reject(mesh, from, in, "bad_request", e.getMessage());
            return;
        }
        long nowMs = mesh.nowMs();
        String newId = Ids.newId(nowMs);
        mesh.onLoop(mesh.storage(() -> store.share(mesh.meshId(), newId, share, nowMs, limits.maxContextsPerMesh(),
                sinceMs(nowMs))), (id, failure) -> {
            if (failure != null) {
                storageFailed(mesh, from, in, failure);
                return;
            }
            if (id == null) {
                reject(mesh, from, in, "limit_exceeded",
                        "this mesh has " + limits.maxContextsPerMesh() + " contexts (the limit)");
                return;
            }
            // never with _reqId (§16 defect 19, kept)
            from.reply(new JsonOut(64).beginObject().field("type", "context_shared").field("id", id).endObject()
                    .toBytes());
            byte[] push = new JsonOut(96 + share.summary().length()).beginObject().field("type", "state_change")
                    .field("key", "_context:" + peerName).field("value", share.summary())
                    .field("updatedBy", peerName).endObject().toBytes();
            Fanout out = mesh.loop().fanout();
            for (Lease l : mesh.leases().all()) {
                if (l != caller) {
                    mesh.send(out, l, push);
                }
            }
            out.finish();
        });
    }

    /** {@code get_context {query}} → {@code context_results {contexts}}, newest first, at most 20. */
    private void get(MeshContext mesh, PeerSession from, Inbound in) {
        String query;
        try {
            query = JsonFields.requiredText(in.body(), "query");
        } catch (JsonFields.BadField e) {
            reject(mesh, from, in, "bad_request", e.getMessage());
            return;
        }
        long since = sinceMs(mesh.nowMs());
        mesh.onLoop(mesh.storage(() -> store.find(mesh.meshId(), query, FIND_LIMIT, since)), (rows, failure) -> {
            if (failure != null) {
                storageFailed(mesh, from, in, failure);
                return;
            }
            JsonOut o = new JsonOut(128 + 256 * rows.size()).beginObject().field("type", "context_results")
                    .name("contexts").beginArray();
            for (ContextStore.Context c : rows) {
                o.beginObject().field("peerName", c.peerName()).field("summary", c.summary()).name("filesRead");
                strings(o, c.filesRead());
                o.name("keyFindings");
                strings(o, c.keyFindings());
                o.name("tags");
                strings(o, c.tags());
                o.field("updatedAt", AuditChain.isoMillis(c.updatedAtMs())).endObject();
            }
            o.endArray();
            from.reply(Frames.endReply(o, in));
        });
    }

    /** {@code list_contexts} → {@code context_list {contexts}}, newest first. */
    private void list(MeshContext mesh, PeerSession from, Inbound in) {
        long since = sinceMs(mesh.nowMs());
        mesh.onLoop(mesh.storage(() -> store.list(mesh.meshId(), limits.maxContextsPerMesh(), since)),
                (rows, failure) -> {
                    if (failure != null) {
                        storageFailed(mesh, from, in, failure);
                        return;
                    }
                    JsonOut o = new JsonOut(128 + 160 * rows.size()).beginObject().field("type", "context_list")
                            .name("contexts").beginArray();
                    for (ContextStore.Context c : rows) {
                        o.beginObject().field("peerName", c.peerName()).field("summary", c.summary()).name("tags");
                        strings(o, c.tags());
                        o.field("updatedAt", AuditChain.isoMillis(c.updatedAtMs())).endObject();
                    }
                    o.endArray();
                    from.reply(Frames.endReply(o, in));
                });
    }

    private static void strings(JsonOut o, List<String> values) {
        o.beginArray();
        for (String v : values) {
            o.value(v);
        }
        o.endArray();
    }

    private static void reject(MeshContext mesh, PeerSession from, Inbound in, String code, String message) {
        mesh.error(from, in, code, message); // logs the one line of the refusal
    }

    private static void storageFailed(MeshContext mesh, PeerSession from, Inbound in, Throwable failure) {
        // the failure's class only: a driver message may quote values
        log.warn("conn {}: {} failed in mesh {}: {}", from.connection().id(), in.rawType, mesh.meshId(),
                failure.getClass().getSimpleName());
        mesh.error(from, in, "internal_error", "contexts are unavailable, try again");
    }
}
