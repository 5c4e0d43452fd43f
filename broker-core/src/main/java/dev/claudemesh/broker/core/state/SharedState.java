package dev.claudemesh.broker.core.state;

import dev.claudemesh.broker.core.envelope.JsonNode;
import dev.claudemesh.broker.core.mesh.MeshContext;
import dev.claudemesh.broker.core.workspace.RequestFields;

import java.util.Objects;

/**
 * The shared-state service's part of one mesh: its context, store and limits. The entries themselves live only in
 * the store (nothing is cached, so several brokers on one database agree). <b>Thread:</b> the mesh loop; the store
 * is called through {@link MeshContext#storage}.
 */
public final class SharedState {

    final MeshContext mesh;
    final StateStore store;
    final StateLimits limits;

    SharedState(MeshContext mesh, StateStore store, StateLimits limits) {
        this.mesh = Objects.requireNonNull(mesh, "mesh");
        this.store = Objects.requireNonNull(store, "store");
        this.limits = Objects.requireNonNull(limits, "limits");
    }

    /** The request's {@code key}: a non-empty string within the key limit (PROTOCOL-MESH §4.6 [fix]). */
    String key(JsonNode.ObjectNode body) throws RequestFields.BadRequest {
        return RequestFields.requiredText(body, "key", limits.maxKeyChars());
    }
}
