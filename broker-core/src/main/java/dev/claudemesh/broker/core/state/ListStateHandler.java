package dev.claudemesh.broker.core.state;

import dev.claudemesh.broker.core.envelope.Inbound;
import dev.claudemesh.broker.core.mesh.MeshContext;
import dev.claudemesh.broker.core.mesh.MessageHandler;
import dev.claudemesh.broker.core.mesh.PeerSession;
import dev.claudemesh.broker.core.workspace.Rejections;

/**
 * {@code list_state} (PROTOCOL-MESH §4.3) → {@code state_list}: the mesh's entries by key ascending, at most
 * {@link StateLimits#listMaxEntries()} of them (§16 defect 20 [fix]: no reply without a bound). A store failure →
 * {@code internal_error}. Stateless; mesh loop.
 */
final class ListStateHandler implements MessageHandler<SharedState> {

    @Override
    public void handle(SharedState state, PeerSession from, Inbound in) {
        MeshContext mesh = state.mesh;
        String meshId = mesh.meshId();
        StateStore store = state.store;
        int limit = state.limits.listMaxEntries();
        mesh.onLoop(mesh.storage(() -> StateFrames.stateList(store.list(meshId, limit), in)), (frame, failure) -> {
            if (failure != null) {
                Rejections.failed(mesh, from, in, failure, "the state could not be read");
                return;
            }
            from.reply(frame);
        });
    }
}
