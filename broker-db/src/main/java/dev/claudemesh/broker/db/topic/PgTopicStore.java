package dev.claudemesh.broker.db.topic;

import dev.claudemesh.broker.core.Ids;
import dev.claudemesh.broker.core.topic.TopicRole;
import dev.claudemesh.broker.core.topic.TopicStore;
import dev.claudemesh.broker.db.Database;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Record;
import org.jooq.Record2;
import org.jooq.impl.DSL;

import javax.sql.DataSource;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

import static dev.claudemesh.broker.db.jooq.mesh.Tables.MEMBER;
import static dev.claudemesh.broker.db.jooq.mesh.Tables.MESH_TABLE;
import static dev.claudemesh.broker.db.jooq.mesh.Tables.MESSAGE_QUEUE;
import static dev.claudemesh.broker.db.jooq.mesh.Tables.NOTIFICATION;
import static dev.claudemesh.broker.db.jooq.mesh.Tables.TOPIC;
import static dev.claudemesh.broker.db.jooq.mesh.Tables.TOPIC_MEMBER;
import static dev.claudemesh.broker.db.jooq.mesh.Tables.TOPIC_MEMBER_KEY;
import static dev.claudemesh.broker.db.jooq.mesh.Tables.TOPIC_MESSAGE;
import static dev.claudemesh.broker.db.topic.TopicRows.time;

/**
 * {@link TopicStore} on PostgreSQL with jOOQ (tables of {@code V7__topics_api_keys.sql}). Every method is one
 * transaction. The per-mesh topic quota is counted with the mesh row locked ({@code FOR NO KEY UPDATE}), so two
 * brokers on one database cannot both pass it. Blocking; thread-safe; never logs message contents or keys.
 */
public final class PgTopicStore implements TopicStore {

    /** What §8.1 tries as an id first. */
    private static final Pattern ID_LIKE = Pattern.compile("[A-Za-z0-9_-]{20,}");

    /** {@code TOPIC_MESSAGES_MAX_PER_TOPIC}'s default. */
    public static final int DEFAULT_MAX_MESSAGES_PER_TOPIC = 10_000;
    /** Most rows one post deletes to bring its topic back under the cap (a lowered cap is reached over a few posts). */
    static final int PRUNE_BATCH = 64;

    private final DSLContext dsl;
    private final int maxMessagesPerTopic;

    public PgTopicStore(DataSource dataSource) {
        this(dataSource, DEFAULT_MAX_MESSAGES_PER_TOPIC);
    }

    /**
     * @param maxMessagesPerTopic history kept per topic ({@code TOPIC_MESSAGES_MAX_PER_TOPIC}): a post beyond it
     *                            deletes the topic's oldest messages, their notifications with them (cascade)
     */
    public PgTopicStore(DataSource dataSource, int maxMessagesPerTopic) {
        this.dsl = Database.dsl(Objects.requireNonNull(dataSource, "dataSource"));
        if (maxMessagesPerTopic < 1) {
            throw new IllegalArgumentException("maxMessagesPerTopic: " + maxMessagesPerTopic + " (expected: > 0)");
        }
        this.maxMessagesPerTopic = maxMessagesPerTopic;
    }

