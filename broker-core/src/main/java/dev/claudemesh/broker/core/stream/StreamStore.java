package dev.claudemesh.broker.core.stream;

import java.util.List;

/**
 * Where stream names are kept (table {@code stream}). Blocking (JDBC): called only through
 * {@link dev.claudemesh.broker.core.mesh.MeshContext#storage}, never on an event loop. Implementations are
 * thread-safe.
 */
public interface StreamStore {

    /**
     * A stored stream.
     *
     * @param createdBy   member name of its creator, or null when unknown
     * @param createdAtMs creation time, epoch milliseconds
     */
    record Stream(String id, String name, String createdBy, long createdAtMs) {
    }

    /**
     * The outcome of {@link #create}: the stream (new or existing), whether this call created it; or
     * {@code limitReached} (stream null) when the name is new and the mesh already has {@code maxPerMesh} streams.
     */
    record Created(Stream stream, boolean created, boolean limitReached) {
    }

    /**
     * Inserts stream {@code name} unless the mesh has it already (insert-or-ignore on (mesh, name)). The quota is
     * checked in the same transaction as the insert, under a per-mesh lock, so it holds across brokers.
     *
     * @param newId a fresh id, used when the stream is created
     */
    Created create(String meshId, String newId, String name, String createdBy, long nowMs, int maxPerMesh);

    /** The mesh's streams, oldest first, at most {@code limit}. */
    List<Stream> list(String meshId, int limit);
}
