package dev.claudemesh.broker.core.tasks;

import dev.claudemesh.broker.core.mesh.MeshContext;
import dev.claudemesh.broker.core.mesh.MeshService;

import java.util.Objects;

/**
 * The task feature (PROTOCOL-MESH §6): registers {@code create_task}, {@code claim_task}, {@code complete_task} and
 * {@code list_tasks} and gives each mesh a {@link MeshTasks}. Immutable; the broker builds it once (broker-netty
 * {@code MeshServices}).
 */
public final class TaskService implements MeshService<MeshTasks> {

    private final TaskStore store;
    private final TaskLimits limits;

    public TaskService(TaskStore store, TaskLimits limits) {
        this.store = Objects.requireNonNull(store, "store");
        this.limits = Objects.requireNonNull(limits, "limits");
    }

    @Override
    public String name() {
        return "tasks";
    }

    @Override
    public void registerHandlers(Registrar<MeshTasks> r) {
        r.handle("create_task", new CreateTaskHandler());
        r.handle("claim_task", new ClaimTaskHandler());
        r.handle("complete_task", new CompleteTaskHandler());
        r.handle("list_tasks", new ListTasksHandler());
    }

    @Override
    public MeshTasks createMeshState(MeshContext mesh) {
        return new MeshTasks(mesh, store, limits);
    }
}
