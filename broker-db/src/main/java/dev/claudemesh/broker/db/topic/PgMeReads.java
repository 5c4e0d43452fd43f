package dev.claudemesh.broker.db.topic;

import dev.claudemesh.broker.db.Database;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.Record;
import org.jooq.impl.DSL;

import javax.sql.DataSource;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

import static dev.claudemesh.broker.db.jooq.mesh.Tables.MEMBER;
import static dev.claudemesh.broker.db.jooq.mesh.Tables.MESH_TABLE;
import static dev.claudemesh.broker.db.jooq.mesh.Tables.NOTIFICATION;
import static dev.claudemesh.broker.db.jooq.mesh.Tables.TOPIC;
import static dev.claudemesh.broker.db.jooq.mesh.Tables.TOPIC_MEMBER;
import static dev.claudemesh.broker.db.jooq.mesh.Tables.TOPIC_MESSAGE;
import static dev.claudemesh.broker.db.topic.TopicRows.millis;
import static dev.claudemesh.broker.db.topic.TopicRows.millisOrNull;
import static dev.claudemesh.broker.db.topic.TopicRows.time;

/**
 * The {@code /api/v1/me/*} views (PROTOCOL-MESH §8.10) for a broker without user accounts: "me" is the API key's
 * issuing member and its one mesh, where the original aggregated over every mesh of a user. Topics the member may not
 * read (restricted and not subscribed) are left out of counts, feeds and search. Blocking; thread-safe.
 */
public final class PgMeReads {

    /** Most rows of the feeds. */
    public static final int MAX_NOTIFICATIONS = 100;
    public static final int MAX_ACTIVITY = 200;
    /** Messages a search looks through (newest first, within 30 days). */
    public static final int SEARCH_WINDOW_ROWS = 2000;

    private final DSLContext dsl;

    public PgMeReads(DataSource dataSource) {
        this.dsl = Database.dsl(Objects.requireNonNull(dataSource, "dataSource"));
    }

    /** The mesh and the member's standing in it; counts of members, topics and unread mentions. */
    public record Workspace(String meshId, String slug, String name, String memberId, String myRole, long joinedAtMs,
                            int peers, int topics, int unreadMentions) {
    }

    /** A topic with the member's unread count and its newest message's time. */
    public record MeTopic(String topicId, String name, String description, String visibility, long createdAtMs,
                          int unread, Long lastMessageAtMs) {
    }

    /** A message row of the feeds, with its topic and sender. */
    public record FeedRow(String messageId, String topicId, String topicName, String senderName, String senderMemberId,
                          String ciphertext, int bodyVersion, long createdAtMs, String notificationId,
                          Long readAtMs) {
    }

    /** The member's workspace, or null when it is not a non-revoked member of the mesh. */
    public Workspace workspace(String meshId, String memberId) {
        Record r = dsl.select(MESH_TABLE.ID, MESH_TABLE.SLUG, MESH_TABLE.NAME, MEMBER.ID, MEMBER.ROLE, MEMBER.CREATED_AT)
                .from(MEMBER).join(MESH_TABLE).on(MESH_TABLE.ID.eq(MEMBER.MESH_ID))
                .where(MEMBER.ID.eq(memberId), MEMBER.MESH_ID.eq(meshId), MEMBER.REVOKED_AT.isNull()).fetchOne();
        if (r == null) {
            return null;
        }
        int peers = dsl.fetchCount(MEMBER, MEMBER.MESH_ID.eq(meshId), MEMBER.REVOKED_AT.isNull());
        int topics = dsl.fetchCount(TOPIC, TOPIC.MESH_ID.eq(meshId), TOPIC.ARCHIVED_AT.isNull());
        int unread = dsl.fetchCount(NOTIFICATION, NOTIFICATION.MESH_ID.eq(meshId),
                NOTIFICATION.RECIPIENT_MEMBER_ID.eq(memberId), NOTIFICATION.READ_AT.isNull());
        return new Workspace(r.get(MESH_TABLE.ID), r.get(MESH_TABLE.SLUG), r.get(MESH_TABLE.NAME), r.get(MEMBER.ID),
                r.get(MEMBER.ROLE), millis(r.get(MEMBER.CREATED_AT)), peers, topics, unread);
    }

