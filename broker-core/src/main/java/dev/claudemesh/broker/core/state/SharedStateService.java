package dev.claudemesh.broker.core.state;

import dev.claudemesh.broker.core.mesh.MeshContext;
import dev.claudemesh.broker.core.mesh.MeshService;

import java.util.Objects;

/**
 * The shared-state feature (PROTOCOL-MESH §4): registers {@code set_state}, {@code get_state} and {@code list_state}
 * and gives each mesh a {@link SharedState}. Immutable; the broker builds it once (broker-netty {@code MeshServices}).
 */
public final class SharedStateService implements MeshService<SharedState> {

    private final StateStore store;
    private final StateLimits limits;

    public SharedStateService(StateStore store, StateLimits limits) {
        this.store = Objects.requireNonNull(store, "store");
        this.limits = Objects.requireNonNull(limits, "limits");
    }

    @Override
    public String name() {
        return "state";
    }

    @Override
    public void registerHandlers(Registrar<SharedState> r) {
        r.handle("set_state", new SetStateHandler());
        r.handle("get_state", new GetStateHandler());
        r.handle("list_state", new ListStateHandler());
    }

    @Override
    public SharedState createMeshState(MeshContext mesh) {
        return new SharedState(mesh, store, limits);
    }
}
