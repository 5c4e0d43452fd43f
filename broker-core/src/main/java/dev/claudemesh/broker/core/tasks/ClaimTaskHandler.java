package dev.claudemesh.broker.core.tasks;

import dev.claudemesh.broker.core.Ids;
import dev.claudemesh.broker.core.envelope.Inbound;
import dev.claudemesh.broker.core.mesh.Lease;
import dev.claudemesh.broker.core.mesh.MeshContext;
import dev.claudemesh.broker.core.mesh.MessageHandler;
import dev.claudemesh.broker.core.mesh.PeerSession;
import dev.claudemesh.broker.core.workspace.Rejections;
import dev.claudemesh.broker.core.workspace.RequestFields;

/**
 * {@code claim_task {taskId}} (PROTOCOL-MESH §6.2): one conditional update in the store claims the task only if it is
 * in the mesh and {@code open} (any member may claim, whoever the assignee), so of two concurrent claimers exactly
 * one wins, across brokers too. Success → the mesh's whole unfiltered {@code task_list}, read after the claim
 * committed; failure → {@code error{code:"task_not_claimable"}}. A missing {@code taskId} → {@code bad_request}; a
 * store failure → {@code internal_error}. Stateless; mesh loop.
 */
final class ClaimTaskHandler implements MessageHandler<MeshTasks> {

    @Override
    public void handle(MeshTasks tasks, PeerSession from, Inbound in) {
        MeshContext mesh = tasks.mesh;
        String taskId;
        try {
            taskId = MeshTasks.taskId(in);
        } catch (RequestFields.BadRequest e) {
            Rejections.reject(mesh, from, in, Rejections.BAD_REQUEST, e.getMessage());
            return;
        }
        Lease lease = from.lease();
        String presenceId = lease.presenceId();
        String memberName = lease.member().displayName();
        String meshId = mesh.meshId();
        long nowMs = mesh.nowMs();
        TaskStore store = tasks.store;
        mesh.onLoop(mesh.storage(() -> Ids.isId(taskId) && store.claim(meshId, taskId, presenceId, memberName, nowMs)
                ? MeshTasks.wholeList(store, meshId, in) : null), (list, failure) -> {
                    if (failure != null) {
                        Rejections.failed(mesh, from, in, failure, "the task could not be claimed");
                    } else if (list == null) {
                        Rejections.reject(mesh, from, in, "task_not_claimable", "task is not open or does not exist");
                    } else {
                        from.reply(list);
                    }
                });
    }
}
