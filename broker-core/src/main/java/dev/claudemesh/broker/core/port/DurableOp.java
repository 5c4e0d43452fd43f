package dev.claudemesh.broker.core.port;

import dev.claudemesh.broker.core.model.StoredMessage;

import java.util.Map;

/**
 * A unit of durable work handed to the {@link DurableLog}. Immutable; safe to pass between threads.
 * The writer applies ops of one batch in submission order inside one transaction.
 */
public sealed interface DurableOp {

    /** Insert a DM into the queue. After its commit the sender may be acked {@code queued:true}. */
    record EnqueueMessage(StoredMessage message) implements DurableOp { }

    /** Mark a queued DM delivered (the recipient's {@code client_ack}). Unknown ids are ignored. */
    record MarkDelivered(String meshId, String messageId, long deliveredAtMs) implements DurableOp { }

    /** Insert or update the presence row of a lease. */
    record UpsertPresence(String presenceId, String meshId, String memberId, String sessionPubkey,
                          String sessionId, String displayName, String cwd, Long pid, String status,
                          String peerRole, long connectedAtMs) implements DurableOp { }

    /** The lease was evicted (or the broker stopped): set {@code disconnected_at}. */
    record DisconnectPresence(String meshId, String presenceId, long disconnectedAtMs) implements DurableOp { }

    /**
     * Append an audit event to the mesh's hash chain. The writer computes the hash (it is the only
     * writer of the chain) with {@link dev.claudemesh.broker.core.audit.AuditChain}. {@code payload}
     * holds metadata only: Strings, numbers, booleans, null, Lists and Maps of those.
     */
    record AppendAudit(String meshId, String eventType, String actorId, Map<String, Object> payload,
                       long createdAtMs) implements DurableOp { }
}
