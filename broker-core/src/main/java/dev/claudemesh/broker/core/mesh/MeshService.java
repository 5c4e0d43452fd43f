package dev.claudemesh.broker.core.mesh;

import java.util.Collection;
import java.util.List;

/**
 * A feature of the mesh (PROTOCOL-MESH: shared state, memory, tasks, the scheduler, …): the message types it handles,
 * and its per-mesh state. The broker is given its services once, at construction ({@link Broker}); the dispatcher
 * looks a frame's type up in the handlers they registered and never changes for a new feature.
 *
 * <p>A service's per-mesh state is created on the mesh loop when the mesh is first used, lives as long as the mesh
 * and is confined to its loop; when it implements {@link LeaseListener} it hears lease lifecycle events. Durable
 * state goes through the service's own store port (an interface next to the service, implemented in broker-db),
 * called with {@link MeshContext#storage}: the call runs on a storage thread, in submission order per mesh, and its
 * result comes back on the loop with {@link MeshContext#onLoop}, so that a reply describes committed state.</p>
 *
 * @param <S> the service's per-mesh state
 */
public interface MeshService<S> {

    /** A short name for logs and metrics, e.g. {@code core}, {@code state}, {@code tasks}. */
    String name();

    /** Registers the service's handlers; called once, when the broker is built. */
    void registerHandlers(Registrar<S> registrar);

    /** Creates the service's state for one mesh; called on that mesh's loop, once. */
    S createMeshState(MeshContext mesh);

    /**
     * The meshes whose state this service needs from boot on, even if nobody connects to them (e.g. meshes with
     * pending scheduled messages, whose timers must be armed). Called once at boot, before the broker accepts
     * connections ({@link Broker#openBootMeshes}); may block (it runs on the starting thread). None by default:
     * a mesh's state is otherwise created when it is first used.
     */
    default Collection<String> bootMeshIds() {
        return List.of();
    }

    /** Where a service registers its handlers. */
    interface Registrar<S> {

        /**
         * Registers {@code handler} for frames whose {@code type} is {@code type}.
         *
         * @throws IllegalArgumentException when the type already has a handler, or is {@code hello} /
         *                                  {@code session_hello} (authentication is not a mesh message)
         */
        void handle(String type, MessageHandler<S> handler);

        /**
         * Registers {@code handler} for {@code send}s to {@code #<topicId>} targets (PROTOCOL-MESH §8.6), which the
         * core checks like any send and then hands over. Without one, such sends are refused as invalid.
         *
         * @throws IllegalArgumentException when another service registered topic sends already
         */
        default void handleTopicSends(TopicSendHandler<S> handler) {
            throw new UnsupportedOperationException("handleTopicSends");
        }
    }
}
