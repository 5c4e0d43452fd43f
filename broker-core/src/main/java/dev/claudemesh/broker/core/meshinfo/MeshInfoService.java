package dev.claudemesh.broker.core.meshinfo;

import dev.claudemesh.broker.core.envelope.Frames;
import dev.claudemesh.broker.core.envelope.Inbound;
import dev.claudemesh.broker.core.envelope.JsonOut;
import dev.claudemesh.broker.core.mesh.Lease;
import dev.claudemesh.broker.core.mesh.MeshContext;
import dev.claudemesh.broker.core.mesh.MeshService;
import dev.claudemesh.broker.core.mesh.PeerSession;
import dev.claudemesh.broker.core.model.GroupRole;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * {@code mesh_info} (PROTOCOL-MESH §10.1) →
 * {@code {"type":"mesh_info_result","mesh","peers","groups","stateKeys","memoryCount","fileCount","tasks","streams",
 * "tables","collections","yourName","yourGroups","_reqId"?}}. {@code mesh} is the mesh id; {@code peers} counts the
 * mesh's leases (live and in grace: their presence rows are still connected; control-plane and hidden ones included);
 * {@code groups} are the distinct group names over them, {@code @}-prefixed, in connection order; {@code tasks}
 * starts from {@code open}, {@code claimed}, {@code done} at zero and adds a key per other status found;
 * {@code collections} is always empty; {@code yourName} is the name of the first lease whose key is the caller's
 * (its own, normally), {@code yourGroups} the caller lease's groups. The counts come from the store; the lease
 * figures are read on the loop when the store has answered. Any member may ask. Stateless; thread-safe.
 */
public final class MeshInfoService implements MeshService<MeshContext> {

    private static final Logger log = LoggerFactory.getLogger(MeshInfoService.class);

    private final MeshInfoStore store;

    public MeshInfoService(MeshInfoStore store) {
        this.store = Objects.requireNonNull(store, "store");
    }

    @Override
    public String name() {
        return "mesh_info";
    }

    @Override
    public void registerHandlers(Registrar<MeshContext> r) {
        r.handle("mesh_info", this::handle);
    }

    /** No state of its own: the context is enough. */
    @Override
    public MeshContext createMeshState(MeshContext mesh) {
        return mesh;
    }

    private void handle(MeshContext mesh, PeerSession from, Inbound in) {
        String meshId = mesh.meshId();
        mesh.onLoop(mesh.storage(() -> store.counts(meshId)), (counts, failure) -> {
            if (failure != null) {
                log.warn("mesh {} conn {}: mesh_info failed: {}", meshId, from.connection().id(), failure.toString());
                mesh.error(from, in, "internal_error", "mesh info is unavailable right now");
                return;
            }
            from.reply(reply(mesh, from.lease(), counts, in));
        });
    }

    static byte[] reply(MeshContext mesh, Lease caller, MeshInfoStore.Counts counts, Inbound in) {
        Set<String> groups = new LinkedHashSet<>();
        String yourName = null;
        for (Lease l : mesh.leases().all()) {
            for (GroupRole g : l.groups()) {
                groups.add("@" + g.name());
            }
            if (yourName == null && l.routingKey().equals(caller.routingKey())) {
                yourName = l.displayName();
            }
        }
        Map<String, Long> tasks = new LinkedHashMap<>();
        tasks.put("open", 0L);
        tasks.put("claimed", 0L);
        tasks.put("done", 0L);
        counts.tasksByStatus().entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(e -> tasks.put(e.getKey(), e.getValue()));
        JsonOut o = Frames.beginReply("mesh_info_result").field("mesh", mesh.meshId())
                .field("peers", mesh.leases().size());
        strings(o.name("groups"), groups);
        strings(o.name("stateKeys"), counts.stateKeys());
        o.field("memoryCount", counts.memoryCount()).field("fileCount", counts.fileCount()).name("tasks").beginObject();
        tasks.forEach(o::field);
        o.endObject();
        strings(o.name("streams"), counts.streams());
        strings(o.name("tables"), counts.tables());
        o.name("collections").beginArray().endArray()
                .field("yourName", yourName != null ? yourName : "unknown")
                .name("yourGroups");
        Frames.groups(o, caller.groups());
        return Frames.endReply(o, in);
    }

    private static void strings(JsonOut o, Iterable<String> values) {
        o.beginArray();
        for (String v : values) {
            o.value(v);
        }
        o.endArray();
    }
}