    @Override
    public Created create(NewTopic t, int maxTopicsPerMesh) {
        return dsl.transactionResult(cfg -> {
            DSLContext tx = cfg.dsl();
            // serialises the creates of one mesh (quota and name) without blocking the FK checks of other writers
            tx.select(MESH_TABLE.ID).from(MESH_TABLE).where(MESH_TABLE.ID.eq(t.meshId())).forNoKeyUpdate().fetch();
            Record existing = tx.selectFrom(TOPIC).where(TOPIC.MESH_ID.eq(t.meshId()), TOPIC.NAME.eq(t.name()))
                    .fetchOne();
            if (existing != null) {
                return new Created(TopicRows.topic(existing), false);
            }
            if (tx.fetchCount(TOPIC, TOPIC.MESH_ID.eq(t.meshId())) >= maxTopicsPerMesh) {
                throw new TopicLimitException("topics per mesh: " + maxTopicsPerMesh);
            }
            OffsetDateTime now = time(t.nowMs());
            tx.insertInto(TOPIC).set(TOPIC.ID, t.id()).set(TOPIC.MESH_ID, t.meshId()).set(TOPIC.NAME, t.name())
                    .set(TOPIC.DESCRIPTION, t.description()).set(TOPIC.VISIBILITY, t.visibility().wire())
                    .set(TOPIC.CREATED_BY_MEMBER_ID, t.creatorMemberId())
                    .set(TOPIC.ENCRYPTED_KEY_PUBKEY, t.encryptedKeyPubkey()).set(TOPIC.CREATED_AT, now).execute();
            tx.insertInto(TOPIC_MEMBER).set(TOPIC_MEMBER.TOPIC_ID, t.id())
                    .set(TOPIC_MEMBER.MEMBER_ID, t.creatorMemberId()).set(TOPIC_MEMBER.ROLE, TopicRole.LEAD.wire())
                    .set(TOPIC_MEMBER.JOINED_AT, now).onConflictDoNothing().execute();
            if (t.creatorKey() != null) {
                tx.insertInto(TOPIC_MEMBER_KEY).set(TOPIC_MEMBER_KEY.ID, Ids.newId(t.nowMs()))
                        .set(TOPIC_MEMBER_KEY.TOPIC_ID, t.id()).set(TOPIC_MEMBER_KEY.MEMBER_ID, t.creatorMemberId())
                        .set(TOPIC_MEMBER_KEY.ENCRYPTED_KEY, t.creatorKey().encryptedKey())
                        .set(TOPIC_MEMBER_KEY.NONCE, t.creatorKey().nonce()).set(TOPIC_MEMBER_KEY.CREATED_AT, now)
                        .execute();
            }
            return new Created(new Topic(t.id(), t.meshId(), t.name(), t.description(), t.visibility(),
                    t.encryptedKeyPubkey(), t.nowMs(), false), true);
        });
    }

    @Override
    public List<Listed> list(String meshId) {
        var count = DSL.count(TOPIC_MEMBER.MEMBER_ID).as("member_count");
        List<Listed> out = new ArrayList<>();
        for (Record r : dsl.select(TOPIC.fields()).select(count).from(TOPIC)
                .leftJoin(TOPIC_MEMBER).on(TOPIC_MEMBER.TOPIC_ID.eq(TOPIC.ID))
                .where(TOPIC.MESH_ID.eq(meshId), TOPIC.ARCHIVED_AT.isNull())
                .groupBy(TOPIC.fields()).orderBy(TOPIC.NAME, TOPIC.ID).fetch()) {
            out.add(new Listed(TopicRows.topic(r), r.get(count)));
        }
        return out;
    }

    @Override
    public Topic resolve(String meshId, String ref) {
        if (ID_LIKE.matcher(ref).matches()) {
            Record byId = dsl.selectFrom(TOPIC).where(TOPIC.MESH_ID.eq(meshId), TOPIC.ID.eq(ref)).fetchOne();
            if (byId != null) {
                return TopicRows.topic(byId);
            }
        }
        return byName(meshId, ref);
    }

    @Override
    public Topic byName(String meshId, String name) {
        Record r = dsl.selectFrom(TOPIC).where(TOPIC.MESH_ID.eq(meshId), TOPIC.NAME.eq(name),
                TOPIC.ARCHIVED_AT.isNull()).fetchOne();
        return r == null ? null : TopicRows.topic(r);
    }

    @Override
    public TopicRole subscription(String topicId, String memberId) {
        return role(dsl, topicId, memberId);
    }

    private static TopicRole role(DSLContext ctx, String topicId, String memberId) {
        String role = ctx.select(TOPIC_MEMBER.ROLE).from(TOPIC_MEMBER)
                .where(TOPIC_MEMBER.TOPIC_ID.eq(topicId), TOPIC_MEMBER.MEMBER_ID.eq(memberId)).fetchOne(TOPIC_MEMBER.ROLE);
        return role == null ? null : TopicRole.parse(role);
    }

