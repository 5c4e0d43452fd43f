package dev.claudemesh.broker.db.topic;

import dev.claudemesh.broker.core.Ids;
import dev.claudemesh.broker.core.crypto.Ed25519;
import dev.claudemesh.broker.core.model.Member;
import dev.claudemesh.broker.core.topic.TopicRole;
import dev.claudemesh.broker.core.topic.TopicStore;
import dev.claudemesh.broker.core.topic.TopicStore.JoinStatus;
import dev.claudemesh.broker.core.topic.TopicStore.PostStatus;
import dev.claudemesh.broker.core.topic.Visibility;
import dev.claudemesh.broker.db.store.AdminRepository;
import dev.claudemesh.broker.db.testing.TestDatabase;
import dev.claudemesh.broker.db.testing.TestDatabases;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link PgTopicStore} against a real PostgreSQL: the checks made inside its transactions (PROTOCOL-MESH §8). */
class PgTopicStoreIT {

    private static final long T0 = 1_800_000_000_000L;
    private static TestDatabase db;
    private static AdminRepository admin;
    private static PgTopicStore store;

    private String mesh;
    private Member alice;
    private Member bob;
    private Member carol;

    @BeforeAll
    static void createDatabase() {
        db = TestDatabases.newDatabase();
        admin = new AdminRepository(db.dataSource());
        store = new PgTopicStore(db.dataSource());
    }

    @AfterAll
    static void dropDatabase() {
        db.close();
    }

    @BeforeEach
    void newMesh() throws Exception {
        mesh = admin.createMesh("m", "m-" + Ids.newId()).id();
        alice = member("alice");
        bob = member("bob");
        carol = member("carol");
    }

    private Member member(String name) {
        return admin.addMember(mesh, Ed25519.generate().publicKeyHex(), name, null, List.of(), Map.of());
    }

    private TopicStore.Topic create(String name, Visibility v, Member creator) {
        return store.create(new TopicStore.NewTopic(Ids.newId(), mesh, name, "d", v, creator.id(), "ab".repeat(32),
                new TopicStore.SealedKey("k", "n"), T0), 10).topic();
    }

    private TopicStore.Posted post(TopicStore.Topic t, Member from, String id, long at, List<String> mentions,
                                   String replyTo) {
        return store.post(new TopicStore.NewMessage(id, mesh, t.id(), from.id(), null, from.pubkey(), "next", "bm9uY2U=",
                "aGk=", 1, replyTo, null, mentions, at));
    }

