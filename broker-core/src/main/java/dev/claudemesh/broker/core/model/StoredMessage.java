package dev.claudemesh.broker.core.model;

/**
 * A direct message as it is made durable and as it is reloaded after a restart. The broker never
 * decodes {@code nonce} or {@code ciphertext}: they are the base64 text bytes exactly as the sender
 * wrote them (US-ASCII), held in a {@link Payload} (off the heap for a DM routed live, see its counting rules), never
 * turned into Strings on the hot path.
 *
 * @param messageId          broker message id (32 alnum)
 * @param meshId             mesh id
 * @param senderMemberId     sending member's id
 * @param senderMemberPubkey sending member's key
 * @param senderPubkey       the sender's session key, else its member key (what {@code push.senderPubkey} carries)
 * @param senderName         sender display name
 * @param targetKey          64-hex target: a session key or a member key
 * @param priority           now | next | low
 * @param payload            nonce and ciphertext, base64 text bytes
 * @param clientMessageId    as given by the sender, or null
 * @param requestFingerprint as given by the sender, or null
 * @param createdAtMs        epoch millis
 * @param expiresAtMs        epoch millis
 * @param subtype            the push's {@code subtype} ({@code "reminder"} for a scheduled reminder,
 *                           PROTOCOL-MESH §7.10), or null: no {@code subtype} key on the push
 */
public record StoredMessage(String messageId, String meshId, String senderMemberId, String senderMemberPubkey,
                            String senderPubkey, String senderName, String targetKey, String priority,
                            Payload payload, String clientMessageId, String requestFingerprint,
                            long createdAtMs, long expiresAtMs, String subtype) {

    public StoredMessage {
        java.util.Objects.requireNonNull(payload, "payload");
    }

    /** A DM with its nonce and ciphertext on the heap (reloaded rows, tests). */
    public StoredMessage(String messageId, String meshId, String senderMemberId, String senderMemberPubkey,
                         String senderPubkey, String senderName, String targetKey, String priority,
                         byte[] nonce, byte[] ciphertext, String clientMessageId, String requestFingerprint,
                         long createdAtMs, long expiresAtMs, String subtype) {
        this(messageId, meshId, senderMemberId, senderMemberPubkey, senderPubkey, senderName, targetKey, priority,
                Payload.heap(nonce, ciphertext), clientMessageId, requestFingerprint, createdAtMs, expiresAtMs,
                subtype);
    }

    /** A DM without a {@code subtype}, its nonce and ciphertext on the heap (reloaded rows, tests). */
    public StoredMessage(String messageId, String meshId, String senderMemberId, String senderMemberPubkey,
                         String senderPubkey, String senderName, String targetKey, String priority,
                         byte[] nonce, byte[] ciphertext, String clientMessageId, String requestFingerprint,
                         long createdAtMs, long expiresAtMs) {
        this(messageId, meshId, senderMemberId, senderMemberPubkey, senderPubkey, senderName, targetKey, priority,
                nonce, ciphertext, clientMessageId, requestFingerprint, createdAtMs, expiresAtMs, null);
    }

    /** The nonce text, a copy (cold paths and tests; the hot path reads {@link #payload()}). */
    public byte[] nonce() {
        return payload.nonce();
    }

    /** The ciphertext text, a copy (cold paths and tests; the hot path reads {@link #payload()}). */
    public byte[] ciphertext() {
        return payload.ciphertext();
    }
}
