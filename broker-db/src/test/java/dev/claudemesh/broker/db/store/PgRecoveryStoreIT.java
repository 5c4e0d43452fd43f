package dev.claudemesh.broker.db.store;

import dev.claudemesh.broker.core.Ids;
import dev.claudemesh.broker.core.model.RecentSend;
import dev.claudemesh.broker.core.model.StoredMessage;
import dev.claudemesh.broker.core.port.DurableOp;
import dev.claudemesh.broker.db.testing.TestDatabase;
import dev.claudemesh.broker.db.testing.TestDatabases;
import dev.claudemesh.broker.db.writer.PgDurableLog;
import dev.claudemesh.broker.db.writer.WriterConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The boot-time reads over rows the durable writer wrote: the DMs to deliver and the idempotency window. */
class PgRecoveryStoreIT {

    private static final long NOW = 1_780_000_000_000L;
    private static final long WEEK_MS = 7L * 24 * 3600 * 1000;

    private static TestDatabase db;
    private PgDurableLog log;

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
    }

    @AfterEach
    void stopWriter() {
        log.close();
    }

    private static StoredMessage message(String meshId, String target, String nonce, String ciphertext,
                                         long createdAtMs, long expiresAtMs) {
        return new StoredMessage(Ids.newId(), meshId, Ids.newId(), "a".repeat(64), "b".repeat(64), "alice", target,
                "next", nonce.getBytes(StandardCharsets.US_ASCII), ciphertext.getBytes(StandardCharsets.US_ASCII),
                "c1", "fp", createdAtMs, expiresAtMs);
    }

    private List<StoredMessage> undeliveredOf(String meshId, long nowMs) {
        return new PgRecoveryStore(db.dataSource()).loadUndelivered(nowMs).stream()
                .filter(m -> m.meshId().equals(meshId)).toList();
    }

    @Test
    void shouldReloadExactNonceAndCiphertextBytesOldestFirst() {
        String meshId = Ids.newId();
        String target = "d".repeat(64);
        StoredMessage later = message(meshId, target, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYX", "+/+/ab==", NOW + 5,
                NOW + WEEK_MS);
        StoredMessage earlier = new StoredMessage(Ids.newId(), meshId, "m1", "a".repeat(64), "e".repeat(64), null,
                target, "now", "Zm9v".getBytes(StandardCharsets.US_ASCII),
                "eHl6/+Q=".getBytes(StandardCharsets.US_ASCII), null, null, NOW, NOW + WEEK_MS);

        log.submit(new DurableOp.EnqueueMessage(later));
        log.submit(new DurableOp.EnqueueMessage(earlier));
        assertThat(log.flush(30_000)).isTrue();

        List<StoredMessage> loaded = undeliveredOf(meshId, NOW);
        assertThat(loaded).hasSize(2);
        assertSame(loaded.get(0), earlier);
        assertSame(loaded.get(1), later);
    }

    private static void assertSame(StoredMessage actual, StoredMessage expected) {
        assertThat(actual).usingRecursiveComparison().isEqualTo(expected);
        assertThat(actual.nonce()).containsExactly(expected.nonce());
        assertThat(actual.ciphertext()).containsExactly(expected.ciphertext());
    }

    @Test
    void shouldLeaveDeliveredAndExpiredMessagesOutOfTheReload() {
        String meshId = Ids.newId();
        String target = "f".repeat(64);
        StoredMessage delivered = message(meshId, target, "AA==", "AQ==", NOW, NOW + WEEK_MS);
        StoredMessage expired = message(meshId, target, "AA==", "Ag==", NOW - WEEK_MS - 1, NOW - 1);
        StoredMessage live = message(meshId, target, "AA==", "Aw==", NOW + 1, NOW + WEEK_MS);

        log.submit(new DurableOp.EnqueueMessage(delivered));
        log.submit(new DurableOp.EnqueueMessage(expired));
        log.submit(new DurableOp.EnqueueMessage(live));
        // In the same batch as its enqueue: the mark must still find the row.
        log.submit(new DurableOp.MarkDelivered(meshId, delivered.messageId(), NOW + 2));
        log.submit(new DurableOp.MarkDelivered(meshId, "unknown-id", NOW + 2));
        assertThat(log.flush(30_000)).isTrue();

        assertThat(undeliveredOf(meshId, NOW)).extracting(StoredMessage::messageId)
                .containsExactly(live.messageId());

        log.submit(new DurableOp.MarkDelivered(meshId, live.messageId(), NOW + 3));
        assertThat(log.flush(30_000)).isTrue();

        assertThat(undeliveredOf(meshId, NOW)).isEmpty();
    }

    @Test
    void shouldLoadRecentSendsWithAClientMessageIdDeliveredOrNotOldestFirst() {
        String meshId = Ids.newId();
        long t0 = System.currentTimeMillis();
        StoredMessage old = send(meshId, "old", t0 - 700_000);
        StoredMessage delivered = send(meshId, "delivered", t0 - 60_000);
        StoredMessage waiting = send(meshId, "waiting", t0 - 120_000);
        StoredMessage noClientId = new StoredMessage(Ids.newId(t0 - 30_000), meshId, "m1", "a".repeat(64),
                "e".repeat(64), null, "d".repeat(64), "now", new byte[] {'A'}, new byte[] {'B'}, null, null,
                t0 - 30_000, t0 + WEEK_MS);
        for (StoredMessage m : List.of(old, delivered, waiting, noClientId)) {
            log.submit(new DurableOp.EnqueueMessage(m));
        }
        log.submit(new DurableOp.MarkDelivered(meshId, delivered.messageId(), t0 - 59_000));
        assertThat(log.flush(30_000)).isTrue();

        List<RecentSend> recent = new PgRecoveryStore(db.dataSource()).loadRecentSends(t0 - 600_000).stream()
                .filter(r -> r.meshId().equals(meshId)).toList();

        assertThat(recent).containsExactly(
                new RecentSend(meshId, "e".repeat(64), "waiting", waiting.messageId(), t0 - 120_000),
                new RecentSend(meshId, "e".repeat(64), "delivered", delivered.messageId(), t0 - 60_000));
    }

    private static StoredMessage send(String meshId, String clientMessageId, long createdAtMs) {
        return new StoredMessage(Ids.newId(createdAtMs), meshId, "m1", "a".repeat(64), "e".repeat(64), null,
                "d".repeat(64), "now", new byte[] {'A'}, new byte[] {'B'}, clientMessageId, null, createdAtMs,
                createdAtMs + WEEK_MS);
    }
}
