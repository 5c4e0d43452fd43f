package dev.claudemesh.broker.core.memory;

import dev.claudemesh.broker.core.mesh.MeshContext;

import java.util.Objects;

/**
 * The memory service's part of one mesh: its context, store and limits (the rows live only in the store).
 * <b>Thread:</b> the mesh loop; the store is called through {@link MeshContext#storage}.
 */
public final class MeshMemory {

    final MeshContext mesh;
    final MemoryStore store;
    final MemoryLimits limits;

    MeshMemory(MeshContext mesh, MemoryStore store, MemoryLimits limits) {
        this.mesh = Objects.requireNonNull(mesh, "mesh");
        this.store = Objects.requireNonNull(store, "store");
        this.limits = Objects.requireNonNull(limits, "limits");
    }
}
