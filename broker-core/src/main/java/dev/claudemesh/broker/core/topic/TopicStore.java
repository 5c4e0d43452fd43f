package dev.claudemesh.broker.core.topic;

import java.util.List;
import java.util.Objects;

/**
 * The topics' durable state (PROTOCOL-MESH §8.5), a port implemented in broker-db. Blocking (JDBC): called through
 * {@link dev.claudemesh.broker.core.mesh.MeshContext#storage}, never on an event loop. Every call is one transaction;
 * the checks a change depends on (the topic is in the caller's mesh, a restricted topic's subscription, the caller's
 * right to invite, the per-mesh topic quota) are made inside it, so they hold even when two brokers share the
 * database. Times are epoch milliseconds. Implementations are thread-safe.
 */
public interface TopicStore {

    /** A topic row. {@code encryptedKeyPubkey} is null for a topic without a key (v1 only). */
    record Topic(String id, String meshId, String name, String description, Visibility visibility,
                 String encryptedKeyPubkey, long createdAtMs, boolean archived) {
        public Topic {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(visibility, "visibility");
        }
    }

    /** A copy of a topic key sealed for one member (PROTOCOL-MESH §8.7): base64 texts as stored. */
    record SealedKey(String encryptedKey, String nonce) {
        public SealedKey {
            Objects.requireNonNull(encryptedKey, "encryptedKey");
            Objects.requireNonNull(nonce, "nonce");
        }
    }

    /** What {@code topic_create} asks for. */
    record NewTopic(String id, String meshId, String name, String description, Visibility visibility,
                    String creatorMemberId, String encryptedKeyPubkey, SealedKey creatorKey, long nowMs) {
    }

    /** The topic (the stored one when it existed) and whether this call created it. */
    record Created(Topic topic, boolean created) {
    }

    /** A topic in {@code topic_list}. */
    record Listed(Topic topic, int memberCount) {
    }

    /** A subscriber in {@code topic_members}. */
    record Subscriber(String memberId, String pubkey, String displayName, TopicRole role, long joinedAtMs,
                      Long lastReadAtMs) {
    }

    /**
     * A history row. {@code senderSessionPubkey} is null for control-plane and REST senders; {@code senderName} is the
     * member name ({@code "unknown"} when the member is gone).
     */
    record Message(String id, String topicId, String senderMemberId, String senderMemberPubkey,
                   String senderSessionPubkey, String senderName, String nonce, String ciphertext, int bodyVersion,
                   String replyToId, long createdAtMs) {

        /** The key shown as {@code senderPubkey} over the WebSocket: the session key, else the member key. */
        public String senderPubkey() {
            return senderSessionPubkey != null ? senderSessionPubkey : senderMemberPubkey;
        }
    }

    /**
     * A message to store (a WebSocket send or a REST post). {@code mentionTokens} are lowercased names (at most 16);
     * {@code senderRoutingKey} (null for a REST post: the member key) and {@code clientMessageId} go into the delivered
     * {@code message_queue} marker row ({@code message_status} and the idempotency window read it).
     */
    record NewMessage(String id, String meshId, String topicId, String senderMemberId, String senderSessionPubkey,
                      String senderRoutingKey, String priority, String nonce, String ciphertext, int bodyVersion,
                      String replyToId, String clientMessageId, List<String> mentionTokens, long nowMs) {
        public NewMessage {
            mentionTokens = List.copyOf(mentionTokens);
        }
    }

    /** Why a post was refused, or {@link #OK}. */
    enum PostStatus {
        OK,
        /** No such topic in the sender's mesh (or it is archived). */
        TOPIC_NOT_FOUND,
        /** A restricted topic and the sender is not subscribed. */
        NOT_SUBSCRIBED
    }

    /**
     * The stored message (with its reply reference kept only when the parent is in the same topic), the topic, the
     * member keys of the other subscribed members (the live fan-out's recipients) and the number of notification rows.
     */
    record Posted(PostStatus status, Topic topic, Message message, List<String> recipientMemberPubkeys,
                  int notifications) {
        public static Posted refused(PostStatus status) {
            return new Posted(status, null, null, List.of(), 0);
        }
    }

    /** How a subscription request ended. */
    enum JoinStatus {
        /** Subscribed now. */
        JOINED,
        /** Was subscribed already; nothing changed. */
        ALREADY,
        /** A restricted topic, and the caller is neither one of its leads nor a mesh admin. */
        FORBIDDEN,
        /** The member to add is not a non-revoked member of the mesh. */
        NO_SUCH_MEMBER
    }

    /**
     * Creates the topic unless (mesh, name) exists, archived topics included; a new topic gets its creator subscribed
     * as {@code lead} and the creator's sealed key. An existing one is returned untouched (PROTOCOL-MESH §8.12).
     *
     * @throws TopicLimitException when the mesh holds {@code maxTopicsPerMesh} topics already
     */
    Created create(NewTopic topic, int maxTopicsPerMesh);

    /** Non-archived topics of the mesh, by name, each with its subscription count. */
    List<Listed> list(String meshId);

    /**
     * A topic reference (PROTOCOL-MESH §8.1): at least 20 chars of {@code [A-Za-z0-9_-]} are tried as an id of the mesh
     * (archived included) first, then anything as a non-archived name. Null when nothing matches.
     */
    Topic resolve(String meshId, String ref);

    /** A non-archived topic of the mesh by name (the REST API's), or null. */
    Topic byName(String meshId, String name);

    /** The member's role in the topic, or null when not subscribed. */
    TopicRole subscription(String topicId, String memberId);

    /**
     * Subscribes {@code memberRef} (a member id or member key of the mesh; null = the caller) with {@code role}, an
     * existing subscription unchanged. On a restricted topic, or when adding someone else, the caller must be a lead of
     * the topic or a mesh admin ({@code member.role = 'admin'}).
     *
     * @return the outcome and, for {@link JoinStatus#JOINED}, the subscribed member's id (else null)
     */
    JoinResult join(Topic topic, String callerMemberId, String memberRef, TopicRole role, long nowMs);

    /** The outcome of {@link #join}. */
    record JoinResult(JoinStatus status, String memberId) {
    }

    /** Removes the member's subscription; false when there was none. */
    boolean leave(String topicId, String memberId);

    /** The subscribers, by display name. */
    List<Subscriber> subscribers(String topicId);

    /**
     * A page of history, newest first (created_at, then id): at most {@code limit}; with {@code beforeId}, only
     * messages strictly older than that message of the same topic (an id of another topic, or none, gives an empty
     * page).
     */
    List<Message> history(String topicId, int limit, String beforeId);

    /**
     * Messages after {@code afterId} in the topic, oldest first (created_at, then id), at most {@code limit}: what an
     * event stream that reconnects with {@code Last-Event-ID} missed. Empty when {@code afterId} is not in the topic.
     */
    List<Message> after(String topicId, String afterId, int limit);

    /** Sets {@code last_read_at} of the member's subscription (nothing when not subscribed). */
    void markRead(String topicId, String memberId, long nowMs);

    /**
     * Stores a message in one transaction: the topic is checked to be a non-archived topic of the sender's mesh and,
     * when restricted, the sender's subscription; then the history row, a delivered {@code message_queue} marker row
     * with the same id (no payload: the history holds it), and the notifications of the mentioned members; a topic
     * whose history is over the store's cap loses its oldest messages (and their notifications) in the same
     * transaction.
     */
    Posted post(NewMessage message);

    /** Thrown by {@link #create} when the mesh's topic quota is reached. */
    final class TopicLimitException extends RuntimeException {
        public TopicLimitException(String message) {
            super(message);
        }
    }
}
