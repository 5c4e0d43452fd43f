package dev.claudemesh.broker.db.store;

/**
 * Result of re-hashing a mesh's audit chain from {@code genesis} (the body of
 * {@code GET /admin/meshes/{meshId}/audit/verify}). Immutable.
 *
 * @param ok       true when every row links to its predecessor and re-hashes to its stored hash
 * @param events   number of audit rows of the mesh
 * @param brokenAt id of the first row that does not link or re-hash; null when {@code ok}
 */
public record AuditVerification(boolean ok, long events, Long brokenAt) {
}
