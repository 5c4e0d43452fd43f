package dev.claudemesh.broker.db.writer;

import dev.claudemesh.broker.core.Ids;
import dev.claudemesh.broker.core.model.StoredMessage;
import dev.claudemesh.broker.core.port.DurableOp;
import dev.claudemesh.broker.db.store.AdminRepository;
import dev.claudemesh.broker.db.store.AuditVerification;
import dev.claudemesh.broker.db.store.PgRecoveryStore;
import dev.claudemesh.broker.db.testing.TestDatabase;
import dev.claudemesh.broker.db.testing.TestDatabases;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Several writers, meshes spread over them: per mesh everything holds as with one writer. */
class ShardedDurableLogIT {

    private static final long NOW = 1_780_000_000_000L;
    private static final long WEEK_MS = 7L * 24 * 3600 * 1000;

    private static TestDatabase db;

    @BeforeAll
    static void createDatabase() {
        db = TestDatabases.newDatabase();
    }

    @AfterAll
    static void dropDatabase() {
        db.close();
    }

    @Test
    void shouldKeepEveryMeshsOrderChainAndDeliveryMarksAcrossShards() {
        List<String> meshes = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            meshes.add(Ids.newId());
        }
        Map<String, List<Integer>> callbacksByMesh = new HashMap<>();
        Map<String, List<StoredMessage>> dmsByMesh = new HashMap<>();
        Set<Thread> writerThreads = Collections.synchronizedSet(new HashSet<>());
        try (ShardedDurableLog log = ShardedDurableLog.start(db.dataSource(),
                WriterConfig.builder().maxBatchOps(16).build(), 3)) {
            assertThat(log.shards()).isEqualTo(3);
            assertThat(meshes.stream().map(log::shardOf).distinct().count()).as("meshes spread over shards")
                    .isGreaterThan(1);
            for (int round = 0; round < 20; round++) {
                for (String mesh : meshes) {
                    List<Integer> seen = callbacksByMesh.computeIfAbsent(mesh, k -> Collections.synchronizedList(
                            new ArrayList<>()));
                    int n = round;
                    StoredMessage dm = PgDurableLogIT.message(mesh, "t".repeat(64), "AA==", "AQ==", NOW + round,
                            NOW + WEEK_MS);
                    dmsByMesh.computeIfAbsent(mesh, k -> new ArrayList<>()).add(dm);
                    log.submit(new DurableOp.EnqueueMessage(dm), () -> {
                        seen.add(n);
                        writerThreads.add(Thread.currentThread());
                    });
                    log.submit(TestAudits.audit(mesh, "message_sent", "m", Map.of("n", round), NOW + round));
                    if (round % 2 == 0) {
                        log.submit(new DurableOp.MarkDelivered(mesh, dm.messageId(), NOW + round + 1));
                    }
                }
            }
            assertThat(log.flush(60_000)).isTrue();

            assertThat(log.stats().backlog()).isZero();
            assertThat(log.databaseHealthy()).isTrue();
            assertThat(log.stats().committedOps()).isEqualTo(12 * (20 + 20 + 10));
            assertThat(writerThreads).as("callbacks ran on several writer threads").hasSizeGreaterThan(1);
            List<StoredMessage> undelivered = new PgRecoveryStore(db.dataSource()).loadUndelivered(NOW);
            AdminRepository admin = new AdminRepository(db.dataSource());
            for (String mesh : meshes) {
                assertThat(callbacksByMesh.get(mesh)).as("callback order of mesh " + mesh)
                        .containsExactlyElementsOf(java.util.stream.IntStream.range(0, 20).boxed().toList());
                assertThat(admin.verifyAudit(mesh)).isEqualTo(new AuditVerification(true, 20, null));
                List<String> expectedUndelivered = new ArrayList<>();
                for (int round = 1; round < 20; round += 2) {
                    expectedUndelivered.add(dmsByMesh.get(mesh).get(round).messageId());
                }
                assertThat(undelivered.stream().filter(m -> m.meshId().equals(mesh)).map(StoredMessage::messageId))
                        .containsExactlyElementsOf(expectedUndelivered);
            }
        }
    }

    @Test
    void shouldRouteEveryOpByItsMeshIdAndRefuseOpsWithout() {
        StoredMessage dm = PgDurableLogIT.message("mesh-a", "t".repeat(64), "AA==", "AQ==", NOW, NOW + WEEK_MS);
        assertThat(ShardedDurableLog.meshIdOf(new DurableOp.EnqueueMessage(dm))).isEqualTo("mesh-a");
        assertThat(ShardedDurableLog.meshIdOf(new DurableOp.MarkDelivered("mesh-b", "x", NOW))).isEqualTo("mesh-b");
        assertThat(ShardedDurableLog.meshIdOf(new DurableOp.DisconnectPresence("mesh-c", "p", NOW)))
                .isEqualTo("mesh-c");
        assertThat(ShardedDurableLog.meshIdOf(new DurableOp.UpsertPresence("mesh-d", "p", "m", null, null, null, null,
                null, null, null, NOW))).isEqualTo("mesh-d");
        assertThat(ShardedDurableLog.meshIdOf(TestAudits.audit("mesh-e", "peer_left", null, Map.of(), NOW)))
                .isEqualTo("mesh-e");
        assertThatThrownBy(() -> ShardedDurableLog.meshIdOf(new DurableOp.MarkDelivered(null, "x", NOW)))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("meshId");
        assertThatThrownBy(() -> ShardedDurableLog.start(db.dataSource(), WriterConfig.defaults(), 0))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
