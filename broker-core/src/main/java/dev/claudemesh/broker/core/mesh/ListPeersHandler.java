package dev.claudemesh.broker.core.mesh;

import dev.claudemesh.broker.core.audit.AuditChain;
import dev.claudemesh.broker.core.envelope.Frames;
import dev.claudemesh.broker.core.envelope.Inbound;
import dev.claudemesh.broker.core.envelope.JsonOut;

/**
 * {@code list_peers} → {@code {"type":"peers_list","_reqId"?,"peers":[…]}} (PROTOCOL §5): every live and grace
 * lease of the mesh, requester included, in connection order. Stateless.
 */
final class ListPeersHandler implements MessageHandler<MeshCore> {

    @Override
    public void handle(MeshCore mesh, PeerSession from, Inbound in) {
        JsonOut o = new JsonOut(512).beginObject().field("type", "peers_list");
        Frames.reqId(o, in);
        o.name("peers");
        writePeers(o, mesh.leases);
        from.reply(o.endObject().toBytes());
    }

    /** The peers array of {@code peers_list} (also served by the admin API). */
    static void writePeers(JsonOut o, LeaseTable leases) {
        o.beginArray();
        for (Lease l : leases.all()) {
            o.beginObject().field("pubkey", l.routingKey()).field("memberPubkey", l.member.pubkey())
                    .field("displayName", l.displayName).field("status", l.status.wire()).field("summary", l.summary)
                    .name("groups");
            Frames.groups(o, l.groups);
            o.field("sessionId", l.sessionId).field("connectedAt", AuditChain.isoMillis(l.connectedAtMs))
                    .field("cwd", l.cwd).field("peerRole", l.peerRole.wire());
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
            o.endObject();
        }
        o.endArray();
    }
}
