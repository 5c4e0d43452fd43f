package dev.claudemesh.broker.core.schedule;

import dev.claudemesh.broker.core.audit.AuditEvent;
import dev.claudemesh.broker.core.envelope.Frames;
import dev.claudemesh.broker.core.envelope.Inbound;
import dev.claudemesh.broker.core.mesh.MessageHandler;
import dev.claudemesh.broker.core.mesh.PeerSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code cancel_scheduled} (PROTOCOL-MESH §7.6): deletes a pending entry of the caller's member (made by any of its
 * leases) in the caller's mesh, by full id, and answers {@code {"type":"cancel_scheduled_ack","scheduledId":<as
 * sent>,"ok":true|false,"_reqId"}} once the store answered; {@code ok} is false for an unknown id, another member's
 * entry or one already fired. A missing or non-string {@code scheduledId} is {@code bad_request} (§0.3 [fix]). Runs
 * on the mesh loop.
 */
final class CancelScheduledHandler implements MessageHandler<Schedules> {

    private static final Logger log = LoggerFactory.getLogger(CancelScheduledHandler.class);

    @Override
    public void handle(Schedules s, PeerSession from, Inbound in) {
        String meshId = s.mesh.meshId();
        String id = in.body().string("scheduledId");
        if (id == null) {
            s.mesh.error(from, in, "bad_request", "cancel_scheduled needs \"scheduledId\": a string");
            return;
        }
        String memberId = from.lease().member().id();
        s.mesh.onLoop(s.mesh.storage(() -> s.store.cancel(meshId, id, memberId)), (ok, failure) -> {
            if (failure != null) {
                log.warn("mesh {}: cancel_scheduled failed: internal_error ({})", meshId,
                        failure.getClass().getSimpleName());
                s.mesh.error(from, in, "internal_error", "scheduled messages are unavailable");
                return;
            }
            if (ok) {
                s.cancelled(id);
                s.mesh.audit(memberId, new AuditEvent.ScheduleCancelled(id));
            }
            from.reply(Frames.endReply(Frames.beginReply("cancel_scheduled_ack").field("scheduledId", id)
                    .field("ok", ok), in));
        });
    }
}
