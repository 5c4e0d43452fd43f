package dev.claudemesh.broker.db.topic;

import dev.claudemesh.broker.core.Ids;
import dev.claudemesh.broker.db.Database;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Record;
import org.jooq.impl.DSL;

import javax.sql.DataSource;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import static dev.claudemesh.broker.db.jooq.mesh.Tables.MEMBER;
import static dev.claudemesh.broker.db.jooq.mesh.Tables.NOTIFICATION;
import static dev.claudemesh.broker.db.jooq.mesh.Tables.TOPIC;
import static dev.claudemesh.broker.db.jooq.mesh.Tables.TOPIC_MEMBER;
import static dev.claudemesh.broker.db.jooq.mesh.Tables.TOPIC_MEMBER_KEY;
import static dev.claudemesh.broker.db.jooq.mesh.Tables.TOPIC_MESSAGE;
import static dev.claudemesh.broker.db.topic.TopicRows.millis;
import static dev.claudemesh.broker.db.topic.TopicRows.millisOrNull;
import static dev.claudemesh.broker.db.topic.TopicRows.time;

/**
 * The REST API's topic queries that need no mesh state (PROTOCOL-MESH §8.10): sealed keys and the members waiting for
 * one, storing a re-sealed copy, the mesh's members and a member's mention notifications. Blocking; thread-safe; one
 * statement or one transaction per call.
 */
public final class PgTopicReads {

    /** Most members {@code pending-seals} lists at once. */
    public static final int MAX_PENDING = 50;
    /** Most notifications {@code GET /notifications} returns. */
    public static final int MAX_NOTIFICATIONS = 50;

    private final DSLContext dsl;

    public PgTopicReads(DataSource dataSource) {
        this.dsl = Database.dsl(Objects.requireNonNull(dataSource, "dataSource"));
    }

    /** A member's sealed copy of a topic key. */
    public record SealedKeyRow(String encryptedKey, String nonce, long createdAtMs) {
    }

    /** A subscriber without a sealed copy. */
    public record Pending(String memberId, String pubkey, String displayName) {
    }

    /** A non-revoked member of a mesh, as {@code GET /members} lists it. */
    public record MeshMember(String memberId, String pubkey, String displayName, String role, long joinedAtMs) {
    }

    /** A mention of the reader, joined with its message, topic and sender. */
    public record Mention(String messageId, String notificationId, String topicId, String topicName,
                          String senderName, String senderPubkey, String ciphertext, String kind, Long readAtMs,
                          long createdAtMs) {
    }

    /** The member's sealed copy of the topic key, or null. */
    public SealedKeyRow sealedKey(String topicId, String memberId) {
        Record r = dsl.select(TOPIC_MEMBER_KEY.ENCRYPTED_KEY, TOPIC_MEMBER_KEY.NONCE, TOPIC_MEMBER_KEY.CREATED_AT)
                .from(TOPIC_MEMBER_KEY)
                .where(TOPIC_MEMBER_KEY.TOPIC_ID.eq(topicId), TOPIC_MEMBER_KEY.MEMBER_ID.eq(memberId)).fetchOne();
        return r == null ? null : new SealedKeyRow(r.get(TOPIC_MEMBER_KEY.ENCRYPTED_KEY), r.get(TOPIC_MEMBER_KEY.NONCE),
                millis(r.get(TOPIC_MEMBER_KEY.CREATED_AT)));
    }

    /** Subscribed non-revoked members without a sealed copy, at most {@value #MAX_PENDING}. */
    public List<Pending> pendingSeals(String topicId) {
        List<Pending> out = new ArrayList<>();
        for (Record r : dsl.select(TOPIC_MEMBER.MEMBER_ID, MEMBER.PEER_PUBKEY, MEMBER.DISPLAY_NAME).from(TOPIC_MEMBER)
                .join(MEMBER).on(MEMBER.ID.eq(TOPIC_MEMBER.MEMBER_ID))
                .leftJoin(TOPIC_MEMBER_KEY).on(TOPIC_MEMBER_KEY.TOPIC_ID.eq(TOPIC_MEMBER.TOPIC_ID),
                        TOPIC_MEMBER_KEY.MEMBER_ID.eq(TOPIC_MEMBER.MEMBER_ID))
                .where(TOPIC_MEMBER.TOPIC_ID.eq(topicId), MEMBER.REVOKED_AT.isNull(), TOPIC_MEMBER_KEY.ID.isNull())
                .orderBy(TOPIC_MEMBER.JOINED_AT, TOPIC_MEMBER.MEMBER_ID).limit(MAX_PENDING).fetch()) {
            out.add(new Pending(r.get(TOPIC_MEMBER.MEMBER_ID), r.get(MEMBER.PEER_PUBKEY), r.get(MEMBER.DISPLAY_NAME)));
        }
        return out;
    }

