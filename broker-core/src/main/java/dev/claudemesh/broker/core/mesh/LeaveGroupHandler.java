package dev.claudemesh.broker.core.mesh;

import dev.claudemesh.broker.core.envelope.Inbound;

/** {@code leave_group} (PROTOCOL §5): drops a group from the lease. No reply; {@code bad_request} without a name. */
final class LeaveGroupHandler implements MessageHandler<MeshCore> {

    @Override
    public void handle(MeshCore mesh, PeerSession from, Inbound in) {
        String n = in.name;
        if (n == null || n.isEmpty() || "name".equals(in.wrongTypeField)) {
            mesh.error(from, in, "bad_request", "leave_group needs a name");
            return;
        }
        from.lease.groups.removeIf(g -> g.name().equals(n));
    }
}
