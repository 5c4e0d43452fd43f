package dev.claudemesh.broker.core.context;

import java.util.List;

/**
 * Where contexts are kept (table {@code context}, one row per member and mesh). Blocking (JDBC): called only through
 * {@link dev.claudemesh.broker.core.mesh.MeshContext#storage}, never on an event loop. Implementations are
 * thread-safe and check the quota in the transaction that inserts, so it holds across brokers.
 *
 * <p>Retention: rows not updated since {@code sinceMs} are treated as gone (never returned) and deleted by the next
 * {@link #share} of their mesh.</p>
 */
public interface ContextStore {

    /** A context as {@code get_context} returns it ({@code list_contexts} shows a part). */
    record Context(String peerName, String summary, List<String> filesRead, List<String> keyFindings,
                   List<String> tags, long updatedAtMs) {
        public Context {
            filesRead = List.copyOf(filesRead);
            keyFindings = List.copyOf(keyFindings);
            tags = List.copyOf(tags);
        }
    }

    /** What one member shares: its summary and lists, and who shares it. */
    record Share(String memberId, String presenceId, String peerName, String summary, List<String> filesRead,
                 List<String> keyFindings, List<String> tags) {
        public Share {
            filesRead = List.copyOf(filesRead);
            keyFindings = List.copyOf(keyFindings);
            tags = List.copyOf(tags);
        }
    }

    /**
     * Upserts the member's context of the mesh (keyed by mesh and member) with {@code updated_at} = {@code nowMs},
     * after deleting the mesh's rows not updated since {@code sinceMs}.
     *
     * @param newId a fresh id, used when the member had no context
     * @return the row's id (the existing one on an update), or null when the member has no context yet and the mesh
     *         already holds {@code maxPerMesh}: nothing written
     */
    String share(String meshId, String newId, Share share, long nowMs, int maxPerMesh, long sinceMs);

    /**
     * The mesh's contexts updated since {@code sinceMs} whose summary matches {@code query} as an SQL {@code ILIKE}
     * pattern {@code %query%} (so {@code %} and {@code _} in it are wildcards, as in the original) or whose tags hold
     * {@code query} exactly; newest first, at most {@code limit}.
     */
    List<Context> find(String meshId, String query, int limit, long sinceMs);

    /** The mesh's contexts updated since {@code sinceMs}, newest first, at most {@code limit}. */
    List<Context> list(String meshId, int limit, long sinceMs);
}
