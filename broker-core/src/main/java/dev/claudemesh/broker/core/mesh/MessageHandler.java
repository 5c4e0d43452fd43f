package dev.claudemesh.broker.core.mesh;

import dev.claudemesh.broker.core.envelope.Inbound;

/**
 * Handles one inbound message type (registered by its type string with {@link MeshService.Registrar#handle}).
 * <b>Thread:</b> called on the mesh loop, with {@code state} the service's per-mesh state, after the dispatcher
 * checked that {@code from} is authenticated and still owns its lease ({@link PeerSession#lease()}).
 *
 * <p>A handler must not block: blocking work goes through {@link MeshContext#storage} and continues with
 * {@link MeshContext#onLoop}. It replies with {@link PeerSession#reply} (the protocol's reply frame, echoing
 * {@code _reqId}: {@link dev.claudemesh.broker.core.envelope.Frames#beginReply}) or
 * {@link MeshContext#error} ({@code {"type":"error","code","message","_reqId"}}). An exception it throws is logged
 * and answered with {@code error{code:"internal_error"}}.</p>
 *
 * @param <S> the per-mesh state of the service the handler belongs to
 */
@FunctionalInterface
public interface MessageHandler<S> {

    void handle(S state, PeerSession from, Inbound request);

    /**
     * True (the default) when this handler may keep {@code request} itself past {@link #handle} (in a callback, a
     * queue, another thread). A handler that reads it only during the call, keeping at most its values (Strings,
     * arrays: those are never reused), returns false, and the socket may then lend it the Inbound it reuses for its
     * next frame ({@link dev.claudemesh.broker.core.envelope.EnvelopeReader}): the hot path's handlers do.
     */
    default boolean keepsRequest() {
        return true;
    }
}