    /** The mesh's non-archived topics with the member's unread counts (messages of others after its last read). */
    public List<MeTopic> topics(String meshId, String memberId) {
        Field<OffsetDateTime> last = DSL.select(DSL.max(TOPIC_MESSAGE.CREATED_AT)).from(TOPIC_MESSAGE)
                .where(TOPIC_MESSAGE.TOPIC_ID.eq(TOPIC.ID)).<OffsetDateTime>asField("last_at");
        Field<OffsetDateTime> readAt = DSL.select(TOPIC_MEMBER.LAST_READ_AT).from(TOPIC_MEMBER)
                .where(TOPIC_MEMBER.TOPIC_ID.eq(TOPIC.ID), TOPIC_MEMBER.MEMBER_ID.eq(memberId)).asField();
        Field<Integer> unread = DSL.selectCount().from(TOPIC_MESSAGE)
                .where(TOPIC_MESSAGE.TOPIC_ID.eq(TOPIC.ID),
                        TOPIC_MESSAGE.CREATED_AT.gt(DSL.coalesce(readAt, DSL.val(time(0)))),
                        TOPIC_MESSAGE.SENDER_MEMBER_ID.isDistinctFrom(memberId),
                        readable(memberId)).<Integer>asField("unread");
        List<MeTopic> out = new ArrayList<>();
        for (Record r : dsl.select(TOPIC.ID, TOPIC.NAME, TOPIC.DESCRIPTION, TOPIC.VISIBILITY, TOPIC.CREATED_AT, last,
                        unread).from(TOPIC).where(TOPIC.MESH_ID.eq(meshId), TOPIC.ARCHIVED_AT.isNull())
                .orderBy(TOPIC.NAME).fetch()) {
            Integer n = r.get(unread);
            out.add(new MeTopic(r.get(TOPIC.ID), r.get(TOPIC.NAME), r.get(TOPIC.DESCRIPTION), r.get(TOPIC.VISIBILITY),
                    millis(r.get(TOPIC.CREATED_AT)), n == null ? 0 : n, millisOrNull(r.get(last))));
        }
        return out;
    }

    /** The member's mentions after {@code sinceMs} (unread only unless {@code includeRead}), newest first. */
    public List<FeedRow> notifications(String meshId, String memberId, long sinceMs, boolean includeRead) {
        Condition where = NOTIFICATION.MESH_ID.eq(meshId).and(NOTIFICATION.RECIPIENT_MEMBER_ID.eq(memberId))
                .and(TOPIC.ARCHIVED_AT.isNull()).and(TOPIC_MESSAGE.CREATED_AT.gt(time(sinceMs)));
        if (!includeRead) {
            where = where.and(NOTIFICATION.READ_AT.isNull());
        }
        return feed(dsl.select(TOPIC_MESSAGE.ID, TOPIC_MESSAGE.TOPIC_ID, TOPIC.NAME, MEMBER.DISPLAY_NAME,
                        TOPIC_MESSAGE.SENDER_MEMBER_ID, TOPIC_MESSAGE.CIPHERTEXT, TOPIC_MESSAGE.BODY_VERSION,
                        TOPIC_MESSAGE.CREATED_AT, NOTIFICATION.ID, NOTIFICATION.READ_AT)
                .from(NOTIFICATION).join(TOPIC_MESSAGE).on(TOPIC_MESSAGE.ID.eq(NOTIFICATION.MESSAGE_ID))
                .join(TOPIC).on(TOPIC.ID.eq(NOTIFICATION.TOPIC_ID))
                .leftJoin(MEMBER).on(MEMBER.ID.eq(NOTIFICATION.SENDER_MEMBER_ID)).where(where)
                .orderBy(TOPIC_MESSAGE.CREATED_AT.desc(), TOPIC_MESSAGE.ID.desc()).limit(MAX_NOTIFICATIONS).fetch(),
                true);
    }

