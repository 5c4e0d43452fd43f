package dev.claudemesh.broker.core.memory;

import java.util.List;

/**
 * The memory store port (PROTOCOL-MESH §5.4). Blocking (JDBC in broker-db): call it only through
 * {@link dev.claudemesh.broker.core.mesh.MeshContext#storage}, never on a loop. Every method returns once its change
 * is committed. Implementations are thread-safe.
 */
public interface MemoryStore {

    /** What {@link #remember} did. */
    enum Remember {
        /** The row was inserted. */
        STORED,
        /** The mesh holds the most rows allowed and none of them is forgotten: nothing was written. */
        FULL
    }

    /**
     * Inserts a row, in one transaction that also deletes the mesh's rows forgotten before {@code forgottenBeforeMs}
     * and, when the mesh holds {@code maxRows} rows, its oldest forgotten rows to make room (refusing when there are
     * none). The cap holds for concurrent writers too.
     *
     * @param memberId   who remembered it (a member id of the mesh)
     * @param memberName that member's name
     */
    Remember remember(String meshId, String id, String content, List<String> tags, String memberId,
                      String memberName, long nowMs, int maxRows, long forgottenBeforeMs);

    /**
     * Full-text search: the mesh's rows not forgotten whose content matches every non-stop word of {@code query}
     * (PostgreSQL {@code english} configuration, {@code plainto_tsquery}), by {@code ts_rank} descending, at most
     * {@code limit}. An empty or stop-words-only query matches nothing.
     */
    List<Memory> recall(String meshId, String query, int limit);

    /** Marks the row forgotten when it belongs to the mesh and is not forgotten yet; true when it did. */
    boolean forget(String meshId, String memoryId, long nowMs);
}
