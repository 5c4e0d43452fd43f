package dev.claudemesh.broker.core.mesh;

import dev.claudemesh.broker.core.envelope.Inbound;

/**
 * {@code set_status} (PROTOCOL §5): the user's status, under {@link StatusRules} with source manual. No reply;
 * {@code bad_request} for a status other than idle, working or dnd. Stateless.
 */
final class SetStatusHandler implements MessageHandler<MeshCore> {

    @Override
    public void handle(MeshCore mesh, PeerSession from, Inbound in) {
        Status status = Status.parse(in.status);
        if (status == null) {
            mesh.error(from, in, "bad_request", "status must be idle, working or dnd");
            return;
        }
        mesh.statusRules.apply(from.lease, status, StatusSource.MANUAL, mesh.nowMs());
    }
}