    /** Messages of others in topics the member may read, after {@code sinceMs}, newest first. */
    public List<FeedRow> activity(String meshId, String memberId, long sinceMs) {
        return feed(messages(meshId, memberId, TOPIC_MESSAGE.CREATED_AT.gt(time(sinceMs))
                .and(TOPIC_MESSAGE.SENDER_MEMBER_ID.isDistinctFrom(memberId)), MAX_ACTIVITY), false);
    }

    /** Topics of the mesh whose name contains {@code q} (case-insensitive), by name, at most {@code limit}. */
    public List<MeTopic> searchTopics(String meshId, String q, int limit) {
        List<MeTopic> out = new ArrayList<>();
        for (Record r : dsl.select(TOPIC.ID, TOPIC.NAME, TOPIC.DESCRIPTION, TOPIC.VISIBILITY, TOPIC.CREATED_AT)
                .from(TOPIC).where(TOPIC.MESH_ID.eq(meshId), TOPIC.ARCHIVED_AT.isNull(),
                        DSL.lower(TOPIC.NAME).contains(q.toLowerCase(Locale.ROOT)))
                .orderBy(TOPIC.NAME).limit(limit).fetch()) {
            out.add(new MeTopic(r.get(TOPIC.ID), r.get(TOPIC.NAME), r.get(TOPIC.DESCRIPTION), r.get(TOPIC.VISIBILITY),
                    millis(r.get(TOPIC.CREATED_AT)), 0, null));
        }
        return out;
    }

    /** The newest messages the member may read, within {@code sinceMs}: what a search filters. */
    public List<FeedRow> recentMessages(String meshId, String memberId, long sinceMs) {
        return feed(messages(meshId, memberId, TOPIC_MESSAGE.CREATED_AT.gt(time(sinceMs)), SEARCH_WINDOW_ROWS),
                false);
    }

    private List<? extends Record> messages(String meshId, String memberId, Condition extra, int limit) {
        return dsl.select(TOPIC_MESSAGE.ID, TOPIC_MESSAGE.TOPIC_ID, TOPIC.NAME, MEMBER.DISPLAY_NAME,
                        TOPIC_MESSAGE.SENDER_MEMBER_ID, TOPIC_MESSAGE.CIPHERTEXT, TOPIC_MESSAGE.BODY_VERSION,
                        TOPIC_MESSAGE.CREATED_AT)
                .from(TOPIC_MESSAGE).join(TOPIC).on(TOPIC.ID.eq(TOPIC_MESSAGE.TOPIC_ID))
                .leftJoin(MEMBER).on(MEMBER.ID.eq(TOPIC_MESSAGE.SENDER_MEMBER_ID))
                .where(TOPIC.MESH_ID.eq(meshId), TOPIC.ARCHIVED_AT.isNull(), readable(memberId), extra)
                .orderBy(TOPIC_MESSAGE.CREATED_AT.desc(), TOPIC_MESSAGE.ID.desc()).limit(limit).fetch();
    }

    /** The topic (of the query's {@code TOPIC}) is public, or the member is subscribed to it. */
    private static Condition readable(String memberId) {
        return TOPIC.VISIBILITY.eq("public").or(DSL.exists(DSL.selectOne().from(TOPIC_MEMBER)
                .where(TOPIC_MEMBER.TOPIC_ID.eq(TOPIC.ID), TOPIC_MEMBER.MEMBER_ID.eq(memberId))));
    }

    private static List<FeedRow> feed(List<? extends Record> rows, boolean withNotification) {
        List<FeedRow> out = new ArrayList<>(rows.size());
        for (Record r : rows) {
            String name = r.get(MEMBER.DISPLAY_NAME);
            out.add(new FeedRow(r.get(TOPIC_MESSAGE.ID), r.get(TOPIC_MESSAGE.TOPIC_ID), r.get(TOPIC.NAME),
                    name == null ? "?" : name, r.get(TOPIC_MESSAGE.SENDER_MEMBER_ID), r.get(TOPIC_MESSAGE.CIPHERTEXT),
                    r.get(TOPIC_MESSAGE.BODY_VERSION), millis(r.get(TOPIC_MESSAGE.CREATED_AT)),
                    withNotification ? r.get(NOTIFICATION.ID) : null,
                    withNotification ? millisOrNull(r.get(NOTIFICATION.READ_AT)) : null));
        }
        return out;
    }
}
