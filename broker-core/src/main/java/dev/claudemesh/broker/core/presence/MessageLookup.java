package dev.claudemesh.broker.core.presence;

import java.util.List;

/**
 * Finds sent messages in {@code message_queue} for {@code message_status} (PROTOCOL-MESH §1.2). Blocking (JDBC):
 * called through {@link dev.claudemesh.broker.core.mesh.MeshContext#storage}. Implementations are thread-safe.
 */
public interface MessageLookup {

    /**
     * The rows {@code idOrPrefix} names: for a full 32-character id the row with that id in any mesh (the caller
     * reports a row of another mesh as not found); for a shorter prefix at most two rows of {@code meshId} whose id
     * starts with it.
     */
    List<QueuedMessage> find(String meshId, String idOrPrefix);

    /**
     * One row, as {@code message_status} needs it.
     *
     * @param id             the message id
     * @param meshId         its mesh
     * @param targetSpec     the send's {@code targetSpec} (a key, {@code *}, {@code @group}, {@code #topicId})
     * @param senderMemberId the sending member's id, or null
     * @param deliveredAtMs  when it was delivered, epoch milliseconds, or null
     */
    record QueuedMessage(String id, String meshId, String targetSpec, String senderMemberId, Long deliveredAtMs) {
    }
}
