package dev.claudemesh.broker.core.mesh;

import dev.claudemesh.broker.core.BrokerMetrics;
import dev.claudemesh.broker.core.BrokerSettings;
import dev.claudemesh.broker.core.audit.AuditEvent;
import dev.claudemesh.broker.core.envelope.Frames;
import dev.claudemesh.broker.core.envelope.Inbound;
import dev.claudemesh.broker.core.port.Fanout;
import dev.claudemesh.broker.core.port.MeshLoop;

import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.BiConsumer;

/**
 * What a mesh service (and the core's own handlers) may use of one mesh: its identity, settings, metrics and clock,
 * its lease table, a way to push to leases, the audit chain, and storage calls that come back on the loop. One per
 * mesh. <b>Thread:</b> the mesh loop, except {@link #storage} and {@link #onLoop}, which may be called from any
 * thread.
 */
public interface MeshContext {

    String meshId();

    /** The loop that owns this mesh (timers: {@link MeshLoop#schedule}). */
    MeshLoop loop();

    /** The injected clock's time, epoch milliseconds. */
    long nowMs();

    BrokerSettings settings();

    BrokerMetrics metrics();

    /** The mesh's live and grace leases (read only). */
    LeaseTable leases();

    /**
     * Writes {@code frame} to {@code to}'s socket when {@code to} is live; a lease in grace gets nothing. The same
     * array may go to many leases (encode once for a fan-out); it must not change afterwards.
     */
    void send(Lease to, byte[] frame);

    /**
     * Like {@link #send(Lease, byte[])}, queued on {@code out} (from {@link MeshLoop#fanout()}, finished by the caller
     * after its loop over the leases) so that the transport writes the whole fan-out in one hop per socket thread.
     * The default sends at once.
     */
    default void send(Fanout out, Lease to, byte[] frame) {
        send(to, frame);
    }

    /**
     * Ends {@code lease} through the mesh's one lease-ending path (see {@link Ending}): its socket, if any, is closed
     * with the ending's code, its capacity freed, its presence row disconnected, {@code peer_left} pushed and audited
     * as the ending says, and every service's {@link LeaseListener#leaseEnded} called. Nothing happens when the lease
     * already ended.
     *
     * @throws IllegalArgumentException when {@code lease} belongs to another mesh, or {@code ending} is
     *                                  {@link Ending#SHUTDOWN} (the broker's own)
     */
    void end(Lease lease, Ending ending);

    /**
     * Like {@link #send(Lease, byte[])}, and runs {@code onWritten} on the mesh loop once the transport has written the
     * frame out to the socket (or dropped it because the socket closed), so that a service can bound what it keeps in
     * flight for a slow peer. Returns false, and never runs {@code onWritten}, when {@code to} has no live socket.
     */
    boolean send(Lease to, byte[] frame, Runnable onWritten);

    /** A system event push (PROTOCOL §5 envelope) with a fresh message id, encoded once. */
    byte[] systemEvent(String event, Frames.EventData eventData);

    /**
     * Sends a message on a member's behalf through the core {@code send} path ({@link OnBehalfSend} says how the
     * sender is chosen); {@code outcome} hears, on the loop, whether it was accepted or refused. Nothing is written to
     * any socket as an ack.
     */
    void sendOnBehalf(OnBehalfSend send, SendOutcome outcome);

    /** Appends {@code event} to the mesh's audit chain (metadata only), acted by {@code actorId} (nullable). */
    void audit(String actorId, AuditEvent event);

    /**
     * Answers {@code request} with {@code {"type":"error","code","message","_reqId"}} (PROTOCOL-MESH §0.3), counts
     * it in {@code broker_request_errors_total{type,code}} and logs the request's one line (connection, mesh, type and
     * code; never the message, which may quote the request). {@code code} must come from a fixed set; callers do not
     * log the refusal again.
     */
    void error(PeerSession to, Inbound request, String code, String message);

    /**
     * Runs a blocking call (a store port's JDBC) on a storage thread. Calls of one mesh run one at a time in
     * submission order, so writes apply in the order the loop made them. The future completes on that storage
     * thread: continue with {@link #onLoop}.
     */
    <T> CompletableFuture<T> storage(Callable<T> blockingCall);

    /** Runs {@code continuation} on the mesh loop when {@code stage} completes (value, or its failure). */
    <T> void onLoop(CompletionStage<T> stage, BiConsumer<? super T, ? super Throwable> continuation);
}
