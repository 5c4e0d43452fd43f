package dev.claudemesh.broker.db.writer;

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
 * {@link BatchPlan} requires (queue rows, presence rows, delivery marks, audit rows), then COMMIT. Writer thread only;
 * does not own the {@link DataSource}.
 */
final class PgBatchExecutor implements BatchExecutor {

    private final DataSource dataSource;
    private final Settings settings = Database.settings();

    PgBatchExecutor(DataSource dataSource) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    }

    @Override
    public void apply(BatchPlan plan, AuditHeads heads) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                DSLContext tx = DSL.using(c, SQLDialect.POSTGRES, settings);
                BatchStatements.insertMessages(c, plan.enqueues);
                BatchStatements.upsertPresences(tx, new ArrayList<>(plan.upserts.values()));
                BatchStatements.disconnectPresences(tx, plan.disconnectAtMsByPresenceId);
                BatchStatements.markDelivered(c, plan.marks);
                if (!plan.audits.isEmpty()) {
                    BatchStatements.insertAudits(c, heads.chain(plan.audits,
                            meshId -> BatchStatements.chainHead(tx, meshId)));
                }
            } catch (SQLException | RuntimeException e) {
                rollback(c, e);
                throw e;
            }
            try {
                c.commit();
            } catch (SQLException | RuntimeException e) {
                rollback(c, e);
                throw new CommitOutcomeUnknownException(e);
            }
        }
    }

    private static void rollback(Connection c, Exception failure) {
        try {
            c.rollback();
        } catch (SQLException | RuntimeException re) {
            failure.addSuppressed(re);
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
