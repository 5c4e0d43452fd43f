package dev.claudemesh.broker.db.store;

import dev.claudemesh.broker.core.Ids;
import dev.claudemesh.broker.core.crypto.Ed25519;
import dev.claudemesh.broker.core.envelope.JsonNode;
import dev.claudemesh.broker.core.envelope.JsonOut;
import dev.claudemesh.broker.core.envelope.JsonTree;
import dev.claudemesh.broker.core.mesh.SavedPeerState;
import dev.claudemesh.broker.core.model.GroupRole;
import dev.claudemesh.broker.core.model.Member;
import dev.claudemesh.broker.core.model.Mesh;
import dev.claudemesh.broker.core.presence.PeerStateStore;
import dev.claudemesh.broker.db.testing.TestDatabase;
import dev.claudemesh.broker.db.testing.TestDatabases;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link PgPeerStateStore} against a real PostgreSQL: the upsert, the counters added in SQL, the round trip. */
class PgPeerStateStoreIT {

    private static final long T0 = 1_780_000_000_000L;

    private static TestDatabase db;
    private static AdminRepository admin;
    private static PgPeerStateStore store;

    @BeforeAll
    static void createDatabase() {
        db = TestDatabases.newDatabase();
        admin = new AdminRepository(db.dataSource());
        store = new PgPeerStateStore(db.dataSource());
    }

    @AfterAll
    static void dropDatabase() {
        db.close();
    }

    private static Member newMember() {
        Mesh mesh = admin.createMesh("m", "ps-" + Ids.newId());
        return admin.addMember(mesh.id(), Ed25519.generate().publicKeyHex(), "alice", null, List.of(), null);
    }

    private static JsonNode.ObjectNode json(String text) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        return JsonTree.parseObject(b, 0, b.length);
    }

    private static PeerStateStore.Save save(List<GroupRole> groups, String profile, boolean visible, String summary,
                                            SavedPeerState.Stats increase, long at) {
        return new PeerStateStore.Save(groups, json(profile), visible, "alice-laptop", summary, increase, at);
    }

    @Test
    void shouldFindNothingBeforeTheFirstSave() {
        Member m = newMember();
        assertThat(store.load(m.meshId(), m.id())).isNull();
    }

    @Test
    void shouldInsertThenUpdateOneRowPerMemberAddingTheCounters() throws Exception {
        Member m = newMember();
        store.save(m.meshId(), m.id(), save(List.of(new GroupRole("be", "lead")), "{\"title\":\"reviewer\"}", false,
                "first summary", new SavedPeerState.Stats(3, 5, 12, 1), T0));

        SavedPeerState first = store.load(m.meshId(), m.id());
        assertThat(first.groups()).containsExactly(new GroupRole("be", "lead"));
        assertThat(first.visible()).isFalse();
        assertThat(new JsonOut().value(first.profile()).toString()).isEqualTo("{\"title\":\"reviewer\"}");
        assertThat(first.lastSummary()).isEqualTo("first summary");
        assertThat(first.lastSeenAtMs()).isEqualTo(T0);
        assertThat(first.cumulativeStats()).isEqualTo(new SavedPeerState.Stats(3, 5, 12, 1));

        // no summary this time: the stored one stays; counters add up; everything else is replaced
        store.save(m.meshId(), m.id(), save(List.of(), "{}", true, null, new SavedPeerState.Stats(1, 0, 2, 0),
                T0 + 60_000));
        SavedPeerState second = store.load(m.meshId(), m.id());
        assertThat(second.groups()).isEmpty();
        assertThat(second.visible()).isTrue();
        assertThat(second.profile().size()).isZero();
        assertThat(second.lastSummary()).isEqualTo("first summary");
        assertThat(second.lastSeenAtMs()).isEqualTo(T0 + 60_000);
        assertThat(second.cumulativeStats()).isEqualTo(new SavedPeerState.Stats(4, 5, 14, 1));

        store.save(m.meshId(), m.id(), save(List.of(), "{}", true, "second summary", SavedPeerState.Stats.ZERO,
                T0 + 120_000));
        assertThat(store.load(m.meshId(), m.id()).lastSummary()).isEqualTo("second summary");

        try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select count(*), min(last_display_name), min(cumulative_stats::text) "
                     + "from mesh.peer_state where member_id = '" + m.id() + "'")) {
            rs.next();
            assertThat(rs.getInt(1)).isEqualTo(1);
            assertThat(rs.getString(2)).isEqualTo("alice-laptop");
            assertThat(rs.getString(3)).isEqualTo("{\"errors\": 1, \"toolCalls\": 14, \"messagesIn\": 4, "
                    + "\"messagesOut\": 5}");
        }
    }

    @Test
    void shouldNotLoseAnIncreaseWhenSavesOfOneMemberRace() throws Exception {
        Member m = newMember();
        int saves = 16;
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < saves; i++) {
                long at = T0 + i;
                done.add(pool.submit(() -> store.save(m.meshId(), m.id(), save(List.of(), "{}", true, null,
                        new SavedPeerState.Stats(1, 2, 3, 0), at))));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(store.load(m.meshId(), m.id()).cumulativeStats())
                .isEqualTo(new SavedPeerState.Stats(saves, 2L * saves, 3L * saves, 0));
    }

    @Test
    void shouldStoreStringsWithNulCharactersWithoutFailingTheSave() {
        Member m = newMember();
        store.save(m.meshId(), m.id(), new PeerStateStore.Save(List.of(), json("{\"bio\":\"a\\u0000b\"}"), true,
                "na\u0000me", "sum\u0000mary", SavedPeerState.Stats.ZERO, T0));
        SavedPeerState s = store.load(m.meshId(), m.id());
        assertThat(s.profile().string("bio")).isEqualTo("a\uFFFDb");
        assertThat(s.lastSummary()).isEqualTo("sum\uFFFDmary");
    }

    @Test
    void shouldGoWithItsMember() throws Exception {
        Member m = newMember();
        store.save(m.meshId(), m.id(), save(List.of(), "{}", true, null, SavedPeerState.Stats.ZERO, T0));
        try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement()) {
            st.executeUpdate("delete from mesh.member where id = '" + m.id() + "'");
        }
        assertThat(store.load(m.meshId(), m.id())).isNull();
    }
}
