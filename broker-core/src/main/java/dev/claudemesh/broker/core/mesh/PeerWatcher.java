package dev.claudemesh.broker.core.mesh;

/**
 * Someone watching a mesh's peers live (the admin API's peer stream): told the admin {@code peers} array whenever it
 * changes, and once when the mesh is deleted. Registered with {@link Broker#watchPeers}. <b>Thread:</b> called on the
 * mesh loop; must not block (the HTTP layer's writes hop to the connection's own thread).
 */
public interface PeerWatcher {

    /**
     * The peers array now (JSON, the admin shape of {@link Broker#peersJson}); the array must not be changed. Returns
     * false when the watcher is gone (its client left), after which it is forgotten.
     */
    boolean peers(byte[] json);

    /** The mesh was deleted: nothing more will come. */
    void meshDeleted();
}
