package dev.claudemesh.broker.core.model;

/**
 * A DM send with a {@code client_message_id} that committed recently, reloaded at boot so that a repeat of it after a
 * restart gets the first ack again (PROTOCOL §4.1, idempotency) instead of becoming a second message.
 *
 * @param meshId          the mesh
 * @param senderKey       the sender's routing key (its session key, else its member key), as the idempotency key uses
 * @param clientMessageId the client's id of the send
 * @param messageId       the broker's id, as acked
 * @param createdAtMs     when the send was accepted
 */
public record RecentSend(String meshId, String senderKey, String clientMessageId, String messageId, long createdAtMs) {
}
