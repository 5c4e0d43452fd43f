package dev.claudemesh.broker.core.schedule;

import dev.claudemesh.broker.core.mesh.MeshContext;
import dev.claudemesh.broker.core.mesh.MeshService;

import java.util.Collection;
import java.util.Objects;

/**
 * The scheduler (PROTOCOL-MESH §7 with the §7.10 fixes) as a mesh service: {@code schedule},
 * {@code list_scheduled} and {@code cancel_scheduled}, and per mesh a {@link Schedules} that fires the entries.
 * Meshes with pending entries get their state at boot ({@link #bootMeshIds}), so their entries fire even if nobody
 * connects. Stateless beyond its store and limits; thread-safe.
 */
public final class SchedulerService implements MeshService<Schedules> {

    private final ScheduleStore store;
    private final ScheduleLimits limits;

    public SchedulerService(ScheduleStore store, ScheduleLimits limits) {
        this.store = Objects.requireNonNull(store, "store");
        this.limits = Objects.requireNonNull(limits, "limits");
    }

    @Override
    public String name() {
        return "scheduler";
    }

    @Override
    public void registerHandlers(Registrar<Schedules> r) {
        r.handle("schedule", new ScheduleHandler());
        r.handle("list_scheduled", new ListScheduledHandler());
        r.handle("cancel_scheduled", new CancelScheduledHandler());
    }

    @Override
    public Schedules createMeshState(MeshContext mesh) {
        Schedules s = new Schedules(mesh, store, limits);
        s.start();
        return s;
    }

    @Override
    public Collection<String> bootMeshIds() {
        return store.meshesWithPending();
    }
}