    @Override
    public JoinResult join(Topic topic, String callerMemberId, String memberRef, TopicRole role, long nowMs) {
        return dsl.transactionResult(cfg -> {
            DSLContext tx = cfg.dsl();
            String target = callerMemberId;
            if (memberRef != null) {
                target = tx.select(MEMBER.ID).from(MEMBER).where(MEMBER.MESH_ID.eq(topic.meshId()),
                        MEMBER.REVOKED_AT.isNull(), MEMBER.ID.eq(memberRef).or(MEMBER.PEER_PUBKEY.eq(memberRef)))
                        .limit(1).fetchOne(MEMBER.ID);
                if (target == null) {
                    return new JoinResult(JoinStatus.NO_SUCH_MEMBER, null);
                }
            }
            if (role(tx, topic.id(), target) != null) {
                return new JoinResult(JoinStatus.ALREADY, null);
            }
            boolean needsRight = topic.visibility().restricted() || !target.equals(callerMemberId);
            if (needsRight && !isAdmin(tx, callerMemberId) && role(tx, topic.id(), callerMemberId) != TopicRole.LEAD) {
                return new JoinResult(JoinStatus.FORBIDDEN, null);
            }
            int n = tx.insertInto(TOPIC_MEMBER).set(TOPIC_MEMBER.TOPIC_ID, topic.id())
                    .set(TOPIC_MEMBER.MEMBER_ID, target).set(TOPIC_MEMBER.ROLE, role.wire())
                    .set(TOPIC_MEMBER.JOINED_AT, time(nowMs)).onConflictDoNothing().execute();
            return n == 1 ? new JoinResult(JoinStatus.JOINED, target) : new JoinResult(JoinStatus.ALREADY, null);
        });
    }

    /** True when the member is a non-revoked mesh admin ({@code member.role = 'admin'}). */
    static boolean isAdmin(DSLContext ctx, String memberId) {
        return ctx.fetchExists(MEMBER, MEMBER.ID.eq(memberId), MEMBER.ROLE.eq("admin"), MEMBER.REVOKED_AT.isNull());
    }

    @Override
    public boolean leave(String topicId, String memberId) {
        return dsl.deleteFrom(TOPIC_MEMBER).where(TOPIC_MEMBER.TOPIC_ID.eq(topicId), TOPIC_MEMBER.MEMBER_ID.eq(memberId))
                .execute() > 0;
    }

    @Override
    public List<Subscriber> subscribers(String topicId) {
        List<Subscriber> out = new ArrayList<>();
        for (Record r : dsl.select(TOPIC_MEMBER.MEMBER_ID, MEMBER.PEER_PUBKEY, MEMBER.DISPLAY_NAME, TOPIC_MEMBER.ROLE,
                        TOPIC_MEMBER.JOINED_AT, TOPIC_MEMBER.LAST_READ_AT)
                .from(TOPIC_MEMBER).join(MEMBER).on(MEMBER.ID.eq(TOPIC_MEMBER.MEMBER_ID))
                .where(TOPIC_MEMBER.TOPIC_ID.eq(topicId)).orderBy(MEMBER.DISPLAY_NAME, MEMBER.ID).fetch()) {
            OffsetDateTime read = r.get(TOPIC_MEMBER.LAST_READ_AT);
            out.add(new Subscriber(r.get(TOPIC_MEMBER.MEMBER_ID), r.get(MEMBER.PEER_PUBKEY),
                    r.get(MEMBER.DISPLAY_NAME), TopicRole.parse(r.get(TOPIC_MEMBER.ROLE)),
                    TopicRows.millis(r.get(TOPIC_MEMBER.JOINED_AT)), read == null ? null : TopicRows.millis(read)));
        }
        return out;
    }

    @Override
    public List<Message> history(String topicId, int limit, String beforeId) {
        Condition where = TOPIC_MESSAGE.TOPIC_ID.eq(topicId);
        if (beforeId != null) {
            // the reference must be a message of this topic (§8.12 [fix]); an unknown one gives an empty page
            OffsetDateTime before = dsl.select(TOPIC_MESSAGE.CREATED_AT).from(TOPIC_MESSAGE)
                    .where(TOPIC_MESSAGE.ID.eq(beforeId), TOPIC_MESSAGE.TOPIC_ID.eq(topicId))
                    .fetchOne(TOPIC_MESSAGE.CREATED_AT);
            if (before == null) {
                return List.of();
            }
            where = where.and(TOPIC_MESSAGE.CREATED_AT.lt(before));
        }
        return TopicRows.messages(dsl.select(TopicRows.MESSAGE_FIELDS).from(TOPIC_MESSAGE)
                .leftJoin(MEMBER).on(MEMBER.ID.eq(TOPIC_MESSAGE.SENDER_MEMBER_ID)).where(where)
                .orderBy(TOPIC_MESSAGE.CREATED_AT.desc(), TOPIC_MESSAGE.ID.desc()).limit(limit).fetch());
    }

