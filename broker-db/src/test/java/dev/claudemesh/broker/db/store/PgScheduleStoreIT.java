package dev.claudemesh.broker.db.store;

import dev.claudemesh.broker.core.Ids;
import dev.claudemesh.broker.core.crypto.Ed25519;
import dev.claudemesh.broker.core.model.Member;
import dev.claudemesh.broker.core.model.Mesh;
import dev.claudemesh.broker.core.model.StoredMessage;
import dev.claudemesh.broker.core.port.DurableOp;
import dev.claudemesh.broker.core.schedule.ScheduleStore;
import dev.claudemesh.broker.core.schedule.ScheduledMessage;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

/**
 * {@link PgScheduleStore} against a real PostgreSQL (migration V6): the round trip of an entry, the per-member cap
 * under concurrent inserts, revoked and deleted members, a send under way recognised by its queue row, and the
 * {@code subtype} column of {@code message_queue} through the writer and the boot reload.
 */
class PgScheduleStoreIT {

    private static final long NOW = 1_780_000_000_000L;
    private static TestDatabase db;
    private static PgScheduleStore store;
    private static AdminRepository admin;

    @BeforeAll
    static void createDatabase() {
        db = TestDatabases.newDatabase();
        store = new PgScheduleStore(db.dataSource());
        admin = new AdminRepository(db.dataSource());
    }

    @AfterAll
    static void dropDatabase() {
        db.close();
    }

    private static Member member(Mesh mesh, String name) {
        return admin.addMember(mesh.id(), Ed25519.generate().publicKeyHex(), name, null, List.of(), Map.of());
    }

    private static ScheduledMessage entry(Member m, long deliverAtMs, String cron, long createdAtMs) {
        return new ScheduledMessage(UUID.randomUUID().toString(), m.meshId(), m.id(), "presence-1", "*", false,
                "standup time", deliverAtMs, cron, cron == null ? null : "reminder", 0, createdAtMs, null, false);
    }

    @Test
    void shouldStoreListReadDueClaimAdvanceAndDelete() {
        Mesh mesh = admin.createMesh("sched-roundtrip", "sched-roundtrip");
        Member alice = member(mesh, "alice");
        Member bob = member(mesh, "bob");
        ScheduledMessage soon = entry(alice, NOW + 60_000, null, NOW);
        ScheduledMessage cron = entry(alice, NOW + 120_000, "*/2 * * * *", NOW + 1);
        ScheduledMessage later = entry(alice, NOW + 86_400_000, null, NOW + 2);
        ScheduledMessage bobs = entry(bob, NOW + 30_000, null, NOW + 3);
        for (ScheduledMessage e : List.of(soon, cron, later, bobs)) {
            assertThat(store.insert(e, 10)).isEqualTo(ScheduleStore.InsertResult.INSERTED);
        }

        assertThat(store.listByMember(mesh.id(), alice.id())).containsExactly(soon, cron, later);
        assertThat(store.meshesWithPending()).contains(mesh.id());
        ScheduleStore.Due due = store.due(mesh.id(), NOW + 600_000);
        assertThat(due.entries()).containsExactly(bobs, soon, cron);
        assertThat(due.nextLaterMs()).isEqualTo(NOW + 86_400_000);
        assertThat(store.due(mesh.id(), NOW + 100_000_000).nextLaterMs()).isEqualTo(-1);

        // cancel: only the member's own, in its mesh
        assertThat(store.cancel(mesh.id(), soon.id(), bob.id())).isFalse();
        assertThat(store.cancel("another-mesh", soon.id(), alice.id())).isFalse();
        assertThat(store.cancel(mesh.id(), soon.id(), alice.id())).isTrue();
        assertThat(store.cancel(mesh.id(), soon.id(), alice.id())).isFalse();

        // claim records the send under way and reads the member as it is now
        assertThat(store.claim(cron.id(), "msg-1")).isEqualTo(new ScheduleStore.MemberRef(alice.pubkey(), "alice"));
        assertThat(store.due(mesh.id(), NOW + 600_000).entries()).filteredOn(e -> e.id().equals(cron.id()))
                .singleElement().satisfies(e -> {
                    assertThat(e.pendingMessageId()).isEqualTo("msg-1");
                    assertThat(e.pendingSent()).isFalse();
                });
        store.advance(cron.id(), NOW + 240_000, 1, NOW + 120_000);
        ScheduledMessage advanced = store.listByMember(mesh.id(), alice.id()).get(0);
        assertThat(advanced.deliverAtMs()).isEqualTo(NOW + 240_000);
        assertThat(advanced.firedCount()).isEqualTo(1);
        assertThat(advanced.pendingMessageId()).isNull();
        store.advance(cron.id(), NOW + 360_000, 1, null);
        assertThat(store.listByMember(mesh.id(), alice.id()).get(0).deliverAtMs()).isEqualTo(NOW + 360_000);

        store.delete(later.id());
        assertThat(store.listByMember(mesh.id(), alice.id())).extracting(ScheduledMessage::id)
                .containsExactly(cron.id());
        assertThat(store.claim(later.id(), "msg-2")).isNull();
    }

