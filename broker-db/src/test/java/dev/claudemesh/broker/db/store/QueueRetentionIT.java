package dev.claudemesh.broker.db.store;

import dev.claudemesh.broker.core.Ids;
import dev.claudemesh.broker.core.model.StoredMessage;
import dev.claudemesh.broker.core.port.DurableOp;
import dev.claudemesh.broker.db.testing.TestDatabase;
import dev.claudemesh.broker.db.testing.TestDatabases;
import dev.claudemesh.broker.db.writer.PgDurableLog;
import dev.claudemesh.broker.db.writer.WriterConfig;
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

import static org.assertj.core.api.Assertions.assertThat;

class QueueRetentionIT {

    private static final long NOW = 1_780_000_000_000L;
    private static final long DAY_MS = 24L * 3600 * 1000;

    private static TestDatabase db;

    @BeforeAll
    static void createDatabase() {
        db = TestDatabases.newDatabase();
    }

    @AfterAll
    static void dropDatabase() {
        db.close();
    }

    private static StoredMessage message(String meshId, long createdAtMs, long expiresAtMs) {
        return new StoredMessage(Ids.newId(), meshId, Ids.newId(), "a".repeat(64), "b".repeat(64), "alice",
                "e".repeat(64), "next", "AA==".getBytes(StandardCharsets.US_ASCII),
                "AQ==".getBytes(StandardCharsets.US_ASCII), "c1", "fp", createdAtMs, expiresAtMs);
    }

    @Test
    void shouldDeleteOnlyRowsDeliveredOrExpiredBeforeTheRetentionPeriod() throws SQLException {
        String meshId = Ids.newId();
        StoredMessage deliveredLongAgo = message(meshId, NOW - 3 * DAY_MS, NOW + 4 * DAY_MS);
        StoredMessage deliveredRecently = message(meshId, NOW - 3 * DAY_MS, NOW + 4 * DAY_MS);
        StoredMessage expiredLongAgo = message(meshId, NOW - 9 * DAY_MS, NOW - 2 * DAY_MS);
        StoredMessage expiredRecently = message(meshId, NOW - 8 * DAY_MS, NOW - DAY_MS / 2);
        StoredMessage live = message(meshId, NOW - 6 * DAY_MS, NOW + DAY_MS);
        try (PgDurableLog log = PgDurableLog.start(db.dataSource(), WriterConfig.defaults())) {
            for (StoredMessage m : List.of(deliveredLongAgo, deliveredRecently, expiredLongAgo, expiredRecently, live)) {
                log.submit(new DurableOp.EnqueueMessage(m));
            }
            assertThat(log.flush(30_000)).isTrue();
            log.submit(new DurableOp.MarkDelivered(meshId, deliveredLongAgo.messageId(), NOW - 2 * DAY_MS));
            log.submit(new DurableOp.MarkDelivered(meshId, deliveredRecently.messageId(), NOW - DAY_MS / 2));
            assertThat(log.flush(30_000)).isTrue();
        }
        QueueRetention retention = new QueueRetention(db.dataSource(), DAY_MS);

        assertThat(retention.sweep(NOW)).isEqualTo(2);

        assertThat(idsOf(meshId)).containsExactlyInAnyOrder(deliveredRecently.messageId(),
                expiredRecently.messageId(), live.messageId());
        // the marks were appended to message_delivery (V11): the old one went with its DM, the recent one stays
        assertThat(markedIdsOf(meshId)).containsExactly(deliveredRecently.messageId());
        assertThat(retention.sweep(NOW)).isZero();
        // A day later the recent ones are old too; the live DM (expiring at NOW + 1 day) stays until a day after.
        assertThat(retention.sweep(NOW + DAY_MS)).isEqualTo(2);
        assertThat(idsOf(meshId)).containsExactly(live.messageId());
        assertThat(markedIdsOf(meshId)).isEmpty();
        assertThat(retention.deletedRows()).isEqualTo(4);
        assertThat(retention.sweeps()).isEqualTo(3);
    }

    @Test
    void shouldDeleteMoreRowsThanOneChunkInOneSweep() throws SQLException {
        String meshId = Ids.newId();
        int rows = QueueRetention.CHUNK + 17;
        try (PgDurableLog log = PgDurableLog.start(db.dataSource(), WriterConfig.defaults())) {
            for (int i = 0; i < rows; i++) {
                log.submit(new DurableOp.EnqueueMessage(message(meshId, NOW - 9 * DAY_MS, NOW - 2 * DAY_MS)));
            }
            assertThat(log.flush(60_000)).isTrue();
        }

        assertThat(new QueueRetention(db.dataSource(), DAY_MS).sweep(NOW)).isGreaterThanOrEqualTo(rows);

        assertThat(idsOf(meshId)).isEmpty();
    }

    @Test
    void shouldDeleteMoreMarkedRowsThanOneChunkInOneSweep() throws SQLException {
        String meshId = Ids.newId();
        int rows = QueueRetention.CHUNK + 17;
        try (PgDurableLog log = PgDurableLog.start(db.dataSource(), WriterConfig.defaults())) {
            List<StoredMessage> sent = new ArrayList<>();
            for (int i = 0; i < rows; i++) {
                StoredMessage m = message(meshId, NOW - 3 * DAY_MS, NOW + 4 * DAY_MS);
                sent.add(m);
                log.submit(new DurableOp.EnqueueMessage(m));
            }
            assertThat(log.flush(60_000)).isTrue();
            for (StoredMessage m : sent) {
                log.submit(new DurableOp.MarkDelivered(meshId, m.messageId(), NOW - 2 * DAY_MS));
            }
            assertThat(log.flush(60_000)).isTrue();
        }
        assertThat(markedIdsOf(meshId)).hasSize(rows);

        assertThat(new QueueRetention(db.dataSource(), DAY_MS).sweep(NOW)).isEqualTo(rows);

        assertThat(idsOf(meshId)).isEmpty();
        assertThat(markedIdsOf(meshId)).isEmpty();
    }

    private static List<String> markedIdsOf(String meshId) throws SQLException {
        return idsOf("SELECT id FROM mesh.message_delivery WHERE mesh_id = ?", meshId);
    }

    private static List<String> idsOf(String meshId) throws SQLException {
        return idsOf("SELECT id FROM mesh.message_queue WHERE mesh_id = ?", meshId);
    }

    private static List<String> idsOf(String sql, String meshId) throws SQLException {
        try (Connection c = db.dataSource().getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, meshId);
            List<String> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
            return out;
        }
    }
}
