package dev.claudemesh.broker.core.moderation;

import dev.claudemesh.broker.core.envelope.Frames;
import dev.claudemesh.broker.core.envelope.Inbound;
import dev.claudemesh.broker.core.envelope.JsonNode;
import dev.claudemesh.broker.core.mesh.MessageHandler;
import dev.claudemesh.broker.core.mesh.PeerSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code ban {target, reason?}} and {@code unban {target}} (PROTOCOL-MESH §9.3, §9.4 with the §9.6 [fix]). A missing
 * or empty target → {@code error{code:"invalid",message:"target required"}}; another non-string → {@code bad_request}.
 * Then the store decides and applies in one transaction ({@link BanRules}: admins only, exactly one member named,
 * not oneself, only the owner bans an admin, never the last admin); a ban also ends every lease of the member 4002
 * through the operator's revoke path before the reply. Replies {@code {"type":"ban_ack","banned":<name>,"_reqId"?}} /
 * {@code {"type":"unban_ack","unbanned":<name>,"_reqId"?}} once committed. {@code reason} is ignored, as in the
 * original. Runs on the mesh loop; stateless.
 */
final class BanHandler implements MessageHandler<Moderation> {

    private static final Logger log = LoggerFactory.getLogger(BanHandler.class);

    private final ModerationStore store;
    private final boolean unban;

    BanHandler(ModerationStore store, boolean unban) {
        this.store = store;
        this.unban = unban;
    }

    @Override
    public void handle(Moderation m, PeerSession from, Inbound in) {
        JsonNode t = in.body().get("target");
        if (t == null || t instanceof JsonNode.NullNode || (t instanceof JsonNode.StringNode s && s.value().isEmpty())) {
            m.refuse(from, in, BanRules.INVALID, "target required");
            return;
        }
        if (!(t instanceof JsonNode.StringNode s)) {
            m.refuse(from, in, "bad_request", "target must be a string");
            return;
        }
        String target = s.value();
        String meshId = m.mesh.meshId();
        String callerId = Moderation.memberId(from);
        m.mesh.onLoop(m.mesh.storage(() -> unban ? store.unban(meshId, callerId, target)
                : store.ban(meshId, callerId, target)), (outcome, failure) -> {
            if (failure != null) {
                m.failed(from, in, failure);
            } else if (outcome instanceof BanOutcome.Refused r) {
                m.refuse(from, in, r.code(), r.message());
            } else {
                BanOutcome.Done d = (BanOutcome.Done) outcome;
                log.info("mesh {} conn {}: member {} {} member {}", meshId, from.connection().id(), callerId,
                        unban ? "unbanned" : "banned", d.memberId());
                from.reply(Frames.endReply(Frames.beginReply(unban ? "unban_ack" : "ban_ack")
                        .field(unban ? "unbanned" : "banned", d.name()), in));
            }
        });
    }
}
