package dev.claudemesh.broker.core.apikey;

import dev.claudemesh.broker.core.mesh.MeshContext;
import dev.claudemesh.broker.core.mesh.MeshService;

import java.util.Objects;

/**
 * API keys over the WebSocket (PROTOCOL-MESH §8.9): {@code apikey_create}, {@code apikey_list}, {@code apikey_revoke}.
 * Its per-mesh state is only the mesh's context with the store and limits: every answer comes from the database.
 * Immutable; thread-safe.
 */
public final class ApiKeyService implements MeshService<ApiKeyService.Keys> {

    /** The per-mesh state: what the handlers use. Loop-confined like any service state; immutable. */
    public record Keys(MeshContext mesh, ApiKeyStore store, ApiKeyLimits limits) {
    }

    private final ApiKeyStore store;
    private final ApiKeyLimits limits;

    public ApiKeyService(ApiKeyStore store, ApiKeyLimits limits) {
        this.store = Objects.requireNonNull(store, "store");
        this.limits = Objects.requireNonNull(limits, "limits");
    }

    @Override
    public String name() {
        return "apikeys";
    }

    @Override
    public void registerHandlers(Registrar<Keys> r) {
        r.handle("apikey_create", ApiKeyRequests::create);
        r.handle("apikey_list", ApiKeyRequests::list);
        r.handle("apikey_revoke", ApiKeyRequests::revoke);
    }

    @Override
    public Keys createMeshState(MeshContext mesh) {
        return new Keys(mesh, store, limits);
    }
}
