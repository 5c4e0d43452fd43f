package dev.claudemesh.broker.core.auditlog;

import java.util.List;
import java.util.Objects;

/**
 * Reads one mesh's audit chain (PROTOCOL §7) for {@code audit_query} and {@code audit_verify}. Implemented in
 * broker-db. Blocking (JDBC): call through {@code MeshContext.storage}. Thread-safe.
 */
public interface AuditLogStore {

    /**
     * One audit row as {@code audit_query} shows it.
     *
     * @param actor        the actor member's display name, else the actor id, else {@code "system"}
     * @param payloadJson  the stored canonical payload (a JSON object; metadata only)
     * @param createdAtMs  epoch ms
     */
    record Entry(long id, String eventType, String actor, String payloadJson, String hash, long createdAtMs) {
        public Entry {
            Objects.requireNonNull(eventType, "eventType");
            Objects.requireNonNull(actor, "actor");
            Objects.requireNonNull(payloadJson, "payloadJson");
            Objects.requireNonNull(hash, "hash");
        }
    }

    /** A page of rows, newest first, and the number of rows that match in all. */
    record Page(List<Entry> entries, long total) {
        public Page {
            entries = List.copyOf(entries);
        }
    }

    /** The chain re-hashed: valid, the number of rows, and the id of the first bad row when invalid. */
    record Verification(boolean valid, long entries, Long brokenAt) {
    }

    /**
     * Rows of {@code meshId}, newest first (by id), {@code eventType} exact when non-null.
     *
     * @param limit  at most this many rows (≥ 0)
     * @param offset rows skipped (≥ 0)
     */
    Page query(String meshId, int limit, long offset, String eventType);

    /** Re-walks the mesh's whole chain from genesis. */
    Verification verify(String meshId);
}
