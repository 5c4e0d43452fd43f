package dev.claudemesh.broker.core.tasks;

import dev.claudemesh.broker.core.envelope.Inbound;
import dev.claudemesh.broker.core.envelope.JsonNode;
import dev.claudemesh.broker.core.mesh.MeshContext;
import dev.claudemesh.broker.core.workspace.RequestFields;

import java.util.Objects;

/**
 * The task service's part of one mesh: its context, store and limits (the tasks live only in the store).
 * <b>Thread:</b> the mesh loop; the store is called through {@link MeshContext#storage}.
 */
public final class MeshTasks {

    final MeshContext mesh;
    final TaskStore store;
    final TaskLimits limits;

    MeshTasks(MeshContext mesh, TaskStore store, TaskLimits limits) {
        this.mesh = Objects.requireNonNull(mesh, "mesh");
        this.store = Objects.requireNonNull(store, "store");
        this.limits = Objects.requireNonNull(limits, "limits");
    }

    /** The request's {@code taskId}: a string (one that is not an id names no task). */
    static String taskId(Inbound in) throws RequestFields.BadRequest {
        JsonNode n = in.body().get("taskId");
        if (n == null || n instanceof JsonNode.NullNode) {
            throw new RequestFields.BadRequest("taskId is required");
        }
        if (!(n instanceof JsonNode.StringNode s)) {
            throw new RequestFields.BadRequest("taskId must be a string");
        }
        return s.value();
    }

    /** The mesh's whole task list as a {@code task_list} reply to {@code in} (blocking: a storage thread). */
    static byte[] wholeList(TaskStore store, String meshId, Inbound in) {
        return TaskFrames.list(store.list(meshId, null, null, TaskLimits.LIST_LIMIT), in);
    }
}
