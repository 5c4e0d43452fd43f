package dev.claudemesh.broker.core.memory;

import dev.claudemesh.broker.core.Ids;
import dev.claudemesh.broker.core.envelope.Inbound;
import dev.claudemesh.broker.core.envelope.JsonNode;
import dev.claudemesh.broker.core.mesh.MeshContext;
import dev.claudemesh.broker.core.mesh.MessageHandler;
import dev.claudemesh.broker.core.mesh.PeerSession;
import dev.claudemesh.broker.core.workspace.Rejections;

/**
 * {@code forget {memoryId}} (PROTOCOL-MESH §5.3): marks the row forgotten (soft; any member may forget any memory of
 * the mesh) and answers {@code {"type":"ack","id":<memoryId>,"messageId":<memoryId>,"queued":false}} once that
 * committed, whether the row existed or not. A missing or non-string {@code memoryId} → {@code bad_request} (§0.3
 * [fix]: the request has a reply); a store failure → {@code internal_error}. Stateless; mesh loop.
 */
final class ForgetHandler implements MessageHandler<MeshMemory> {

    @Override
    public void handle(MeshMemory memory, PeerSession from, Inbound in) {
        MeshContext mesh = memory.mesh;
        JsonNode.ObjectNode body = in.body();
        if (!(body.get("memoryId") instanceof JsonNode.StringNode s)) {
            Rejections.reject(mesh, from, in, Rejections.BAD_REQUEST,
                    body.has("memoryId") ? "memoryId must be a string" : "memoryId is required");
            return;
        }
        String memoryId = s.value();
        String meshId = mesh.meshId();
        long nowMs = mesh.nowMs();
        MemoryStore store = memory.store;
        // a string that is not an id names no row; it still takes the storage lane to keep the replies in order
        mesh.onLoop(mesh.storage(() -> Ids.isId(memoryId) && store.forget(meshId, memoryId, nowMs)),
                (forgotten, failure) -> {
                    if (failure != null) {
                        Rejections.failed(mesh, from, in, failure, "the memory could not be forgotten");
                        return;
                    }
                    from.reply(MemoryFrames.forgetAck(memoryId, in));
                });
    }
}
