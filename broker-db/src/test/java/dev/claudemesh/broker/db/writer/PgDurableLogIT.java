package dev.claudemesh.broker.db.writer;

import dev.claudemesh.broker.core.Ids;
import dev.claudemesh.broker.core.audit.AuditChain;
import dev.claudemesh.broker.core.model.StoredMessage;
import dev.claudemesh.broker.core.port.DurableOp;
import dev.claudemesh.broker.core.presence.MessageLookup;
import dev.claudemesh.broker.db.store.AdminRepository;
import dev.claudemesh.broker.db.store.AuditRow;
import dev.claudemesh.broker.db.store.AuditVerification;
import dev.claudemesh.broker.db.store.PgMessageLookup;
import dev.claudemesh.broker.db.store.PgRecoveryStore;
import dev.claudemesh.broker.db.testing.TestDatabase;
import dev.claudemesh.broker.db.testing.TestDatabases;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class PgDurableLogIT {

    private static final long NOW = 1_780_000_000_000L;
    private static final long WEEK_MS = 7L * 24 * 3600 * 1000;

    private static TestDatabase db;
    private PgDurableLog log;
    private AdminRepository admin;

    @BeforeAll
    static void createDatabase() {
        db = TestDatabases.newDatabase();
    }

    @AfterAll
    static void dropDatabase() {
        db.close();
    }

    @BeforeEach
    void startWriter() {
        log = PgDurableLog.start(db.dataSource(), WriterConfig.builder().maxBatchOps(64).build());
        admin = new AdminRepository(db.dataSource());
    }

    @AfterEach
    void stopWriter() {
        log.close();
    }

    static StoredMessage message(String meshId, String target, String nonce, String ciphertext, long createdAtMs,
                                 long expiresAtMs) {
        return new StoredMessage(Ids.newId(), meshId, Ids.newId(), "a".repeat(64), "b".repeat(64), "alice", target,
                "next", nonce.getBytes(StandardCharsets.US_ASCII), ciphertext.getBytes(StandardCharsets.US_ASCII),
                "c1", "fp", createdAtMs, expiresAtMs);
    }

    private List<StoredMessage> undeliveredOf(String meshId, long nowMs) {
        return new PgRecoveryStore(db.dataSource()).loadUndelivered(nowMs).stream()
                .filter(m -> m.meshId().equals(meshId)).toList();
    }

    @Test
    void shouldRunCallbacksAfterCommitInSubmissionOrder() {
        String meshId = Ids.newId();
        List<String> order = Collections.synchronizedList(new ArrayList<>());
        List<Boolean> visibleInCallback = Collections.synchronizedList(new ArrayList<>());
        List<String> submitted = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            StoredMessage m = message(meshId, "t".repeat(64), "bm9uY2U=", "Y2lwaGVy", NOW + i, NOW + WEEK_MS);
            submitted.add(m.messageId());
            log.submit(new DurableOp.EnqueueMessage(m), () -> {
                order.add(m.messageId());
                // Another connection sees the row: the callback ran after the commit, not before.
                visibleInCallback.add(TestOps.rowExists(db.dataSource(), m.messageId()));
            });
        }

        assertThat(log.flush(30_000)).isTrue();

        assertThat(order).containsExactlyElementsOf(submitted);
        assertThat(visibleInCallback).hasSize(200).containsOnly(true);
        assertThat(log.stats().backlog()).isZero();
        assertThat(log.stats().committedOps()).isEqualTo(200);
        assertThat(log.stats().lastBatchSize()).isBetween(1, 64);
        assertThat(log.stats().lastCommitLatencyMicros()).isPositive();
        assertThat(log.databaseHealthy()).isTrue();
    }

    @Test
    void shouldWriteTheExactDeliveryTimeWhetherTheMarkIsFoldedIntoItsInsertOrNot() throws SQLException {
        String meshId = Ids.newId();
        String target = "7".repeat(64);
        StoredMessage folded = message(meshId, target, "AA==", "AQ==", NOW, NOW + WEEK_MS);
        StoredMessage later = message(meshId, target, "AA==", "Ag==", NOW, NOW + WEEK_MS);

        // Same batch: the mark becomes the insert's delivered_at; the second mark of the same DM is ignored. Applied
        // as one plan by the writer's executor: submitted to the log, the four ops could be split across batches
        // (the writer takes what is queued), and whether the mark folds would be up to timing.
        BatchPlan sameBatch = new BatchPlan();
        sameBatch.addAll(List.of(Pending.of(new DurableOp.EnqueueMessage(folded), null),
                Pending.of(new DurableOp.MarkDelivered(meshId, folded.messageId(), NOW + 123), null),
                Pending.of(new DurableOp.MarkDelivered(meshId, folded.messageId(), NOW + 999), null),
                Pending.of(new DurableOp.EnqueueMessage(later), null)));
        new PgBatchExecutor(db.dataSource()).apply(sameBatch, new AuditHeads());
        // A later batch: a row appended to message_delivery (V11), the queue row untouched; a re-enqueue of a
        // committed, undelivered id carrying a folded mark marks it too.
        log.submit(new DurableOp.MarkDelivered(meshId, later.messageId(), NOW + 456));
        log.submit(new DurableOp.MarkDelivered(meshId, later.messageId(), NOW + 789));
        assertThat(log.flush(30_000)).isTrue();

        assertThat(deliveredAt(folded.messageId())).isEqualTo(AuditChain.isoMillis(NOW + 123));
        assertThat(deliveredAt(later.messageId())).isEqualTo(AuditChain.isoMillis(NOW + 456));
        assertThat(count("SELECT count(*) FROM mesh.message_queue WHERE id = ? AND delivered_at IS NULL",
                later.messageId())).as("the queue row is not updated").isEqualTo(1);
        assertThat(count("SELECT count(*) FROM mesh.message_delivery WHERE id = ? AND mesh_id = ?",
                later.messageId(), meshId)).as("the mark is appended").isBetween(1L, 2L);
        assertThat(undeliveredOf(meshId, NOW)).isEmpty();
        // Born delivered: its payload is not stored (nothing will push it again); marked later: the row keeps it.
        assertThat(payload(folded.messageId())).isEqualTo(List.of("", ""));
        assertThat(payload(later.messageId())).isEqualTo(List.of("AA==", "Ag=="));
        // message_status still finds both, delivered at the right time.
        assertThat(new PgMessageLookup(db.dataSource()).find(meshId, folded.messageId()))
                .containsExactly(new MessageLookup.QueuedMessage(folded.messageId(), meshId, target,
                        folded.senderMemberId(), NOW + 123));
        assertThat(new PgMessageLookup(db.dataSource()).find(meshId, later.messageId()))
                .containsExactly(new MessageLookup.QueuedMessage(later.messageId(), meshId, target,
                        later.senderMemberId(), NOW + 456));

        StoredMessage again = message(meshId, target, "AA==", "Aw==", NOW, NOW + WEEK_MS);
        log.submit(new DurableOp.EnqueueMessage(again));
        assertThat(log.flush(30_000)).isTrue();
        log.submit(new DurableOp.EnqueueMessage(again));
        log.submit(new DurableOp.MarkDelivered(meshId, again.messageId(), NOW + 321));
        assertThat(log.flush(30_000)).isTrue();

        assertThat(deliveredAt(again.messageId())).isEqualTo(AuditChain.isoMillis(NOW + 321));
    }

    private static List<String> payload(String messageId) throws SQLException {
        try (Connection c = db.dataSource().getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT nonce, ciphertext FROM mesh.message_queue WHERE id = ?")) {
            ps.setString(1, messageId);
            try (ResultSet rs = ps.executeQuery()) {
                assertThat(rs.next()).isTrue();
                return List.of(rs.getString(1), rs.getString(2));
            }
        }
    }

    private static long count(String sql, String... args) throws SQLException {
        try (Connection c = db.dataSource().getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setString(i + 1, args[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                assertThat(rs.next()).isTrue();
                return rs.getLong(1);
            }
        }
    }

    private static String deliveredAt(String messageId) throws SQLException {
        try (Connection c = db.dataSource().getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT to_char(delivered_at AT TIME ZONE 'UTC', "
                     + "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') FROM mesh.message_queue_status WHERE id = ?")) {
            ps.setString(1, messageId);
            try (ResultSet rs = ps.executeQuery()) {
                assertThat(rs.next()).isTrue();
                return rs.getString(1);
            }
        }
    }

    @Test
    void shouldIgnoreARepeatedEnqueueOfTheSameMessage() {
        String meshId = Ids.newId();
        StoredMessage m = message(meshId, "9".repeat(64), "AA==", "AQ==", NOW, NOW + WEEK_MS);

        log.submit(new DurableOp.EnqueueMessage(m));
        log.submit(new DurableOp.EnqueueMessage(m));
        assertThat(log.flush(30_000)).isTrue();

        assertThat(undeliveredOf(meshId, NOW)).hasSize(1);
    }

    @Test
    void shouldUpsertPresenceAndRecordDisconnects() throws SQLException {
        String meshId = Ids.newId();
        String presenceId = Ids.newId();

        log.submit(new DurableOp.UpsertPresence(meshId, presenceId, "member-1", "s".repeat(64), "sess-1",
                "alice\0", "/w", 42L, "idle", "session", NOW));
        log.submit(new DurableOp.UpsertPresence(meshId, presenceId, "member-1", "s".repeat(64), "sess-2", "alice",
                "/w2", 43L, "working", "session", NOW));
        assertThat(log.flush(30_000)).isTrue();

        assertThat(presence(presenceId)).isEqualTo(List.of("sess-2", "/w2", "43", "working", "open"));

        log.submit(new DurableOp.DisconnectPresence(meshId, presenceId, NOW + 1_000));
        assertThat(log.flush(30_000)).isTrue();

        assertThat(presence(presenceId)).isEqualTo(List.of("sess-2", "/w2", "43", "working",
                AuditChain.isoMillis(NOW + 1_000)));

        // A lease that comes back under the same presence id is open again.
        log.submit(new DurableOp.UpsertPresence(meshId, presenceId, "member-1", null, null, "alice", "/w2", null,
                "idle", "control-plane", NOW + 2_000));
        assertThat(log.flush(30_000)).isTrue();

        assertThat(presence(presenceId)).isEqualTo(List.of("null", "/w2", "null", "idle", "open"));
    }

    private static List<String> presence(String id) throws SQLException {
        try (Connection c = db.dataSource().getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT session_id, cwd, pid, status, "
                     + "to_char(disconnected_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') "
                     + "FROM mesh.presence WHERE id = ?")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                assertThat(rs.next()).isTrue();
                return List.of(String.valueOf(rs.getString(1)), rs.getString(2), String.valueOf(rs.getObject(3)),
                        rs.getString(4), rs.getString(5) == null ? "open" : rs.getString(5));
            }
        }
    }

    @Test
    void shouldChainAuditEventsPerMeshSoThatEveryStoredRowReHashes() throws SQLException {
        List<String> meshes = List.of(Ids.newId(), Ids.newId(), Ids.newId());
        String secretNonce = "c2VjcmV0LW5vbmNl";
        String secretCiphertext = "Y2lwaGVydGV4dC1zZWNyZXQ=";
        log.submit(new DurableOp.EnqueueMessage(message(meshes.get(0), "1".repeat(64), secretNonce, secretCiphertext,
                NOW, NOW + WEEK_MS)));
        for (int i = 0; i < 30; i++) {
            String meshId = meshes.get(i % 3);
            Map<String, Object> payload = i % 2 == 0
                    ? Map.of("targetSpec", "@all", "priority", "now")
                    : Map.of("pubkey", "ab".repeat(32), "groups", List.of(Map.of("name", "be", "role", "lead")),
                    "role", "session", "n", i, "quote", "he said \"hi\"\n");
            // createdAt with sub-millisecond noise would not survive storage; ms is what the chain hashes.
            log.submit(TestAudits.audit(meshId, i % 2 == 0 ? "message_sent" : "peer_joined",
                    i % 5 == 0 ? null : "member-" + i, payload, NOW + i));
        }
        assertThat(log.flush(30_000)).isTrue();

        for (String meshId : meshes) {
            assertThat(admin.verifyAudit(meshId)).isEqualTo(new AuditVerification(true, 10, null));
            List<AuditRow> rows = admin.auditRows(meshId);
            assertThat(rows.get(0).prevHash()).isEqualTo(AuditChain.GENESIS);
            for (int i = 1; i < rows.size(); i++) {
                assertThat(rows.get(i).prevHash()).isEqualTo(rows.get(i - 1).hash());
            }
        }
        // The DM's nonce and ciphertext are stored in the queue, never in the audit log.
        assertThat(undeliveredOf(meshes.get(0), NOW)).hasSize(1);
        assertThat(admin.auditRowsContaining(secretNonce)).isEmpty();
        assertThat(admin.auditRowsContaining(secretCiphertext)).isEmpty();
        assertThat(admin.auditRowsContaining("@all")).hasSize(15);

        // Tamper with one stored payload: verification names that row.
        List<AuditRow> rows = admin.auditRows(meshes.get(1));
        AuditRow victim = rows.get(4);
        try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement()) {
            st.executeUpdate("UPDATE mesh.audit_log SET payload_canonical = '{\"targetSpec\":\"@evil\"}' WHERE id = "
                    + victim.id());
        }
        assertThat(admin.verifyAudit(meshes.get(1))).isEqualTo(new AuditVerification(false, 10, victim.id()));
        assertThat(admin.verifyAudit(meshes.get(0)).ok()).isTrue();

        // Deleting a row breaks the link of its successor.
        AuditRow gone = admin.auditRows(meshes.get(2)).get(6);
        AuditRow next = admin.auditRows(meshes.get(2)).get(7);
        try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement()) {
            st.executeUpdate("DELETE FROM mesh.audit_log WHERE id = " + gone.id());
        }
        assertThat(admin.verifyAudit(meshes.get(2))).isEqualTo(new AuditVerification(false, 9, next.id()));
    }

    @Test
    void shouldContinueAMeshChainAfterAWriterRestart() {
        String meshId = Ids.newId();
        log.submit(TestAudits.audit(meshId, "peer_joined", "m1", Map.of("pubkey", "k"), NOW));
        log.submit(TestAudits.audit(meshId, "peer_left", "m1", Map.of(), NOW + 1));
        log.close();

        // A new writer knows nothing of the chain: it must load the last hash from the database.
        log = PgDurableLog.start(db.dataSource(), WriterConfig.defaults());
        log.submit(TestAudits.audit(meshId, "peer_joined", "m1", Map.of("pubkey", "k"), NOW + 2));
        assertThat(log.flush(30_000)).isTrue();

        assertThat(admin.verifyAudit(meshId)).isEqualTo(new AuditVerification(true, 3, null));
    }
}
