package dev.claudemesh.broker.core.workspace;

import dev.claudemesh.broker.core.envelope.Inbound;
import dev.claudemesh.broker.core.mesh.MeshContext;
import dev.claudemesh.broker.core.mesh.PeerSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * Answers a request that a workspace service refuses or cannot serve: one error frame
 * ({@code {"type":"error","code","message","_reqId"}}, counted by {@link MeshContext#error}) and one log line with
 * the connection, the message type, the mesh and the code — never the request's values, contents or keys.
 * <b>Thread:</b> the mesh loop.
 */
public final class Rejections {

    private static final Logger log = LoggerFactory.getLogger(Rejections.class);

    /** Error code of bad input (PROTOCOL-MESH §0.3 [fix]). */
    public static final String BAD_REQUEST = "bad_request";
    /** Error code of a request refused because the mesh is at one of its caps (a setting). */
    public static final String LIMIT_EXCEEDED = "limit_exceeded";
    /** Error code of a request the store could not serve (database unreachable, …). */
    public static final String INTERNAL_ERROR = "internal_error";

    private Rejections() {
    }

    /**
     * Refuses {@code in} with {@code code} (from a fixed set) and a message that names no value;
     * {@link MeshContext#error} logs the one line of the refusal.
     */
    public static void reject(MeshContext mesh, PeerSession from, Inbound in, String code, String message) {
        mesh.error(from, in, code, message);
    }

    /**
     * Answers {@code in} with {@code internal_error} after its store call failed. The log line names the failure's
     * class only: a driver's message may quote bound values.
     */
    public static void failed(MeshContext mesh, PeerSession from, Inbound in, Throwable failure, String message) {
        Throwable cause = failure;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException)
                && cause.getCause() != null) {
            cause = cause.getCause();
        }
        log.warn("conn {}: {} failed in mesh {}: {}", from.connection().id(), in.rawType, mesh.meshId(),
                cause.getClass().getName());
        mesh.error(from, in, INTERNAL_ERROR, message);
    }
}