    @Test
    void shouldCreateOncePerNameAndSubscribeTheCreatorAsLeadWithItsKey() throws Exception {
        TopicStore.Created first = store.create(new TopicStore.NewTopic(Ids.newId(), mesh, "deploys", null,
                Visibility.PRIVATE, alice.id(), "cd".repeat(32), new TopicStore.SealedKey("ek", "nn"), T0), 10);
        TopicStore.Created again = store.create(new TopicStore.NewTopic(Ids.newId(), mesh, "deploys", null,
                Visibility.PUBLIC, bob.id(), "ef".repeat(32), null, T0), 10);

        assertThat(first.created()).isTrue();
        assertThat(again.created()).isFalse();
        assertThat(again.topic().id()).isEqualTo(first.topic().id());
        assertThat(again.topic().visibility()).isEqualTo(Visibility.PRIVATE); // the stored one
        assertThat(store.subscription(first.topic().id(), alice.id())).isEqualTo(TopicRole.LEAD);
        assertThat(store.subscription(first.topic().id(), bob.id())).isNull(); // §8.12: no lead on an existing topic
        assertThat(count("select count(*) from mesh.topic_member_key where topic_id = '" + first.topic().id()
                + "' and member_id = '" + alice.id() + "' and encrypted_key = 'ek'")).isEqualTo(1);
        assertThat(store.list(mesh)).extracting(l -> l.topic().name(), TopicStore.Listed::memberCount)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("deploys", 1));
    }

    @Test
    void shouldRefuseATopicOverTheMeshQuota() {
        store.create(new TopicStore.NewTopic(Ids.newId(), mesh, "a", null, Visibility.PUBLIC, alice.id(), null, null,
                T0), 1);
        assertThatThrownBy(() -> store.create(new TopicStore.NewTopic(Ids.newId(), mesh, "b", null,
                Visibility.PUBLIC, alice.id(), null, null, T0), 1)).isInstanceOf(TopicStore.TopicLimitException.class);
        assertThat(store.list(mesh)).hasSize(1);
    }

    @Test
    void shouldResolveIdsOfTheMeshOnlyThenNames() throws Exception {
        TopicStore.Topic t = create("general", Visibility.PUBLIC, alice);
        String otherMesh = admin.createMesh("o", "o-" + Ids.newId()).id();

        assertThat(store.resolve(mesh, t.id())).isEqualTo(t);
        assertThat(store.resolve(mesh, "general")).isEqualTo(t);
        assertThat(store.resolve(otherMesh, t.id())).isNull();
        assertThat(store.resolve(mesh, "nope")).isNull();
        exec("update mesh.topic set archived_at = now() where id = '" + t.id() + "'");
        assertThat(store.resolve(mesh, "general")).isNull(); // names: non-archived only
        assertThat(store.resolve(mesh, t.id()).archived()).isTrue(); // ids: archived too
    }

    @Test
    void shouldLetOnlyLeadsAndAdminsAddMembersToRestrictedTopics() throws Exception {
        TopicStore.Topic secret = create("secret", Visibility.PRIVATE, alice);
        TopicStore.Topic open = create("open", Visibility.PUBLIC, alice);

        assertThat(store.join(secret, bob.id(), null, TopicRole.MEMBER, T0).status()).isEqualTo(JoinStatus.FORBIDDEN);
        assertThat(store.join(open, bob.id(), null, TopicRole.MEMBER, T0).status()).isEqualTo(JoinStatus.JOINED);
        assertThat(store.join(open, bob.id(), null, TopicRole.LEAD, T0).status()).isEqualTo(JoinStatus.ALREADY);
        assertThat(store.subscription(open.id(), bob.id())).isEqualTo(TopicRole.MEMBER); // role unchanged
        // a plain member cannot add someone else, even to a public topic
        assertThat(store.join(open, bob.id(), carol.id(), TopicRole.MEMBER, T0).status())
                .isEqualTo(JoinStatus.FORBIDDEN);
        // the lead invites by member key
        TopicStore.JoinResult invited = store.join(secret, alice.id(), bob.pubkey(), TopicRole.MEMBER, T0);
        assertThat(invited.status()).isEqualTo(JoinStatus.JOINED);
        assertThat(invited.memberId()).isEqualTo(bob.id());
        assertThat(store.join(secret, alice.id(), "nobody", TopicRole.MEMBER, T0).status())
                .isEqualTo(JoinStatus.NO_SUCH_MEMBER);
        // a mesh admin may join (and add) without being a lead
        exec("update mesh.member set role = 'admin' where id = '" + carol.id() + "'");
        assertThat(store.join(secret, carol.id(), null, TopicRole.OBSERVER, T0).status()).isEqualTo(JoinStatus.JOINED);
        assertThat(store.subscribers(secret.id())).extracting(TopicStore.Subscriber::displayName)
                .containsExactly("alice", "bob", "carol");
        assertThat(store.leave(secret.id(), bob.id())).isTrue();
        assertThat(store.leave(secret.id(), bob.id())).isFalse();
    }

    @Test
    void shouldPageHistoryWithABeforeIdOfTheSameTopicOnly() {
        TopicStore.Topic a = create("a", Visibility.PUBLIC, alice);
        TopicStore.Topic b = create("b", Visibility.PUBLIC, alice);
        String m1 = Ids.newId(T0 + 1);
        String m2 = Ids.newId(T0 + 2);
        String m3 = Ids.newId(T0 + 3);
        String other = Ids.newId(T0 + 2);
        post(a, alice, m1, T0 + 1, List.of(), null);
        post(a, bob, m2, T0 + 2, List.of(), null);
        post(a, alice, m3, T0 + 3, List.of(), m1);
        post(b, alice, other, T0 + 2, List.of(), null);

        assertThat(store.history(a.id(), 50, null)).extracting(TopicStore.Message::id).containsExactly(m3, m2, m1);
        assertThat(store.history(a.id(), 2, null)).extracting(TopicStore.Message::id).containsExactly(m3, m2);
        assertThat(store.history(a.id(), 50, m3)).extracting(TopicStore.Message::id).containsExactly(m2, m1);
        assertThat(store.history(a.id(), 50, other)).isEmpty(); // §16 defect 18: another topic's id
        assertThat(store.history(a.id(), 50, m3).get(0).senderName()).isEqualTo("bob");
        assertThat(store.history(a.id(), 1, null).get(0).replyToId()).isEqualTo(m1);
        assertThat(store.after(a.id(), m1, 10)).extracting(TopicStore.Message::id).containsExactly(m2, m3);
        assertThat(store.after(a.id(), m2, 1)).extracting(TopicStore.Message::id).containsExactly(m3);
        assertThat(store.after(a.id(), other, 10)).isEmpty();
    }

    @Test
    void shouldStoreAPostWithItsDeliveredQueueRowNotificationsAndRecipients() throws Exception {
        TopicStore.Topic t = create("ops", Visibility.PUBLIC, alice);
        store.join(t, bob.id(), null, TopicRole.MEMBER, T0);
        String parentElsewhere = Ids.newId();
        post(create("x", Visibility.PUBLIC, alice), alice, parentElsewhere, T0, List.of(), null);
        String id = Ids.newId(T0 + 5);

        TopicStore.Posted p = post(t, alice, id, T0 + 5, List.of("bob", "carol", "alice", "nobody"), parentElsewhere);

        assertThat(p.status()).isEqualTo(PostStatus.OK);
        assertThat(p.recipientMemberPubkeys()).containsExactly(bob.pubkey()); // subscribers except the sender
        assertThat(p.notifications()).isEqualTo(2); // bob and carol; never the sender
        assertThat(p.message().replyToId()).isNull(); // the parent is in another topic
        assertThat(p.message().senderName()).isEqualTo("alice");
        assertThat(count("select count(*) from mesh.message_queue where id = '" + id + "' and target_key = '#"
                + t.id() + "' and delivered_at is not null and ciphertext = ''")).isEqualTo(1);
        assertThat(count("select count(*) from mesh.notification where message_id = '" + id + "'")).isEqualTo(2);
    }

    @Test
    void shouldRefusePostsToAnotherMeshOrARestrictedTopicWithoutASubscription() throws Exception {
        TopicStore.Topic secret = create("secret", Visibility.PRIVATE, alice);
        String otherMesh = admin.createMesh("o", "o-" + Ids.newId()).id();

        TopicStore.Posted cross = store.post(new TopicStore.NewMessage(Ids.newId(), otherMesh, secret.id(), bob.id(),
                null, bob.pubkey(), "next", "bg==", "aGk=", 1, null, null, List.of(), T0));
        TopicStore.Posted outsider = post(secret, bob, Ids.newId(), T0, List.of(), null);

        assertThat(cross.status()).isEqualTo(PostStatus.TOPIC_NOT_FOUND); // §16 defect 2
        assertThat(outsider.status()).isEqualTo(PostStatus.NOT_SUBSCRIBED);
        assertThat(count("select count(*) from mesh.topic_message where topic_id = '" + secret.id() + "'")).isZero();
        // a mention in a private topic notifies subscribers only
        TopicStore.Posted p = post(secret, alice, Ids.newId(), T0, List.of("bob"), null);
        assertThat(p.notifications()).isZero();
    }

    private static int count(String sql) throws Exception {
        try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static void exec(String sql) throws Exception {
        try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    @Test
    void shouldKeepOnlyTheNewestMessagesOfATopicAndTheirMentions() throws Exception {
        // §16 defect 20: topic history and notifications were never purged
        PgTopicStore capped = new PgTopicStore(db.dataSource(), 3);
        TopicStore.Topic ops = create("ops", Visibility.PUBLIC, alice);
        TopicStore.Topic other = create("other", Visibility.PUBLIC, alice);
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            String id = Ids.newId();
            ids.add(id);
            capped.post(new TopicStore.NewMessage(id, mesh, ops.id(), alice.id(), null, alice.pubkey(), "next",
                    "bm9uY2U=", "aGk=", 1, i == 4 ? ids.get(1) : null, null, List.of("bob"), T0 + i));
        }
        capped.post(new TopicStore.NewMessage(Ids.newId(), mesh, other.id(), alice.id(), null, alice.pubkey(), "next",
                "bm9uY2U=", "aGk=", 1, null, null, List.of(), T0));

        assertThat(store.history(ops.id(), 50, null)).extracting(TopicStore.Message::id)
                .containsExactly(ids.get(4), ids.get(3), ids.get(2));
        assertThat(store.history(other.id(), 50, null)).hasSize(1);
        try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement();
             ResultSet r = st.executeQuery("select count(*) from mesh.notification where topic_id = '"
                     + ops.id() + "'")) {
            r.next();
            assertThat(r.getInt(1)).as("the pruned messages' mentions went with them").isEqualTo(3);
        }
        // the reply to a pruned message keeps no reference
        assertThat(store.history(ops.id(), 1, null).get(0).replyToId()).isNull();
    }
}
