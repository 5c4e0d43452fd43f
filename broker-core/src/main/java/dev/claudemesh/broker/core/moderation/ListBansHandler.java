package dev.claudemesh.broker.core.moderation;

import dev.claudemesh.broker.core.audit.AuditChain;
import dev.claudemesh.broker.core.envelope.Frames;
import dev.claudemesh.broker.core.envelope.Inbound;
import dev.claudemesh.broker.core.envelope.JsonOut;
import dev.claudemesh.broker.core.mesh.MessageHandler;
import dev.claudemesh.broker.core.mesh.PeerSession;


/**
 * {@code list_bans} (PROTOCOL-MESH §9.4) → {@code {"type":"list_bans_result","bans":[{"name","pubkey","revokedAt"}],
 * "_reqId"?}}: every banned member of the mesh, oldest ban first. Any member may ask, as in the original. Runs on the
 * mesh loop; stateless.
 */
final class ListBansHandler implements MessageHandler<Moderation> {

    private final ModerationStore store;

    ListBansHandler(ModerationStore store) {
        this.store = store;
    }

    @Override
    public void handle(Moderation m, PeerSession from, Inbound in) {
        String meshId = m.mesh.meshId();
        m.mesh.onLoop(m.mesh.storage(() -> store.bans(meshId)), (bans, failure) -> {
            if (failure != null) {
                m.failed(from, in, failure);
                return;
            }
            JsonOut o = Frames.beginReply("list_bans_result").name("bans").beginArray();
            for (ModerationStore.Ban b : bans) {
                o.beginObject().field("name", b.name()).field("pubkey", b.pubkey())
                        .field("revokedAt", AuditChain.isoMillis(b.revokedAtMs())).endObject();
            }
            from.reply(Frames.endReply(o.endArray(), in));
        });
    }
}
