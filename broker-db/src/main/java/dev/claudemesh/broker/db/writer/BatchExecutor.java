package dev.claudemesh.broker.db.writer;

import java.sql.SQLException;

/**
 * Where the writer's batches go: PostgreSQL in the broker ({@link PgBatchExecutor}), a fake in unit tests of the
 * retry and drain logic. Called on the writer thread only.
 */
interface BatchExecutor {

    /**
     * Applies {@code plan} (not empty) in one transaction, chaining its audit rows through {@code heads}; returns once
     * it committed.
     *
     * @throws CommitOutcomeUnknownException when the COMMIT itself failed: the batch may have committed anyway
     * @throws SQLException                  when it failed before its COMMIT and was rolled back
     */
    void apply(BatchPlan plan, AuditHeads heads) throws SQLException;

    /** The stored hash of the mesh's last audit row, or null (read outside any batch). */
    String chainHead(String meshId) throws SQLException;

    /** One cheap round trip, to tell whether the database answers. */
    void probe() throws SQLException;
}
