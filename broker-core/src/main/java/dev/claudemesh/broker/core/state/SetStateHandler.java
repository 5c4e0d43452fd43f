package dev.claudemesh.broker.core.state;

import dev.claudemesh.broker.core.audit.AuditEvent;
import dev.claudemesh.broker.core.envelope.Inbound;
import dev.claudemesh.broker.core.envelope.JsonNode;
import dev.claudemesh.broker.core.envelope.JsonOut;
import dev.claudemesh.broker.core.mesh.Lease;
import dev.claudemesh.broker.core.mesh.MeshContext;
import dev.claudemesh.broker.core.mesh.MessageHandler;
import dev.claudemesh.broker.core.mesh.PeerSession;
import dev.claudemesh.broker.core.port.Fanout;
import dev.claudemesh.broker.core.workspace.Rejections;
import dev.claudemesh.broker.core.workspace.RequestFields;
import dev.claudemesh.broker.core.workspace.StoredJson;

/**
 * {@code set_state {key, value}} (PROTOCOL-MESH §4.1): upserts the entry and, once that committed, pushes
 * {@code state_change} to every other lease of the mesh (the writer's siblings included; leases in grace get
 * nothing) and audits {@code state_set} with the key only (§4.6 [fix]: no values in the audit log).
 *
 * <p><b>No reply on success</b>, and there must not be one: the cold-path CLI would hand a reply to its next pending
 * {@code get_state}. Bad input (a missing, empty or too long key, a missing or too large value) is answered
 * {@code bad_request} (§4.6 [fix]); a new key over the mesh's cap {@code limit_exceeded}; a store failure
 * {@code internal_error}. Stateless; mesh loop.</p>
 */
final class SetStateHandler implements MessageHandler<SharedState> {

    @Override
    public void handle(SharedState state, PeerSession from, Inbound in) {
        MeshContext mesh = state.mesh;
        JsonNode.ObjectNode body = in.body();
        String key;
        try {
            key = state.key(body);
        } catch (RequestFields.BadRequest e) {
            Rejections.reject(mesh, from, in, Rejections.BAD_REQUEST, e.getMessage());
            return;
        }
        JsonNode value = body.get("value");
        String problem = value == null ? "value is required" : valueProblem(value, state.limits.maxValueBytes());
        if (problem != null) {
            Rejections.reject(mesh, from, in, Rejections.BAD_REQUEST, problem);
            return;
        }
        String valueJson = new JsonOut().value(value).toString();
        Lease writer = from.lease();
        String presenceId = writer.presenceId();
        String memberName = memberName(writer);
        String memberId = writer.member().id();
        String meshId = mesh.meshId();
        long nowMs = mesh.nowMs();
        StateStore store = state.store;
        int maxEntries = state.limits.maxEntriesPerMesh();
        mesh.onLoop(mesh.storage(() -> store.upsert(meshId, key, valueJson, presenceId, memberName, nowMs,
                maxEntries)), (outcome, failure) -> {
                    if (failure != null) {
                        Rejections.failed(mesh, from, in, failure, "the state could not be stored");
                    } else if (outcome == StateStore.Upsert.FULL) {
                        Rejections.reject(mesh, from, in, Rejections.LIMIT_EXCEEDED, "the mesh holds "
                                + maxEntries + " state keys, the most allowed: a new key cannot be added"
                                + " (existing ones can be set)");
                    } else {
                        mesh.audit(memberId, new AuditEvent.StateSet(key));
                        byte[] change = StateFrames.stateChange(key, value, memberName);
                        Fanout out = mesh.loop().fanout();
                        for (Lease l : mesh.leases().all()) {
                            if (!l.presenceId().equals(presenceId)) {
                                mesh.send(out, l, change);
                            }
                        }
                        out.finish();
                    }
                });
    }

    /** Why {@code value} cannot be stored, or null. */
    private static String valueProblem(JsonNode value, int maxValueBytes) {
        String problem = RequestFields.jsonProblem(value);
        if (problem != null) {
            return "value " + problem;
        }
        long bytes = StoredJson.storedBytes(value);
        if (bytes < 0) {
            return "value " + StoredJson.numberProblem(value);
        }
        if (bytes > maxValueBytes) {
            return "value is " + bytes + " bytes as stored (the most is " + maxValueBytes + ")";
        }
        return null;
    }

    /** The member name of {@code lease} (PROTOCOL-MESH §0.1), {@code "unknown"} when it has none. */
    static String memberName(Lease lease) {
        String name = lease.member().displayName();
        return name == null ? StateFrames.UNKNOWN : name;
    }
}
