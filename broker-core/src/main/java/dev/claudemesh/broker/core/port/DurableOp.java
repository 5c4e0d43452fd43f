package dev.claudemesh.broker.core.port;

import dev.claudemesh.broker.core.audit.AuditEvent;
import dev.claudemesh.broker.core.model.StoredMessage;

import java.util.Objects;

/**
 * A unit of durable work handed to the {@link DurableLog}. Immutable; safe to pass between threads.
 * The writer applies ops of one batch in submission order inside one transaction. Every op names its mesh
 * ({@link #meshId()}): a sharded writer routes by it, so that all ops of a mesh keep their order.
 */
public sealed interface DurableOp {

    /** The mesh this op belongs to; never null. */
    String meshId();

    /** Insert a DM into the queue. After its commit the sender may be acked {@code queued:true}. */
    record EnqueueMessage(StoredMessage message) implements DurableOp {
        public EnqueueMessage {
            Objects.requireNonNull(message, "message");
        }

        /** The message's mesh. */
        @Override
        public String meshId() {
            return message.meshId();
        }
    }

    /** Mark a queued DM delivered (the recipient's {@code client_ack}). Unknown ids are ignored. */
    record MarkDelivered(String meshId, String messageId, long deliveredAtMs) implements DurableOp { }

    /** Insert or update the presence row of a lease. */
    record UpsertPresence(String meshId, String presenceId, String memberId, String sessionPubkey,
                          String sessionId, String displayName, String cwd, Long pid, String status,
                          String peerRole, long connectedAtMs) implements DurableOp { }

    /** The lease ended (evicted, replaced, revoked, or the broker stopped): set {@code disconnected_at}. */
    record DisconnectPresence(String meshId, String presenceId, long disconnectedAtMs) implements DurableOp { }

    /**
     * Append an audit event to the mesh's hash chain. The writer computes the hash (it is the only writer of the
     * chain) with {@link dev.claudemesh.broker.core.audit.AuditChain} over {@link AuditEvent#canonicalPayload()}.
     *
     * @param actorId the acting member's id, or null
     */
    record AppendAudit(String meshId, String actorId, AuditEvent event, long createdAtMs) implements DurableOp {
        public AppendAudit {
            Objects.requireNonNull(event, "event");
        }

        /** {@code event().type()}. */
        public String eventType() {
            return event.type();
        }
    }
}
