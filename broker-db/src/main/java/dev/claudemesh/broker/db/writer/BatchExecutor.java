package dev.claudemesh.broker.db.writer;

import java.sql.SQLException;

/**
 * Where the writer's batches go: PostgreSQL in the broker ({@link PgBatchExecutor}), a fake in unit tests of the
 * retry, drain and pipeline logic. {@link #execute} is called on the writer thread; the {@link OpenBatch} it returns
 * is then committed or rolled back by one thread at a time (the writer thread, or the pipeline's commit thread it
 * was handed to).
 */
interface BatchExecutor {

    /**
     * Applies {@code plan} (not empty) in one transaction, chaining its audit rows through {@code heads}; returns once
     * it committed.
     *
     * @throws CommitOutcomeUnknownException when the COMMIT itself failed: the batch may have committed anyway
     * @throws SQLException                  when it failed before its COMMIT and was rolled back
     */
    default void apply(BatchPlan plan, AuditHeads heads) throws SQLException {
        execute(plan, heads, Barrier.NONE).commit();
    }

    /**
     * Opens a transaction and runs {@code plan}'s statements in it (queue rows, presence upserts, audit rows and
     * delivery marks first; then, after {@code barrier} returned, presence disconnects, which must see rows that
     * earlier batches still in flight insert), without committing it.
     *
     * @throws SQLException when a statement or the barrier failed: the transaction is rolled back and closed
     */
    OpenBatch execute(BatchPlan plan, AuditHeads heads, Barrier barrier) throws SQLException;

    /** The stored hash of the mesh's last audit row, or null (read outside any batch). */
    String chainHead(String meshId) throws SQLException;

    /** One cheap round trip, to tell whether the database answers. */
    void probe() throws SQLException;

    /** A batch's transaction whose statements ran: exactly one of {@link #commit} and {@link #rollback} is called. */
    interface OpenBatch {

        /**
         * Commits and closes the transaction.
         *
         * @throws CommitOutcomeUnknownException when the COMMIT failed: the batch may have committed anyway
         */
        void commit() throws SQLException;

        /** Rolls back and closes the transaction; a failure to do so is swallowed (the server aborts it anyway). */
        void rollback();
    }

    /** What a batch waits for before the statements that must see earlier batches' rows. */
    @FunctionalInterface
    interface Barrier {

        /** No earlier batch in flight (the serial writer). */
        Barrier NONE = () -> { };

        /** Returns once the earlier batches this one depends on committed; throws when one of them did not. */
        void await() throws SQLException;
    }
}
