package dev.claudemesh.broker.core.mesh;

import dev.claudemesh.broker.core.audit.AuditChain;
import dev.claudemesh.broker.core.envelope.Frames;
import dev.claudemesh.broker.core.envelope.Inbound;
import dev.claudemesh.broker.core.envelope.JsonOut;

/**
 * {@code list_peers} → {@code {"type":"peers_list","_reqId"?,"peers":[…]}} (PROTOCOL §5): every live and grace
 * lease of the mesh, requester included, in connection order, except hidden leases of other members (PROTOCOL-MESH
 * §3.2). After the core fields each row has {@code hostname}, {@code peerType}, {@code channel}, {@code model} when
 * set, {@code stats} when reported, {@code visible}, and {@code profile} when non-empty (§3.4). A row is a lease, so
 * its metadata is that lease's own: a daemon row without a session key never shows a sibling session's (§3.4 [fix]).
 * Stateless.
 */
final class ListPeersHandler implements MessageHandler<MeshCore> {

    @Override
    public void handle(MeshCore mesh, PeerSession from, Inbound in) {
        JsonOut o = new JsonOut(512).beginObject().field("type", "peers_list");
        Frames.reqId(o, in);
        o.name("peers");
        writePeers(o, mesh.leases, from.lease.member.id());
        from.reply(o.endObject().toBytes());
    }

    /**
     * The peers array of {@code peers_list} as the member {@code viewerMemberId} sees it (hidden leases of other
     * members left out); a null viewer (the admin API) sees every lease, each with its {@code memberId} and
     * {@code live} (false while in grace).
     */
    static void writePeers(JsonOut o, LeaseTable leases, String viewerMemberId) {
        o.beginArray();
        for (Lease l : leases.all()) {
            if (!l.visible && viewerMemberId != null && !viewerMemberId.equals(l.member.id())) {
                continue;
            }
            o.beginObject().field("pubkey", l.routingKey()).field("memberPubkey", l.member.pubkey())
                    .field("displayName", l.displayName).field("status", l.status.wire()).field("summary", l.summary)
                    .name("groups");
            Frames.groups(o, l.groups);
            o.field("sessionId", l.sessionId).field("connectedAt", AuditChain.isoMillis(l.connectedAtMs))
                    .field("cwd", l.cwd).field("peerRole", l.peerRole.wire());
            if (viewerMemberId == null) { // the admin API: whose lease, and whether its socket is there or in grace
                o.field("memberId", l.member.id()).field("live", l.live);
            }
            if (l.hostname != null) {
                o.field("hostname", l.hostname);
            }
            if (l.peerType != null) {
                o.field("peerType", l.peerType);
            }
            if (l.channel != null) {
                o.field("channel", l.channel);
            }
            if (l.model != null) {
                o.field("model", l.model);
            }
            if (l.stats != null) {
                o.name("stats").value(l.stats);
            }
            o.field("visible", l.visible);
            if (l.profile.size() > 0) {
                o.name("profile").value(l.profile);
            }
            o.endObject();
        }
        o.endArray();
    }
}
