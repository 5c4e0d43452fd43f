package dev.claudemesh.broker.core.tasks;

import dev.claudemesh.broker.core.Ids;
import dev.claudemesh.broker.core.envelope.Inbound;
import dev.claudemesh.broker.core.mesh.MeshContext;
import dev.claudemesh.broker.core.mesh.MessageHandler;
import dev.claudemesh.broker.core.mesh.PeerSession;
import dev.claudemesh.broker.core.workspace.Rejections;
import dev.claudemesh.broker.core.workspace.RequestFields;

/**
 * {@code complete_task {taskId, result?}} (PROTOCOL-MESH §6.3): marks any task of the mesh {@code done} with its
 * result, whatever its state and whoever claimed it (the original's behaviour; §6.7's optional hardening is not
 * enabled). Success → the mesh's whole unfiltered {@code task_list}; an unknown id →
 * {@code error{code:"task_not_found"}}. A missing {@code taskId} or a result that is not a string →
 * {@code bad_request}; a store failure → {@code internal_error}. Stateless; mesh loop.
 */
final class CompleteTaskHandler implements MessageHandler<MeshTasks> {

    @Override
    public void handle(MeshTasks tasks, PeerSession from, Inbound in) {
        MeshContext mesh = tasks.mesh;
        String taskId;
        String result;
        try {
            taskId = MeshTasks.taskId(in);
            result = RequestFields.optionalText(in.body(), "result", tasks.limits.maxTextChars());
        } catch (RequestFields.BadRequest e) {
            Rejections.reject(mesh, from, in, Rejections.BAD_REQUEST, e.getMessage());
            return;
        }
        String meshId = mesh.meshId();
        long nowMs = mesh.nowMs();
        TaskStore store = tasks.store;
        mesh.onLoop(mesh.storage(() -> Ids.isId(taskId) && store.complete(meshId, taskId, result, nowMs)
                ? MeshTasks.wholeList(store, meshId, in) : null), (list, failure) -> {
                    if (failure != null) {
                        Rejections.failed(mesh, from, in, failure, "the task could not be completed");
                    } else if (list == null) {
                        Rejections.reject(mesh, from, in, "task_not_found", "task not found in this mesh");
                    } else {
                        from.reply(list);
                    }
                });
    }
}
