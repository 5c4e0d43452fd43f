package dev.claudemesh.broker.core.memory;

import dev.claudemesh.broker.core.envelope.Inbound;
import dev.claudemesh.broker.core.envelope.JsonNode;
import dev.claudemesh.broker.core.mesh.MeshContext;
import dev.claudemesh.broker.core.mesh.MessageHandler;
import dev.claudemesh.broker.core.mesh.PeerSession;
import dev.claudemesh.broker.core.workspace.Rejections;
import dev.claudemesh.broker.core.workspace.RequestFields;

import java.util.List;

/**
 * {@code recall {query}} (PROTOCOL-MESH §5.2) → {@code memory_results}, then {@code memory_recall_result} with the
 * same rows for the CLI's daemon (§5.6 [fix]): full-text matches, best first, at most
 * {@link MemoryLimits#RECALL_LIMIT}. An empty query matches nothing (without a database call). A query that
 * is not a string, or longer than the content limit → {@code bad_request}; a store failure → {@code internal_error}.
 * Stateless; mesh loop.
 */
final class RecallHandler implements MessageHandler<MeshMemory> {

    @Override
    public void handle(MeshMemory memory, PeerSession from, Inbound in) {
        MeshContext mesh = memory.mesh;
        JsonNode.ObjectNode body = in.body();
        String query;
        try {
            query = RequestFields.optionalText(body, "query", memory.limits.maxContentChars());
            if (query == null) {
                throw new RequestFields.BadRequest("query is required");
            }
        } catch (RequestFields.BadRequest e) {
            Rejections.reject(mesh, from, in, Rejections.BAD_REQUEST, e.getMessage());
            return;
        }
        String meshId = mesh.meshId();
        MemoryStore store = memory.store;
        // an empty query matches nothing; it still takes the storage lane so that replies keep the requests' order
        mesh.onLoop(mesh.storage(() -> query.isBlank() ? List.<Memory>of()
                : store.recall(meshId, query, MemoryLimits.RECALL_LIMIT)), (rows, failure) -> {
            if (failure != null) {
                Rejections.failed(mesh, from, in, failure, "the memory could not be searched");
                return;
            }
            from.reply(MemoryFrames.results(rows, in));
            from.reply(MemoryFrames.recallResult(rows, in));
        });
    }
}
