package dev.claudemesh.broker.core.tasks;

import java.util.List;

/**
 * The task store port (PROTOCOL-MESH §6.5). Blocking (JDBC in broker-db): call it only through
 * {@link dev.claudemesh.broker.core.mesh.MeshContext#storage}, never on a loop. Every method returns once its change
 * is committed. Implementations are thread-safe, and their claims atomic across threads and brokers.
 */
public interface TaskStore {

    /** What {@link #create} did. */
    enum Create {
        /** The task was inserted. */
        STORED,
        /** The mesh holds the most tasks allowed and none of them is done: nothing was written. */
        FULL
    }

    /**
     * Inserts {@code task} into {@code meshId}, in one transaction that also deletes the mesh's tasks completed
     * before {@code doneBeforeMs} and, when the mesh holds {@code maxTasks} tasks, its oldest done tasks to make room
     * (refusing when there are none). The cap holds for concurrent writers too.
     */
    Create create(String meshId, NewTask task, int maxTasks, long doneBeforeMs);

    /**
     * Claims the task: one conditional update that succeeds only if the task is in the mesh and {@code open}, so of
     * concurrent claimers exactly one gets true.
     *
     * @param presenceId the claimer's presence id
     * @param memberName the claimer's member name
     */
    boolean claim(String meshId, String taskId, String presenceId, String memberName, long nowMs);

    /** Marks any task of the mesh {@code done} with {@code result} (nullable), whatever its state; false when none. */
    boolean complete(String meshId, String taskId, String result, long nowMs);

    /**
     * The mesh's tasks, newest first, at most {@code limit}, filtered by exact {@code status} and {@code assignee}
     * when they are not null.
     */
    List<Task> list(String meshId, String status, String assignee, int limit);
}
