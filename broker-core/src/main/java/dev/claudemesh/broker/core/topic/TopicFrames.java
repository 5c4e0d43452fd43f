package dev.claudemesh.broker.core.topic;

import dev.claudemesh.broker.core.audit.AuditChain;
import dev.claudemesh.broker.core.envelope.Frames;
import dev.claudemesh.broker.core.envelope.Inbound;
import dev.claudemesh.broker.core.envelope.JsonOut;

import java.util.List;

/**
 * Encoders of the topic frames (PROTOCOL-MESH §8.2–§8.6), fields in the original's order. Stateless.
 */
final class TopicFrames {

    private TopicFrames() {
    }

    /** {@code topic_created}: {@code {id, name (as requested), visibility}} and whether it was created. */
    static byte[] created(Inbound in, String id, String requestedName, Visibility visibility, boolean created) {
        JsonOut o = Frames.beginReply("topic_created").name("topic").beginObject().field("id", id)
                .field("name", requestedName).field("visibility", visibility.wire()).endObject()
                .field("created", created);
        return Frames.endReply(o, in);
    }

    /** {@code topic_list_response}. */
    static byte[] list(Inbound in, List<TopicStore.Listed> topics) {
        JsonOut o = Frames.beginReply("topic_list_response").name("topics").beginArray();
        for (TopicStore.Listed l : topics) {
            TopicStore.Topic t = l.topic();
            o.beginObject().field("id", t.id()).field("name", t.name()).name("description");
            nullable(o, t.description());
            o.field("visibility", t.visibility().wire()).field("memberCount", l.memberCount())
                    .field("createdAt", AuditChain.isoMillis(t.createdAtMs())).endObject();
        }
        return Frames.endReply(o.endArray(), in);
    }

    /** {@code topic_members_response}; {@code topic} is the reference as requested. */
    static byte[] members(Inbound in, String topic, List<TopicStore.Subscriber> members) {
        JsonOut o = Frames.beginReply("topic_members_response").field("topic", topic).name("members").beginArray();
        for (TopicStore.Subscriber m : members) {
            o.beginObject().field("memberId", m.memberId()).field("pubkey", m.pubkey())
                    .field("displayName", m.displayName()).field("role", m.role().wire())
                    .field("joinedAt", AuditChain.isoMillis(m.joinedAtMs())).name("lastReadAt");
            if (m.lastReadAtMs() == null) {
                o.nullValue();
            } else {
                o.value(AuditChain.isoMillis(m.lastReadAtMs()));
            }
            o.endObject();
        }
        return Frames.endReply(o.endArray(), in);
    }

    /** {@code topic_history_response}; {@code topic} is the reference as requested. */
    static byte[] history(Inbound in, String topic, List<TopicStore.Message> messages) {
        JsonOut o = new JsonOut(256 + messages.size() * 256).beginObject().field("type", "topic_history_response")
                .field("topic", topic).name("messages").beginArray();
        for (TopicStore.Message m : messages) {
            o.beginObject().field("id", m.id()).field("senderPubkey", m.senderPubkey())
                    .field("senderMemberId", m.senderMemberId()).field("senderName", m.senderName())
                    .field("nonce", m.nonce()).field("ciphertext", m.ciphertext())
                    .field("bodyVersion", m.bodyVersion());
            if (m.replyToId() != null) {
                o.field("replyToId", m.replyToId());
            }
            o.field("createdAt", AuditChain.isoMillis(m.createdAtMs())).endObject();
        }
        return Frames.endReply(o.endArray(), in);
    }

    /**
     * The live push of a topic message (PROTOCOL-MESH §8.6 [fix]), encoded once for every recipient: the history id as
     * {@code messageId}, the topic's name as {@code topic}, {@code replyToId} only when set.
     */
    static byte[] push(String meshId, String topicName, TopicStore.Message m, String priority) {
        JsonOut o = new JsonOut(384 + m.nonce().length() + m.ciphertext().length());
        o.beginObject().field("type", "push").field("messageId", m.id()).field("meshId", meshId)
                .field("senderPubkey", m.senderPubkey()).field("senderMemberPubkey", m.senderMemberPubkey())
                .field("senderMemberId", m.senderMemberId()).field("senderName", m.senderName())
                .field("priority", priority).field("nonce", m.nonce()).field("ciphertext", m.ciphertext())
                .field("createdAt", AuditChain.isoMillis(m.createdAtMs())).field("topic", topicName);
        if (m.replyToId() != null) {
            o.field("replyToId", m.replyToId());
        }
        return o.endObject().toBytes();
    }

    private static void nullable(JsonOut o, String v) {
        if (v == null) {
            o.nullValue();
        } else {
            o.value(v);
        }
    }
}
