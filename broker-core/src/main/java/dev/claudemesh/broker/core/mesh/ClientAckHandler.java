package dev.claudemesh.broker.core.mesh;

import dev.claudemesh.broker.core.envelope.Inbound;

/**
 * {@code client_ack} (PROTOCOL §4.5): removes the DM from its queue when it is addressed to the acking lease, and
 * marks it delivered. No reply. Stateless; keeps nothing of the request, so it may be lent the socket's reused one.
 */
final class ClientAckHandler implements MessageHandler<MeshCore> {

    @Override
    public void handle(MeshCore mesh, PeerSession from, Inbound in) {
        QueuedDm dm = mesh.queues.ack(from.lease, in.brokerMessageId, in.clientMessageId);
        if (dm != null) {
            mesh.journal.delivered(dm.message.messageId(), mesh.nowMs());
        }
    }

    /** Reads the two ids during the call only. */
    @Override
    public boolean keepsRequest() {
        return false;
    }
}
