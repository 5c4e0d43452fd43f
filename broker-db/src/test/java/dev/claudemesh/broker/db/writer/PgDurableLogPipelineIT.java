package dev.claudemesh.broker.db.writer;

import dev.claudemesh.broker.core.Ids;
import dev.claudemesh.broker.core.model.StoredMessage;
import dev.claudemesh.broker.core.port.DurableOp;
import dev.claudemesh.broker.db.store.AdminRepository;
import dev.claudemesh.broker.db.store.AuditVerification;
import dev.claudemesh.broker.db.testing.TestDatabase;
import dev.claudemesh.broker.db.testing.TestDatabases;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The writer against a real PostgreSQL with small batches, so that many are in flight one behind the other: DMs,
 * delivery marks of DMs two sends back (usually in an earlier batch, often one still committing), presence rows
 * that connect and disconnect in consecutive batches, and audit rows on three meshes. Whatever the pipeline depth,
 * every row is written once, every mark and disconnect lands (an UPDATE run before the insert it needs committed
 * would miss its row), callbacks run in submission order after their commit, and every chain verifies.
 */
class PgDurableLogPipelineIT {

    private static final long NOW = 1_780_000_000_000L;
    private static final long WEEK_MS = 7L * 24 * 3600 * 1000;
    private static final int SENDS = 900;

    private static TestDatabase db;

    @BeforeAll
    static void createDatabase() {
        db = TestDatabases.newDatabase();
    }

    @AfterAll
    static void dropDatabase() {
        db.close();
    }

    @ParameterizedTest(name = "pipelineDepth={0}")
    @ValueSource(ints = {1, 2, 3})
    void shouldWriteEverythingOnceAndInOrderWithBatchesInFlight(int depth) throws SQLException {
        List<String> meshes = List.of(Ids.newId(), Ids.newId(), Ids.newId());
        List<String> submitted = new ArrayList<>();
        List<String> order = Collections.synchronizedList(new ArrayList<>());
        List<String> invisibleInCallback = Collections.synchronizedList(new ArrayList<>());
        List<String> dmIds = new ArrayList<>();
        List<String> presenceIds = new ArrayList<>();
        PgDurableLog log = PgDurableLog.start(db.dataSource(),
                WriterConfig.builder().maxBatchOps(16).pipelineDepth(depth).build());
        try {
            for (int i = 0; i < SENDS; i++) {
                String meshId = meshes.get(i % 3);
                StoredMessage m = PgDurableLogIT.message(meshId, "t".repeat(64), "AA==", "AQ==", NOW + i,
                        NOW + WEEK_MS);
                dmIds.add(m.messageId());
                submitted.add(m.messageId());
                boolean probe = i % 100 == 0;
                log.submit(new DurableOp.EnqueueMessage(m), () -> {
                    order.add(m.messageId());
                    if (probe && !TestOps.rowExists(db.dataSource(), m.messageId())) {
                        invisibleInCallback.add(m.messageId());
                    }
                });
                if (i >= 2) {
                    String earlier = dmIds.get(i - 2);
                    log.submit(new DurableOp.MarkDelivered(meshes.get((i - 2) % 3), earlier, NOW + i));
                }
                String presenceId = Ids.newId();
                presenceIds.add(presenceId);
                log.submit(new DurableOp.UpsertPresence(meshId, presenceId, "member-" + i, null, null, "p" + i,
                        "/w", null, "idle", "session", NOW + i));
                if (i >= 1) {
                    log.submit(new DurableOp.DisconnectPresence(meshes.get((i - 1) % 3), presenceIds.get(i - 1),
                            NOW + i));
                }
                String label = "audit-" + i;
                submitted.add(label);
                log.submit(TestAudits.audit(meshId, "message_sent", "m", Map.of("n", i), NOW + i),
                        () -> order.add(label));
            }
            assertThat(log.flush(120_000)).isTrue();
            assertThat(log.stats().failedAttempts()).isZero();
        } finally {
            log.close();
        }

        assertThat(order).containsExactlyElementsOf(submitted);
        assertThat(invisibleInCallback).as("a callback ran before its row was visible").isEmpty();
        assertThat(count("SELECT count(*) FROM mesh.message_queue WHERE mesh_id = ANY(?)", meshes)).isEqualTo(SENDS);
        assertThat(count("SELECT count(*) FROM mesh.message_queue_status WHERE mesh_id = ANY(?) AND delivered_at IS NULL",
                meshes)).as("every DM but the last two marked").isEqualTo(2);
        assertThat(count("SELECT count(*) FROM mesh.presence WHERE mesh_id = ANY(?) AND disconnected_at IS NULL",
                meshes)).as("every presence but the last disconnected").isEqualTo(1);
        AdminRepository admin = new AdminRepository(db.dataSource());
        for (String meshId : meshes) {
            assertThat(admin.verifyAudit(meshId)).isEqualTo(new AuditVerification(true, SENDS / 3, null));
        }
    }

    private static long count(String sql, List<String> meshes) throws SQLException {
        try (Connection c = db.dataSource().getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setArray(1, c.createArrayOf("varchar", meshes.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                assertThat(rs.next()).isTrue();
                return rs.getLong(1);
            }
        }
    }
}
