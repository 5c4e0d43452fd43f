package dev.claudemesh.broker.core.state;

import java.util.List;

/**
 * The shared-state store port (PROTOCOL-MESH §4.4): one entry per (mesh, key). Blocking (JDBC in broker-db): call it
 * only through {@link dev.claudemesh.broker.core.mesh.MeshContext#storage}, never on a loop. Every method returns
 * once its change is committed. Implementations are thread-safe.
 */
public interface StateStore {

    /** What {@link #upsert} did. */
    enum Upsert {
        /** The entry was inserted or updated. */
        STORED,
        /** The key is new and the mesh already holds the most keys allowed: nothing was written. */
        FULL
    }

    /**
     * Inserts or updates {@code key} of {@code meshId} with {@code valueJson}, unless the key is new and the mesh
     * already holds {@code maxEntries} keys. The cap is checked in the upsert's transaction, so it holds for
     * concurrent writers too.
     *
     * @param valueJson  the value as JSON text (stored as {@code jsonb})
     * @param presenceId the writer's presence id
     * @param memberName the writer's member name
     * @param nowMs      the time of the write, epoch milliseconds
     */
    Upsert upsert(String meshId, String key, String valueJson, String presenceId, String memberName, long nowMs,
                  int maxEntries);

    /** The entry of {@code key}, or null when the mesh has none. */
    StateEntry get(String meshId, String key);

    /** The mesh's first {@code limit} entries, by key ascending. */
    List<StateEntry> list(String meshId, int limit);
}