    /**
     * Stores a re-sealed copy for {@code memberId} (replacing one it had), when that member is a non-revoked member of
     * the mesh subscribed to the topic; false otherwise.
     */
    public boolean seal(String meshId, String topicId, String memberId, String encryptedKey, String nonce,
                        long nowMs) {
        return dsl.transactionResult(cfg -> {
            DSLContext tx = cfg.dsl();
            boolean subscribed = tx.fetchExists(DSL.selectOne().from(TOPIC_MEMBER).join(MEMBER)
                    .on(MEMBER.ID.eq(TOPIC_MEMBER.MEMBER_ID))
                    .where(TOPIC_MEMBER.TOPIC_ID.eq(topicId), MEMBER.ID.eq(memberId), MEMBER.MESH_ID.eq(meshId),
                            MEMBER.REVOKED_AT.isNull()));
            if (!subscribed) {
                return false;
            }
            OffsetDateTime now = time(nowMs);
            tx.insertInto(TOPIC_MEMBER_KEY).set(TOPIC_MEMBER_KEY.ID, Ids.newId(nowMs))
                    .set(TOPIC_MEMBER_KEY.TOPIC_ID, topicId).set(TOPIC_MEMBER_KEY.MEMBER_ID, memberId)
                    .set(TOPIC_MEMBER_KEY.ENCRYPTED_KEY, encryptedKey).set(TOPIC_MEMBER_KEY.NONCE, nonce)
                    .set(TOPIC_MEMBER_KEY.CREATED_AT, now)
                    .onConflict(TOPIC_MEMBER_KEY.TOPIC_ID, TOPIC_MEMBER_KEY.MEMBER_ID).doUpdate()
                    .set(TOPIC_MEMBER_KEY.ENCRYPTED_KEY, encryptedKey).set(TOPIC_MEMBER_KEY.NONCE, nonce)
                    .set(TOPIC_MEMBER_KEY.ROTATED_AT, now).execute();
            return true;
        });
    }

    /** Non-revoked members of the mesh, oldest first. */
    public List<MeshMember> members(String meshId) {
        List<MeshMember> out = new ArrayList<>();
        for (Record r : dsl.select(MEMBER.ID, MEMBER.PEER_PUBKEY, MEMBER.DISPLAY_NAME, MEMBER.ROLE, MEMBER.CREATED_AT)
                .from(MEMBER).where(MEMBER.MESH_ID.eq(meshId), MEMBER.REVOKED_AT.isNull())
                .orderBy(MEMBER.CREATED_AT, MEMBER.ID).fetch()) {
            out.add(new MeshMember(r.get(MEMBER.ID), r.get(MEMBER.PEER_PUBKEY), r.get(MEMBER.DISPLAY_NAME),
                    r.get(MEMBER.ROLE), millis(r.get(MEMBER.CREATED_AT))));
        }
        return out;
    }

    /** The display name of a non-revoked member of the mesh, or null. */
    public String displayName(String meshId, String memberId) {
        return dsl.select(MEMBER.DISPLAY_NAME).from(MEMBER)
                .where(MEMBER.ID.eq(memberId), MEMBER.MESH_ID.eq(meshId), MEMBER.REVOKED_AT.isNull())
                .fetchOne(MEMBER.DISPLAY_NAME);
    }

    /** The mesh's oldest non-revoked member (the sender of a REST post by a key without an issuer), or null. */
    public String oldestMemberId(String meshId) {
        return dsl.select(MEMBER.ID).from(MEMBER).where(MEMBER.MESH_ID.eq(meshId), MEMBER.REVOKED_AT.isNull())
                .orderBy(MEMBER.CREATED_AT, MEMBER.ID).limit(1).fetchOne(MEMBER.ID);
    }

    /** The member's mentions in the mesh created after {@code sinceMs}, newest message first. */
    public List<Mention> mentions(String meshId, String memberId, long sinceMs, boolean unreadOnly) {
        Condition where = NOTIFICATION.RECIPIENT_MEMBER_ID.eq(memberId).and(NOTIFICATION.MESH_ID.eq(meshId))
                .and(NOTIFICATION.CREATED_AT.gt(time(sinceMs)));
        if (unreadOnly) {
            where = where.and(NOTIFICATION.READ_AT.isNull());
        }
        List<Mention> out = new ArrayList<>();
        for (Record r : dsl.select(TOPIC_MESSAGE.ID, NOTIFICATION.ID, TOPIC_MESSAGE.TOPIC_ID, TOPIC.NAME,
                        MEMBER.DISPLAY_NAME, MEMBER.PEER_PUBKEY, TOPIC_MESSAGE.CIPHERTEXT, NOTIFICATION.KIND,
                        NOTIFICATION.READ_AT, TOPIC_MESSAGE.CREATED_AT)
                .from(NOTIFICATION).join(TOPIC_MESSAGE).on(TOPIC_MESSAGE.ID.eq(NOTIFICATION.MESSAGE_ID))
                .join(TOPIC).on(TOPIC.ID.eq(NOTIFICATION.TOPIC_ID))
                .leftJoin(MEMBER).on(MEMBER.ID.eq(NOTIFICATION.SENDER_MEMBER_ID)).where(where)
                .orderBy(TOPIC_MESSAGE.CREATED_AT.desc(), TOPIC_MESSAGE.ID.desc()).limit(MAX_NOTIFICATIONS).fetch()) {
            String name = r.get(MEMBER.DISPLAY_NAME);
            out.add(new Mention(r.get(TOPIC_MESSAGE.ID), r.get(NOTIFICATION.ID), r.get(TOPIC_MESSAGE.TOPIC_ID),
                    r.get(TOPIC.NAME), name == null ? TopicRows.UNKNOWN : name, r.get(MEMBER.PEER_PUBKEY),
                    r.get(TOPIC_MESSAGE.CIPHERTEXT), r.get(NOTIFICATION.KIND), millisOrNull(r.get(NOTIFICATION.READ_AT)),
                    millis(r.get(TOPIC_MESSAGE.CREATED_AT))));
        }
        return out;
    }
}