    @Override
    public List<Message> after(String topicId, String afterId, int limit) {
        Record2<OffsetDateTime, String> from = dsl.select(TOPIC_MESSAGE.CREATED_AT, TOPIC_MESSAGE.ID)
                .from(TOPIC_MESSAGE).where(TOPIC_MESSAGE.ID.eq(afterId), TOPIC_MESSAGE.TOPIC_ID.eq(topicId)).fetchOne();
        if (from == null) {
            return List.of();
        }
        return TopicRows.messages(dsl.select(TopicRows.MESSAGE_FIELDS).from(TOPIC_MESSAGE)
                .leftJoin(MEMBER).on(MEMBER.ID.eq(TOPIC_MESSAGE.SENDER_MEMBER_ID))
                .where(TOPIC_MESSAGE.TOPIC_ID.eq(topicId),
                        DSL.row(TOPIC_MESSAGE.CREATED_AT, TOPIC_MESSAGE.ID).gt(from.value1(), from.value2()))
                .orderBy(TOPIC_MESSAGE.CREATED_AT, TOPIC_MESSAGE.ID).limit(limit).fetch());
    }

    @Override
    public void markRead(String topicId, String memberId, long nowMs) {
        dsl.update(TOPIC_MEMBER).set(TOPIC_MEMBER.LAST_READ_AT, time(nowMs))
                .where(TOPIC_MEMBER.TOPIC_ID.eq(topicId), TOPIC_MEMBER.MEMBER_ID.eq(memberId)).execute();
    }

    @Override
    public Posted post(NewMessage m) {
        return dsl.transactionResult(cfg -> {
            DSLContext tx = cfg.dsl();
            Record topicRow = tx.selectFrom(TOPIC).where(TOPIC.ID.eq(m.topicId()), TOPIC.MESH_ID.eq(m.meshId()),
                    TOPIC.ARCHIVED_AT.isNull()).fetchOne();
            if (topicRow == null) {
                return Posted.refused(PostStatus.TOPIC_NOT_FOUND);
            }
            Topic topic = TopicRows.topic(topicRow);
            if (topic.visibility().restricted() && role(tx, topic.id(), m.senderMemberId()) == null) {
                return new Posted(PostStatus.NOT_SUBSCRIBED, topic, null, List.of(), 0);
            }
            Record sender = tx.select(MEMBER.PEER_PUBKEY, MEMBER.DISPLAY_NAME).from(MEMBER)
                    .where(MEMBER.ID.eq(m.senderMemberId())).fetchOne();
            String senderPubkey = sender == null ? null : sender.get(MEMBER.PEER_PUBKEY);
            String senderName = sender == null ? TopicRows.UNKNOWN : sender.get(MEMBER.DISPLAY_NAME);
            String replyTo = m.replyToId() == null ? null : tx.select(TOPIC_MESSAGE.ID).from(TOPIC_MESSAGE)
                    .where(TOPIC_MESSAGE.ID.eq(m.replyToId()), TOPIC_MESSAGE.TOPIC_ID.eq(topic.id()))
                    .fetchOne(TOPIC_MESSAGE.ID);
            OffsetDateTime now = time(m.nowMs());
            tx.insertInto(TOPIC_MESSAGE).set(TOPIC_MESSAGE.ID, m.id()).set(TOPIC_MESSAGE.TOPIC_ID, topic.id())
                    .set(TOPIC_MESSAGE.SENDER_MEMBER_ID, m.senderMemberId())
                    .set(TOPIC_MESSAGE.SENDER_SESSION_PUBKEY, m.senderSessionPubkey())
                    .set(TOPIC_MESSAGE.NONCE, m.nonce()).set(TOPIC_MESSAGE.CIPHERTEXT, m.ciphertext())
                    .set(TOPIC_MESSAGE.BODY_VERSION, m.bodyVersion()).set(TOPIC_MESSAGE.REPLY_TO_ID, replyTo)
                    .set(TOPIC_MESSAGE.CREATED_AT, now).execute();
            // the queue row message_status finds (delivered at once: the live fan-out is the delivery; no payload,
            // which the history holds), also what reloads the idempotency window after a restart
            tx.insertInto(MESSAGE_QUEUE).set(MESSAGE_QUEUE.ID, m.id()).set(MESSAGE_QUEUE.MESH_ID, m.meshId())
                    .set(MESSAGE_QUEUE.SENDER_MEMBER_ID, m.senderMemberId())
                    .set(MESSAGE_QUEUE.SENDER_MEMBER_PUBKEY, senderPubkey)
                    .set(MESSAGE_QUEUE.SENDER_PUBKEY, m.senderRoutingKey() != null ? m.senderRoutingKey() : senderPubkey)
                    .set(MESSAGE_QUEUE.SENDER_NAME, senderName)
                    .set(MESSAGE_QUEUE.TARGET_KEY, "#" + topic.id()).set(MESSAGE_QUEUE.PRIORITY, m.priority())
                    .set(MESSAGE_QUEUE.NONCE, "").set(MESSAGE_QUEUE.CIPHERTEXT, "")
                    .set(MESSAGE_QUEUE.CLIENT_MESSAGE_ID, m.clientMessageId()).set(MESSAGE_QUEUE.CREATED_AT, now)
                    .set(MESSAGE_QUEUE.EXPIRES_AT, now).set(MESSAGE_QUEUE.DELIVERED_AT, now).execute();
            int notifications = notify(tx, topic, m, now);
            prune(tx, topic.id());
            List<String> recipients = tx.select(MEMBER.PEER_PUBKEY).from(TOPIC_MEMBER).join(MEMBER)
                    .on(MEMBER.ID.eq(TOPIC_MEMBER.MEMBER_ID))
                    .where(TOPIC_MEMBER.TOPIC_ID.eq(topic.id()), MEMBER.ID.ne(m.senderMemberId()),
                            MEMBER.REVOKED_AT.isNull())
                    .fetch(MEMBER.PEER_PUBKEY);
            Message stored = new Message(m.id(), topic.id(), m.senderMemberId(), senderPubkey,
                    m.senderSessionPubkey(), senderName, m.nonce(), m.ciphertext(), m.bodyVersion(), replyTo,
                    m.nowMs());
            return new Posted(PostStatus.OK, topic, stored, recipients, notifications);
        });
    }

