package dev.claudemesh.broker.core.memory;

import dev.claudemesh.broker.core.mesh.MeshContext;
import dev.claudemesh.broker.core.mesh.MeshService;

import java.util.Objects;

/**
 * The memory feature (PROTOCOL-MESH §5): registers {@code remember}, {@code recall} and {@code forget} and gives each
 * mesh a {@link MeshMemory}. Immutable; the broker builds it once (broker-netty {@code MeshServices}).
 */
public final class MemoryService implements MeshService<MeshMemory> {

    private final MemoryStore store;
    private final MemoryLimits limits;

    public MemoryService(MemoryStore store, MemoryLimits limits) {
        this.store = Objects.requireNonNull(store, "store");
        this.limits = Objects.requireNonNull(limits, "limits");
    }

    @Override
    public String name() {
        return "memory";
    }

    @Override
    public void registerHandlers(Registrar<MeshMemory> r) {
        r.handle("remember", new RememberHandler());
        r.handle("recall", new RecallHandler());
        r.handle("forget", new ForgetHandler());
    }

    @Override
    public MeshMemory createMeshState(MeshContext mesh) {
        return new MeshMemory(mesh, store, limits);
    }
}
