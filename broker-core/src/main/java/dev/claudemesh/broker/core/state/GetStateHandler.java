package dev.claudemesh.broker.core.state;

import dev.claudemesh.broker.core.envelope.Inbound;
import dev.claudemesh.broker.core.mesh.MeshContext;
import dev.claudemesh.broker.core.mesh.MessageHandler;
import dev.claudemesh.broker.core.mesh.PeerSession;
import dev.claudemesh.broker.core.workspace.Rejections;
import dev.claudemesh.broker.core.workspace.RequestFields;

/**
 * {@code get_state {key}} (PROTOCOL-MESH §4.2) → {@code state_result}, then {@code state_data} for the CLI's daemon
 * (§4.6 [fix]); a missing key's {@code state_result} has no {@code key}. The read runs on the mesh's serial storage
 * lane, after every earlier write of the mesh, so it sees a {@code set_state} sent before it on the same socket. Bad
 * input → {@code bad_request}; a store failure → {@code internal_error}. Stateless; mesh loop.
 */
final class GetStateHandler implements MessageHandler<SharedState> {

    @Override
    public void handle(SharedState state, PeerSession from, Inbound in) {
        MeshContext mesh = state.mesh;
        String key;
        try {
            key = state.key(in.body());
        } catch (RequestFields.BadRequest e) {
            Rejections.reject(mesh, from, in, Rejections.BAD_REQUEST, e.getMessage());
            return;
        }
        String meshId = mesh.meshId();
        StateStore store = state.store;
        mesh.onLoop(mesh.storage(() -> {
            StateEntry e = store.get(meshId, key);
            return new byte[][] {StateFrames.stateResult(e, in), StateFrames.stateData(e, in)};
        }), (frames, failure) -> {
            if (failure != null) {
                Rejections.failed(mesh, from, in, failure, "the state could not be read");
                return;
            }
            from.reply(frames[0]);
            from.reply(frames[1]);
        });
    }
}
