package dev.claudemesh.broker.db.writer;

import dev.claudemesh.broker.core.Ids;
import dev.claudemesh.broker.core.audit.AuditChain;
import dev.claudemesh.broker.core.audit.AuditEvent;
import dev.claudemesh.broker.core.model.StoredMessage;
import dev.claudemesh.broker.core.port.DurableOp;
import dev.claudemesh.broker.db.store.AdminRepository;
import dev.claudemesh.broker.db.store.AuditVerification;
import dev.claudemesh.broker.db.testing.TestDatabase;
import dev.claudemesh.broker.db.testing.TestDatabases;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The writer's binary COPY path against a real PostgreSQL: exact column values, and the fallback on a stored id. */
class PgCopyIT {

    private static final long NOW = 1_780_000_000_123L;

    private static TestDatabase db;

    @BeforeAll
    static void createDatabase() {
        db = TestDatabases.newDatabase();
    }

    @AfterAll
    static void dropDatabase() {
        db.close();
    }

    private static Pending op(DurableOp op) {
        return Pending.of(op, null);
    }

    private static BatchPlan plan(List<Pending> ops) {
        BatchPlan plan = new BatchPlan();
        plan.addAll(ops);
        return plan;
    }

    @Test
    void shouldStoreEveryColumnExactlyAsTheUpsertWould() throws SQLException {
        String meshId = Ids.newId();
        StoredMessage m = new StoredMessage(Ids.newId(), meshId, Ids.newId(), "a".repeat(64), "b".repeat(64),
                "zoë \0 ✓", "7".repeat(64), "now", "AAEC".getBytes(StandardCharsets.US_ASCII),
                "Y2lwaGVy".getBytes(StandardCharsets.US_ASCII), "client-1", null, NOW, NOW + 60_000, "reply");
        PgBatchExecutor executor = new PgBatchExecutor(db.dataSource());
        executor.apply(plan(List.of(op(new DurableOp.EnqueueMessage(m)))), new AuditHeads());

        assertThat(executor.copyConflicts()).isZero();
        try (Connection c = db.dataSource().getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT sender_name, nonce, ciphertext, client_message_id, "
                     + "request_fingerprint, subtype, target_key, priority, extract(epoch from created_at) * 1000, "
                     + "extract(epoch from expires_at) * 1000, delivered_at FROM mesh.message_queue WHERE id = ?")) {
            ps.setString(1, m.messageId());
            try (ResultSet rs = ps.executeQuery()) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).isEqualTo("zoë \uFFFD ✓"); // NUL cleaned, UTF-8 kept
                assertThat(rs.getString(2)).isEqualTo("AAEC");
                assertThat(rs.getString(3)).isEqualTo("Y2lwaGVy");
                assertThat(rs.getString(4)).isEqualTo("client-1");
                assertThat(rs.getString(5)).isNull();
                assertThat(rs.getString(6)).isEqualTo("reply");
                assertThat(rs.getString(7)).isEqualTo("7".repeat(64));
                assertThat(rs.getString(8)).isEqualTo("now");
                assertThat(rs.getBigDecimal(9).longValueExact()).isEqualTo(NOW);
                assertThat(rs.getBigDecimal(10).longValueExact()).isEqualTo(NOW + 60_000);
                assertThat(rs.getObject(11)).isNull();
            }
        }
    }

    @Test
    void shouldFallBackToTheUpsertWhenAnIdIsAlreadyStoredAndKeepTheRestOfTheBatch() throws SQLException {
        String meshId = Ids.newId();
        StoredMessage stored = PgDurableLogIT.message(meshId, "7".repeat(64), "AA==", "AQ==", NOW, NOW + 60_000);
        StoredMessage fresh = PgDurableLogIT.message(meshId, "7".repeat(64), "AA==", "Ag==", NOW, NOW + 60_000);
        PgBatchExecutor executor = new PgBatchExecutor(db.dataSource());
        AuditHeads heads = new AuditHeads();
        executor.apply(plan(List.of(op(new DurableOp.EnqueueMessage(stored)))), heads);

        // the stored DM again, with its delivery mark folded in, beside a new DM and an audit row
        executor.apply(plan(List.of(op(new DurableOp.EnqueueMessage(stored)),
                op(new DurableOp.MarkDelivered(meshId, stored.messageId(), NOW + 5)),
                op(new DurableOp.EnqueueMessage(fresh)),
                op(TestAudits.audit(meshId, "message_sent", "m1", Map.of("to", "x"), NOW)))), heads);

        assertThat(executor.copyConflicts()).isEqualTo(1);
        assertThat(count("SELECT count(*) FROM mesh.message_queue WHERE mesh_id = ?", meshId)).isEqualTo(2);
        assertThat(count("SELECT count(*) FROM mesh.message_queue WHERE mesh_id = ? AND delivered_at IS NOT NULL",
                meshId)).isEqualTo(1);
        assertThat(count("SELECT count(*) FROM mesh.audit_log WHERE mesh_id = ?", meshId)).isEqualTo(1);
    }

    @Test
    void shouldCopyAuditRowsInChainOrderSoThatTheChainVerifies() throws SQLException {
        String meshId = Ids.newId();
        List<Pending> ops = new ArrayList<>();
        for (int i = 0; i < 1_500; i++) {
            // typed events write their canonical bytes on the writer thread; these escape and encode non-ASCII
            ops.add(op(i % 3 == 2
                    ? new DurableOp.AppendAudit(meshId, "m\u00e9", new AuditEvent.MessageSent("@zo\u00eb \u2713\"\\\n"
                            + "\ud83d\ude00\ud800#" + i, "now"), NOW + i)
                    : TestAudits.audit(meshId, "message_sent", i % 2 == 0 ? "m1" : null,
                            Map.of("i", i, "name", "zoë ✓"), NOW + i)));
        }
        new PgBatchExecutor(db.dataSource()).apply(plan(ops), new AuditHeads());

        assertThat(new AdminRepository(db.dataSource()).verifyAudit(meshId))
                .isEqualTo(new AuditVerification(true, 1_500, null));
        try (Connection c = db.dataSource().getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT created_at FROM mesh.audit_log WHERE mesh_id = ? "
                     + "ORDER BY id LIMIT 1")) {
            ps.setString(1, meshId);
            try (ResultSet rs = ps.executeQuery()) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getObject(1, java.time.OffsetDateTime.class).toInstant().toString())
                        .isEqualTo(AuditChain.isoMillis(NOW));
            }
        }
    }

    @Test
    void shouldKeyTheTablesEveryDmWritesWithTheCCollation() throws SQLException {
        List<String> columns = new ArrayList<>();
        try (Connection c = db.dataSource().getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT table_name || '.' || column_name FROM "
                     + "information_schema.columns WHERE table_schema = 'mesh' AND collation_name = 'C' ORDER BY 1");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                columns.add(rs.getString(1));
            }
        }
        // the view message_queue_status (V11) shows its base columns' collations
        assertThat(columns).containsExactly("audit_log.mesh_id", "message_delivery.id", "message_delivery.mesh_id",
                "message_queue.id", "message_queue.mesh_id", "message_queue.target_key", "message_queue_status.id",
                "message_queue_status.mesh_id", "message_queue_status.target_key");
    }

    @Test
    void shouldGiveTheTablesEveryDmWritesOnlyTheIndexesTheirReadersNeed() throws SQLException {
        List<String> indexes = new ArrayList<>();
        try (Connection c = db.dataSource().getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT indexdef FROM pg_indexes WHERE schemaname = 'mesh' "
                     + "AND tablename IN ('audit_log', 'message_queue', 'message_delivery') "
                     + "ORDER BY indexdef COLLATE \"C\"");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                indexes.add(rs.getString(1));
            }
        }
        // V12: audit_log's one index is its key (mesh_id, id), the order of every reader (one mesh's chain by id)
        assertThat(indexes).containsExactly(
                "CREATE INDEX message_delivery_id_idx ON mesh.message_delivery USING btree (id)",
                "CREATE INDEX message_queue_undelivered_idx ON mesh.message_queue USING btree (mesh_id, target_key, "
                        + "created_at) WHERE (delivered_at IS NULL)",
                "CREATE UNIQUE INDEX audit_log_pk ON mesh.audit_log USING btree (mesh_id, id)",
                "CREATE UNIQUE INDEX message_queue_pk ON mesh.message_queue USING btree (id)");
    }

    private static long count(String sql, String meshId) throws SQLException {
        try (Connection c = db.dataSource().getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, meshId);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }
}
