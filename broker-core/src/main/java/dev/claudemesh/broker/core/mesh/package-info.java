/**
 * Meshes, leases and the message handlers. {@link dev.claudemesh.broker.core.mesh.Broker} is the entry point;
 * {@link dev.claudemesh.broker.core.mesh.PeerSession} is the domain side of one socket. Each mesh's state is confined
 * to one loop: the façade {@code MeshState} (entry points, dispatch, timers) over the parts of {@code MeshCore}
 * ({@link dev.claudemesh.broker.core.mesh.LeaseTable}, {@code LeaseLifecycle} with its one ending path,
 * {@code DmQueues}, {@code IdempotencyWindow}, {@code StatusRules}, {@code RateLimits}, {@code Journal}).
 *
 * <p>Message types are served by {@link dev.claudemesh.broker.core.mesh.MeshService}s through
 * {@link dev.claudemesh.broker.core.mesh.MessageHandler}s registered by type; a service sees its mesh through
 * {@link dev.claudemesh.broker.core.mesh.MeshContext} and hears lease events as a
 * {@link dev.claudemesh.broker.core.mesh.LeaseListener}. docs/ARCHITECTURE.md, "Adding a message type", walks
 * through it.</p>
 */
package dev.claudemesh.broker.core.mesh;