    @Test
    void shouldNeverExceedTheCapUnderConcurrentInserts() throws Exception {
        Mesh mesh = admin.createMesh("sched-cap", "sched-cap");
        Member carol = member(mesh, "carol");
        int threads = 8;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<ScheduleStore.InsertResult>> results = new ArrayList<>();
        try {
            for (int i = 0; i < threads * 3; i++) {
                long created = NOW + i;
                Callable<ScheduleStore.InsertResult> insert = () -> {
                    go.await();
                    return store.insert(entry(carol, NOW + 60_000, null, created), 5);
                };
                results.add(pool.submit(insert));
            }
            go.countDown();
            int inserted = 0;
            for (Future<ScheduleStore.InsertResult> f : results) {
                if (f.get(30, TimeUnit.SECONDS) == ScheduleStore.InsertResult.INSERTED) {
                    inserted++;
                }
            }
            assertThat(inserted).isEqualTo(5);
            assertThat(store.listByMember(mesh.id(), carol.id())).hasSize(5);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void shouldHideEntriesOfRevokedMembersAndDropThoseOfDeletedOnes() throws Exception {
        Mesh mesh = admin.createMesh("sched-revoked", "sched-revoked");
        Member dave = member(mesh, "dave");
        Member erin = member(mesh, "erin");
        ScheduledMessage e = entry(dave, NOW, null, NOW);
        store.insert(e, 10);
        store.insert(entry(erin, NOW, null, NOW), 10);
        new MembershipAdmin(db.dataSource(), null, MembershipAdmin.VIA_ADMIN_API, () -> NOW,
                MembershipAdmin.Listener.NONE).revokeMember(mesh.id(), dave.id());

        assertThat(store.insert(entry(dave, NOW, null, NOW), 10)).isEqualTo(ScheduleStore.InsertResult.NO_MEMBER);
        assertThat(store.due(mesh.id(), NOW + 1).entries()).extracting(ScheduledMessage::memberId)
                .containsExactly(erin.id());
        assertThat(store.claim(e.id(), "m")).isNull();

        try (Connection c = db.dataSource().getConnection();
             PreparedStatement ps = c.prepareStatement("DELETE FROM mesh.member WHERE id = ?")) {
            ps.setString(1, erin.id());
            ps.executeUpdate();
        }
        assertThat(store.due(mesh.id(), NOW + 1).entries()).isEmpty();
        assertThat(store.meshesWithPending()).doesNotContain(mesh.id());
    }

    @Test
    void shouldRecogniseASendUnderWayByItsQueueRowAndKeepTheSubtypeOfQueuedDms() {
        Mesh mesh = admin.createMesh("sched-pending", "sched-pending");
        Member frank = member(mesh, "frank");
        ScheduledMessage e = entry(frank, NOW, null, NOW);
        store.insert(e, 10);
        String messageId = Ids.newId(NOW);
        store.claim(e.id(), messageId);
        assertThat(store.due(mesh.id(), NOW + 1).entries().get(0).pendingSent()).isFalse();

        byte[] ct = "c3RyZXRjaA==".getBytes(StandardCharsets.US_ASCII);
        StoredMessage reminder = new StoredMessage(messageId, mesh.id(), frank.id(), frank.pubkey(), frank.pubkey(),
                "frank", frank.pubkey(), "now", new byte[0], ct, null, null, NOW, NOW + 86_400_000, "reminder");
        StoredMessage plain = new StoredMessage(Ids.newId(NOW), mesh.id(), frank.id(), frank.pubkey(), frank.pubkey(),
                "frank", frank.pubkey(), "now", new byte[0], ct, null, null, NOW, NOW + 86_400_000);
        PgDurableLog log = PgDurableLog.start(db.dataSource(), WriterConfig.defaults());
        try {
            log.submit(new DurableOp.EnqueueMessage(reminder), null);
            log.submit(new DurableOp.EnqueueMessage(plain), null);
            assertThat(log.flush(30_000)).isTrue();
        } finally {
            log.close();
        }

        assertThat(store.due(mesh.id(), NOW + 1).entries().get(0).pendingSent()).isTrue();
        List<StoredMessage> reloaded = new PgRecoveryStore(db.dataSource()).loadUndelivered(NOW).stream()
                .filter(m -> m.meshId().equals(mesh.id())).toList();
        assertThat(reloaded).extracting(StoredMessage::messageId, StoredMessage::subtype)
                .containsExactlyInAnyOrder(tuple(messageId, "reminder"),
                        tuple(plain.messageId(), null));
    }
}
