package dev.claudemesh.broker.core.mesh;

/**
 * A service's per-mesh state that holds something outside the mesh's leases and timers (e.g. the topic feature's open
 * event streams) implements this to let it go when the operator deletes the mesh. <b>Thread:</b> called once, on the
 * mesh loop, after every lease ended ({@link Ending#MESH_DELETED}) and before the mesh's timers are cancelled. Must
 * not block; storage calls are pointless (the mesh's rows are gone).
 */
public interface MeshDeletedListener {

    /** The mesh was deleted: close what this state holds open. */
    void meshDeleted();
}
