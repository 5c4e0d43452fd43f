package dev.claudemesh.broker.core.mesh;

import dev.claudemesh.broker.core.Ids;
import dev.claudemesh.broker.core.audit.AuditChain;
import dev.claudemesh.broker.core.audit.AuditEvent;
import dev.claudemesh.broker.core.envelope.Frames;
import dev.claudemesh.broker.core.model.StoredMessage;
import dev.claudemesh.broker.core.port.DurableLog;
import dev.claudemesh.broker.core.port.DurableOp;

/**
 * What one mesh records and announces: it builds the durable ops (queue rows, delivery marks, presence rows, audit
 * events) and hands them to the {@link DurableLog}, and builds the system event frames of PROTOCOL §5. Stateless
 * beyond its mesh id; used on the mesh loop.
 */
final class Journal {

    private final String meshId;
    private final DurableLog durable;

    Journal(String meshId, DurableLog durable) {
        this.meshId = meshId;
        this.durable = durable;
    }

    /** Inserts or updates the lease's presence row. */
    void presence(Lease l) {
        durable.submit(new DurableOp.UpsertPresence(meshId, l.presenceId, l.member.id(), l.sessionPubkey,
                l.sessionId, l.displayName, l.cwd, l.pid, l.status.wire(), l.peerRole.wire(), l.connectedAtMs));
    }

    /** Marks the lease's presence row disconnected. */
    void disconnected(Lease l, long nowMs) {
        durable.submit(new DurableOp.DisconnectPresence(meshId, l.presenceId, nowMs));
    }

    /** Appends an audit event acted by {@code actorId} (nullable). */
    void audit(String actorId, AuditEvent event, long nowMs) {
        durable.submit(new DurableOp.AppendAudit(meshId, actorId, event, nowMs));
    }

    /** Makes a DM durable; {@code onCommitted} runs on the writer thread after its commit. */
    void enqueue(StoredMessage m, Runnable onCommitted) {
        durable.submit(new DurableOp.EnqueueMessage(m), onCommitted);
    }

    /** Marks a DM delivered (its recipient's {@code client_ack}). */
    void delivered(String messageId, long nowMs) {
        durable.submit(new DurableOp.MarkDelivered(meshId, messageId, nowMs));
    }

    /** A system event push with a fresh message id. */
    byte[] systemEvent(String event, Frames.EventData eventData, long nowMs) {
        return Frames.systemEvent(Ids.newId(), meshId, event, eventData, nowMs);
    }

    /** {@code peer_joined} {@code {name, pubkey, groups}} for a new lease. */
    byte[] peerJoined(Lease l, long nowMs) {
        return systemEvent("peer_joined", o -> {
            o.beginObject().field("name", l.displayName).field("pubkey", l.routingKey()).name("groups");
            Frames.groups(o, l.groups);
            o.endObject();
        }, nowMs);
    }

    /**
     * {@code peer_returned} {@code {name, pubkey, groups, lastSeenAt?, summary?}} for a new control-plane lease of a
     * member whose saved peer state was restored (PROTOCOL-MESH §2.3).
     */
    byte[] peerReturned(Lease l, SavedPeerState restored, long nowMs) {
        return systemEvent("peer_returned", o -> {
            o.beginObject().field("name", l.displayName).field("pubkey", l.routingKey()).name("groups");
            Frames.groups(o, l.groups);
            if (restored.lastSeenAtMs() != null) {
                o.field("lastSeenAt", AuditChain.isoMillis(restored.lastSeenAtMs()));
            }
            if (restored.lastSummary() != null) {
                o.field("summary", restored.lastSummary());
            }
            o.endObject();
        }, nowMs);
    }

    /** {@code peer_left} {@code {name, pubkey}} for an ended lease. */
    byte[] peerLeft(Lease l, long nowMs) {
        return systemEvent("peer_left",
                o -> o.beginObject().field("name", l.displayName).field("pubkey", l.routingKey()).endObject(), nowMs);
    }
}
