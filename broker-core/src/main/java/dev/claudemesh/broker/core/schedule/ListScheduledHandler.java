package dev.claudemesh.broker.core.schedule;

import dev.claudemesh.broker.core.envelope.Frames;
import dev.claudemesh.broker.core.envelope.Inbound;
import dev.claudemesh.broker.core.envelope.JsonOut;
import dev.claudemesh.broker.core.mesh.MessageHandler;
import dev.claudemesh.broker.core.mesh.PeerSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code list_scheduled} (PROTOCOL-MESH §7.5): the pending entries made by any lease of the caller's member, in
 * creation order, as stored: {@code {"type":"scheduled_list","messages":[{id,to,message,deliverAt,createdAt,
 * cron?,firedCount?}],"_reqId"}}. {@code cron} and {@code firedCount} only for cron entries; {@code subtype} never.
 * Runs on the mesh loop; the read runs on the storage lane.
 */
final class ListScheduledHandler implements MessageHandler<Schedules> {

    private static final Logger log = LoggerFactory.getLogger(ListScheduledHandler.class);

    @Override
    public void handle(Schedules s, PeerSession from, Inbound in) {
        String meshId = s.mesh.meshId();
        String memberId = from.lease().member().id();
        s.mesh.onLoop(s.mesh.storage(() -> s.store.listByMember(meshId, memberId)), (entries, failure) -> {
            if (failure != null) {
                log.warn("mesh {}: list_scheduled failed: internal_error ({})", meshId,
                        failure.getClass().getSimpleName());
                s.mesh.error(from, in, "internal_error", "scheduled messages are unavailable");
                return;
            }
            JsonOut o = Frames.beginReply("scheduled_list").name("messages").beginArray();
            for (ScheduledMessage e : entries) {
                o.beginObject().field("id", e.id()).field("to", e.target()).field("message", e.message())
                        .field("deliverAt", e.deliverAtMs()).field("createdAt", e.createdAtMs());
                if (e.cron() != null) {
                    o.field("cron", e.cron()).field("firedCount", e.firedCount());
                }
                o.endObject();
            }
            o.endArray();
            from.reply(Frames.endReply(o, in));
        });
    }
}
