package dev.claudemesh.broker.core.memory;

import dev.claudemesh.broker.core.Ids;
import dev.claudemesh.broker.core.envelope.Inbound;
import dev.claudemesh.broker.core.envelope.JsonNode;
import dev.claudemesh.broker.core.mesh.Lease;
import dev.claudemesh.broker.core.mesh.MeshContext;
import dev.claudemesh.broker.core.mesh.MessageHandler;
import dev.claudemesh.broker.core.mesh.PeerSession;
import dev.claudemesh.broker.core.workspace.Rejections;
import dev.claudemesh.broker.core.workspace.RequestFields;

import java.util.List;

/**
 * {@code remember {content, tags?}} (PROTOCOL-MESH §5.1) → {@code memory_stored} with the new row's {@code id} and,
 * the same value, {@code memoryId} (§5.6 [fix]: the daemon reads that one; without it every memory was stored twice),
 * once the row is committed. No push. Empty content or tags that are not an array of strings → {@code bad_request}
 * (§5.6 [fix]); a mesh at its cap with nothing forgotten to drop → {@code limit_exceeded}; a store failure →
 * {@code internal_error}. Stateless; mesh loop.
 */
final class RememberHandler implements MessageHandler<MeshMemory> {

    @Override
    public void handle(MeshMemory memory, PeerSession from, Inbound in) {
        MeshContext mesh = memory.mesh;
        MemoryLimits limits = memory.limits;
        JsonNode.ObjectNode body = in.body();
        String content;
        List<String> tags;
        try {
            content = RequestFields.requiredText(body, "content", limits.maxContentChars());
            tags = RequestFields.tags(body, "tags", limits.maxTags(), limits.maxTagChars());
        } catch (RequestFields.BadRequest e) {
            Rejections.reject(mesh, from, in, Rejections.BAD_REQUEST, e.getMessage());
            return;
        }
        Lease lease = from.lease();
        String memberId = lease.member().id();
        String memberName = lease.member().displayName();
        String meshId = mesh.meshId();
        long nowMs = mesh.nowMs();
        String id = Ids.newId(nowMs);
        int maxRows = limits.maxRowsPerMesh();
        long forgottenBeforeMs = nowMs - limits.forgottenRetentionMs();
        MemoryStore store = memory.store;
        mesh.onLoop(mesh.storage(() -> store.remember(meshId, id, content, tags, memberId, memberName, nowMs,
                maxRows, forgottenBeforeMs)), (outcome, failure) -> {
                    if (failure != null) {
                        Rejections.failed(mesh, from, in, failure, "the memory could not be stored");
                    } else if (outcome == MemoryStore.Remember.FULL) {
                        Rejections.reject(mesh, from, in, Rejections.LIMIT_EXCEEDED, "the mesh holds " + maxRows
                                + " memories, the most allowed: forget some first");
                    } else {
                        from.reply(MemoryFrames.stored(id, in));
                    }
                });
    }
}
