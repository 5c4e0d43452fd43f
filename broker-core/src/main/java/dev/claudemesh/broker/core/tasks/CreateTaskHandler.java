package dev.claudemesh.broker.core.tasks;

import dev.claudemesh.broker.core.Ids;
import dev.claudemesh.broker.core.envelope.Inbound;
import dev.claudemesh.broker.core.envelope.JsonNode;
import dev.claudemesh.broker.core.mesh.MeshContext;
import dev.claudemesh.broker.core.mesh.MessageHandler;
import dev.claudemesh.broker.core.mesh.PeerSession;
import dev.claudemesh.broker.core.workspace.Rejections;
import dev.claudemesh.broker.core.workspace.RequestFields;

/**
 * {@code create_task {title, assignee?, priority?, tags?}} (PROTOCOL-MESH §6.1) → {@code task_created} with the new
 * task's id once it is committed: status {@code open}, priority {@code normal} unless given, assignee free text (not
 * checked against anyone). An empty title and fields of the wrong type → {@code bad_request} (§6.7 [fix]); a mesh at
 * its cap with no done task to drop → {@code limit_exceeded}; a store failure → {@code internal_error}. No push.
 * Stateless; mesh loop.
 */
final class CreateTaskHandler implements MessageHandler<MeshTasks> {

    /** Priority of a task created without one. */
    static final String DEFAULT_PRIORITY = "normal";

    @Override
    public void handle(MeshTasks tasks, PeerSession from, Inbound in) {
        MeshContext mesh = tasks.mesh;
        TaskLimits limits = tasks.limits;
        JsonNode.ObjectNode body = in.body();
        long nowMs = mesh.nowMs();
        NewTask task;
        try {
            String title = RequestFields.requiredText(body, "title", limits.maxTextChars());
            String assignee = RequestFields.optionalText(body, "assignee", limits.maxTextChars());
            String priority = RequestFields.optionalText(body, "priority", limits.maxTextChars());
            task = new NewTask(Ids.newId(nowMs), title, assignee, priority == null ? DEFAULT_PRIORITY : priority,
                    RequestFields.tags(body, "tags", limits.maxTags(), limits.maxTagChars()),
                    from.lease().member().displayName(), nowMs);
        } catch (RequestFields.BadRequest e) {
            Rejections.reject(mesh, from, in, Rejections.BAD_REQUEST, e.getMessage());
            return;
        }
        String meshId = mesh.meshId();
        int maxTasks = limits.maxTasksPerMesh();
        long doneBeforeMs = nowMs - limits.doneRetentionMs();
        TaskStore store = tasks.store;
        mesh.onLoop(mesh.storage(() -> store.create(meshId, task, maxTasks, doneBeforeMs)), (outcome, failure) -> {
            if (failure != null) {
                Rejections.failed(mesh, from, in, failure, "the task could not be stored");
            } else if (outcome == TaskStore.Create.FULL) {
                Rejections.reject(mesh, from, in, Rejections.LIMIT_EXCEEDED, "the mesh holds " + maxTasks
                        + " tasks, the most allowed, and none of them is done");
            } else {
                from.reply(TaskFrames.created(task.id(), in));
            }
        });
    }
}
