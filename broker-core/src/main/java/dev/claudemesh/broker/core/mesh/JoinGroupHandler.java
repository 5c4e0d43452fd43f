package dev.claudemesh.broker.core.mesh;

import dev.claudemesh.broker.core.envelope.Inbound;
import dev.claudemesh.broker.core.model.GroupRole;

import java.util.List;

/**
 * {@code join_group} (PROTOCOL §5): adds a group to the lease, or sets the role of one it holds. No reply;
 * {@code bad_request} for a missing or too long name, or beyond {@value #MAX_GROUPS_PER_LEASE} groups. Stateless.
 */
final class JoinGroupHandler implements MessageHandler<MeshCore> {

    static final int MAX_GROUPS_PER_LEASE = 64;

    @Override
    public void handle(MeshCore mesh, PeerSession from, Inbound in) {
        String n = in.name;
        if (n == null || n.isEmpty() || n.length() > SendPolicy.MAX_GROUP_NAME || "name".equals(in.wrongTypeField)
                || "role".equals(in.wrongTypeField)) {
            mesh.error(from, in, "bad_request", "join_group needs a name of 1.." + SendPolicy.MAX_GROUP_NAME
                    + " chars");
            return;
        }
        List<GroupRole> groups = from.lease.groups;
        for (int i = 0; i < groups.size(); i++) {
            if (groups.get(i).name().equals(n)) {
                groups.set(i, new GroupRole(n, in.role));
                return;
            }
        }
        if (groups.size() >= MAX_GROUPS_PER_LEASE) {
            mesh.error(from, in, "bad_request", "at most " + MAX_GROUPS_PER_LEASE + " groups");
            return;
        }
        groups.add(new GroupRole(n, in.role));
    }
}
