package dev.claudemesh.broker.core.tasks;

import dev.claudemesh.broker.core.envelope.Inbound;
import dev.claudemesh.broker.core.envelope.JsonNode;
import dev.claudemesh.broker.core.mesh.MeshContext;
import dev.claudemesh.broker.core.mesh.MessageHandler;
import dev.claudemesh.broker.core.mesh.PeerSession;
import dev.claudemesh.broker.core.workspace.Rejections;
import dev.claudemesh.broker.core.workspace.RequestFields;

/**
 * {@code list_tasks {status?, assignee?}} (PROTOCOL-MESH §6.4) → {@code task_list}: the mesh's tasks newest first,
 * at most {@link TaskLimits#LIST_LIMIT}, filtered by exact status and assignee when given. Filters that are not
 * strings → {@code bad_request}; a store failure → {@code internal_error}. Stateless; mesh loop.
 */
final class ListTasksHandler implements MessageHandler<MeshTasks> {

    @Override
    public void handle(MeshTasks tasks, PeerSession from, Inbound in) {
        MeshContext mesh = tasks.mesh;
        JsonNode.ObjectNode body = in.body();
        String status;
        String assignee;
        try {
            status = RequestFields.optionalText(body, "status", tasks.limits.maxTextChars());
            assignee = RequestFields.optionalText(body, "assignee", tasks.limits.maxTextChars());
        } catch (RequestFields.BadRequest e) {
            Rejections.reject(mesh, from, in, Rejections.BAD_REQUEST, e.getMessage());
            return;
        }
        String meshId = mesh.meshId();
        TaskStore store = tasks.store;
        mesh.onLoop(mesh.storage(() -> TaskFrames.list(store.list(meshId, status, assignee, TaskLimits.LIST_LIMIT),
                in)), (frame, failure) -> {
                    if (failure != null) {
                        Rejections.failed(mesh, from, in, failure, "the tasks could not be read");
                        return;
                    }
                    from.reply(frame);
                });
    }
}
