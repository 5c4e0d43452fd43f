package dev.claudemesh.broker.db.writer;

import com.zaxxer.hikari.HikariDataSource;
import dev.claudemesh.broker.db.Database;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.conf.Settings;
import org.jooq.impl.DSL;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Objects;

/**
 * Applies a batch to PostgreSQL: one connection from the pool, one transaction, {@link BatchStatements} in the order
 * {@link BatchPlan} requires (queue rows, presence upserts, audit rows, delivery marks; then, past the barrier,
 * presence disconnects), then COMMIT. {@link #execute} runs on the writer thread, the returned transaction's commit on
 * whichever thread holds it; does not own the {@link DataSource}.
 */
final class PgBatchExecutor implements BatchExecutor {

    private static final String UNIQUE_VIOLATION = "23505";

    private final DataSource dataSource;
    private final Settings settings = Database.settings();
    /** Writer thread only: {@link #execute} runs there (tests call {@link #apply} from one thread). */
    private final CopyBuffer copy = new CopyBuffer();
    private final CopyBuffer.Sender copySender;
    private long copyConflicts;

    PgBatchExecutor(DataSource dataSource) {
        this(dataSource, CopyBuffer.PGJDBC);
    }

    /** @param copySender sends the COPY streams ({@link CopyBuffer#PGJDBC}; the writer benchmark's mock drops them) */
    PgBatchExecutor(DataSource dataSource, CopyBuffer.Sender copySender) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.copySender = Objects.requireNonNull(copySender, "copySender");
    }

    @Override
    public OpenBatch execute(BatchPlan plan, AuditHeads heads, Barrier barrier) throws SQLException {
        Connection c = dataSource.getConnection();
        try {
            c.setAutoCommit(false);
            DSLContext tx = DSL.using(c, SQLDialect.POSTGRES, settings);
            writeMessages(c, plan);
            BatchStatements.upsertPresences(tx, new ArrayList<>(plan.upserts.values()));
            if (!plan.audits.isEmpty()) {
                BatchStatements.copyAudits(c, copy, copySender, heads.chain(plan.audits,
                        meshId -> BatchStatements.chainHead(tx, meshId)));
            }
            // delivery marks are appended (V11): they need no row of an earlier batch, so they go before the barrier
            BatchStatements.copyDeliveries(c, copy, copySender, plan.marks);
            if (!plan.disconnectAtMsByPresenceId.isEmpty()) {
                // an UPDATE does not see rows that another, uncommitted transaction inserted: a pipelined batch
                // waits here until the batches that insert the rows it updates committed
                barrier.await();
            }
            BatchStatements.disconnectPresences(tx, plan.disconnectAtMsByPresenceId);
        } catch (SQLException e) {
            evictIfBroken(c, e);
            rollbackAndClose(c, e);
            throw e;
        } catch (RuntimeException e) {
            rollbackAndClose(c, e);
            throw e;
        }
        return new Open(c);
    }

    /**
     * The batch's queue rows, first in the transaction: by COPY, or, when one of their ids is already stored (a
     * re-enqueue, or a batch applied again after a lost COMMIT), rolled back (nothing else is in the transaction yet)
     * and written again with the idempotent upsert.
     */
    private void writeMessages(Connection c, BatchPlan plan) throws SQLException {
        try {
            BatchStatements.copyMessages(c, copy, copySender, plan.enqueues);
        } catch (SQLException e) {
            if (!UNIQUE_VIOLATION.equals(e.getSQLState())) {
                throw e;
            }
            copyConflicts++;
            c.rollback();
            BatchStatements.insertMessages(c, plan.enqueues);
        }
    }

    /**
     * A connection error ({@code 08…}) raised by COPY did not pass through the pool's proxy (COPY runs on the unwrapped
     * pgjdbc connection), so HikariCP would not know that the connection is broken and would hand it out again: every
     * retry would fail on it. Tell the pool.
     */
    private void evictIfBroken(Connection c, SQLException e) {
        String state = e.getSQLState();
        if (state == null || !state.startsWith("08")) {
            return;
        }
        try {
            if (dataSource.isWrapperFor(HikariDataSource.class)) {
                dataSource.unwrap(HikariDataSource.class).evictConnection(c);
            }
        } catch (SQLException | RuntimeException ee) {
            e.addSuppressed(ee);
        }
    }

    /** How many batches fell back from COPY to the upsert (tests). */
    long copyConflicts() {
        return copyConflicts;
    }

    /** An open transaction on its own pooled connection. */
    private static final class Open implements OpenBatch {
        private final Connection c;

        Open(Connection c) {
            this.c = c;
        }

        @Override
        public void commit() throws SQLException {
            try {
                c.commit();
            } catch (SQLException | RuntimeException e) {
                rollbackAndClose(c, e);
                throw new CommitOutcomeUnknownException(e);
            }
            try {
                c.close();
            } catch (SQLException | RuntimeException e) {
                // committed: a failure to hand the connection back must not make the batch look failed (a retry
                // would append its audit rows twice); the pool drops a broken connection by itself
            }
        }

        @Override
        public void rollback() {
            rollbackAndClose(c, new SQLException("rollback"));
        }
    }

    private static void rollbackAndClose(Connection c, Exception failure) {
        try {
            c.rollback();
        } catch (SQLException | RuntimeException re) {
            failure.addSuppressed(re);
        }
        try {
            c.close();
        } catch (SQLException | RuntimeException ce) {
            failure.addSuppressed(ce);
        }
    }

    @Override
    public String chainHead(String meshId) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            return BatchStatements.chainHead(DSL.using(c, SQLDialect.POSTGRES, settings), meshId);
        }
    }

    @Override
    public void probe() throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement st = c.createStatement()) {
            st.execute("SELECT 1");
        }
    }
}