    /**
     * §16 defect 20 (history never purged): keeps the newest {@link #maxMessagesPerTopic} messages of the topic, in the
     * posting transaction; the deleted messages' notifications go by cascade, replies to them keep no reference (set
     * null). Walks the topic's (topic_id, created_at, id) index.
     */
    private void prune(DSLContext tx, String topicId) {
        tx.deleteFrom(TOPIC_MESSAGE).where(TOPIC_MESSAGE.ID.in(DSL.select(TOPIC_MESSAGE.ID).from(TOPIC_MESSAGE)
                .where(TOPIC_MESSAGE.TOPIC_ID.eq(topicId))
                .orderBy(TOPIC_MESSAGE.CREATED_AT.desc(), TOPIC_MESSAGE.ID.desc())
                .offset(maxMessagesPerTopic).limit(PRUNE_BATCH))).execute();
    }

    /**
     * One {@code mention} row per non-revoked member of the mesh whose lowercased name is a token, the sender excluded,
     * at most {@link dev.claudemesh.broker.core.topic.Mentions#MAX_RECIPIENTS}; on a restricted topic only its
     * subscribers (a mention must not show a private topic's message to an outsider).
     */
    private static int notify(DSLContext tx, Topic topic, NewMessage m, OffsetDateTime now) {
        if (m.mentionTokens().isEmpty()) {
            return 0;
        }
        Condition who = MEMBER.MESH_ID.eq(m.meshId()).and(MEMBER.REVOKED_AT.isNull())
                .and(DSL.lower(MEMBER.DISPLAY_NAME).in(m.mentionTokens())).and(MEMBER.ID.ne(m.senderMemberId()));
        if (topic.visibility().restricted()) {
            who = who.and(DSL.exists(DSL.selectOne().from(TOPIC_MEMBER)
                    .where(TOPIC_MEMBER.TOPIC_ID.eq(topic.id()), TOPIC_MEMBER.MEMBER_ID.eq(MEMBER.ID))));
        }
        List<String> targets = tx.select(MEMBER.ID).from(MEMBER).where(who).orderBy(MEMBER.ID)
                .limit(dev.claudemesh.broker.core.topic.Mentions.MAX_RECIPIENTS).fetch(MEMBER.ID);
        int n = 0;
        for (String recipient : targets) {
            n += tx.insertInto(NOTIFICATION).set(NOTIFICATION.ID, Ids.newId(m.nowMs()))
                    .set(NOTIFICATION.MESH_ID, m.meshId()).set(NOTIFICATION.TOPIC_ID, topic.id())
                    .set(NOTIFICATION.MESSAGE_ID, m.id()).set(NOTIFICATION.RECIPIENT_MEMBER_ID, recipient)
                    .set(NOTIFICATION.SENDER_MEMBER_ID, m.senderMemberId()).set(NOTIFICATION.KIND, "mention")
                    .set(NOTIFICATION.CREATED_AT, now).onConflictDoNothing().execute();
        }
        return n;
    }
}
