package dev.claudemesh.broker.core.mesh;

/**
 * Lease lifecycle events for mesh services: a service's per-mesh state that implements this interface hears them
 * (e.g. peer_state is saved when a socket closes; stream subscriptions are dropped when a lease ends). <b>Thread:</b>
 * called on the mesh loop, after the core has done its part (the lease is registered, in grace, or gone). Must not
 * block.
 */
public interface LeaseListener {

    /**
     * A lease was registered for a new socket, or reattached ({@code reattached}: same presence id, groups and
     * status as before).
     */
    default void leaseRegistered(Lease lease, boolean reattached) {
    }

    /** The lease's socket closed and the lease entered grace (it is still listed and still takes DMs). */
    default void socketClosed(Lease lease) {
    }

    /** The lease ended ({@link Ending} says why and what the core did) and left the mesh. */
    default void leaseEnded(Lease lease, Ending ending) {
    }
}
