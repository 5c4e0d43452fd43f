package dev.claudemesh.broker.core.memory;

import dev.claudemesh.broker.core.audit.AuditChain;
import dev.claudemesh.broker.core.envelope.Frames;
import dev.claudemesh.broker.core.envelope.Inbound;
import dev.claudemesh.broker.core.envelope.JsonOut;

import java.util.List;

/** The frames of mesh memory (PROTOCOL-MESH §5), field order as the original sends them. Stateless. */
final class MemoryFrames {

    private MemoryFrames() {
    }

    /** {@code {"type":"memory_stored","id","memoryId","_reqId"}} (§5.6 [fix]: {@code memoryId} for the daemon). */
    static byte[] stored(String id, Inbound in) {
        return Frames.endReply(Frames.beginReply("memory_stored").field("id", id).field("memoryId", id), in);
    }

    /**
     * {@code {"type":"memory_results","memories":[{"id","content","tags","rememberedBy","rememberedAt"}],"_reqId"}}.
     */
    static byte[] results(List<Memory> memories, Inbound in) {
        return rows("memory_results", "memories", memories, in);
    }

    /** {@code {"type":"memory_recall_result","matches":[…the same rows…],"_reqId"}} (§5.6 [fix]: the daemon's). */
    static byte[] recallResult(List<Memory> memories, Inbound in) {
        return rows("memory_recall_result", "matches", memories, in);
    }

    /** {@code {"type":"ack","id":<memoryId>,"messageId":<memoryId>,"queued":false,"_reqId"}} (§5.3). */
    static byte[] forgetAck(String memoryId, Inbound in) {
        return Frames.endReply(Frames.beginReply("ack").field("id", memoryId).field("messageId", memoryId)
                .field("queued", false), in);
    }

    private static byte[] rows(String type, String field, List<Memory> memories, Inbound in) {
        JsonOut o = Frames.beginReply(type).name(field).beginArray();
        for (Memory m : memories) {
            o.beginObject().field("id", m.id()).field("content", m.content()).name("tags").beginArray();
            for (String t : m.tags()) {
                o.value(t);
            }
            o.endArray().field("rememberedBy", m.rememberedBy() == null ? "unknown" : m.rememberedBy())
                    .field("rememberedAt", AuditChain.isoMillis(m.rememberedAtMs())).endObject();
        }
        o.endArray();
        return Frames.endReply(o, in);
    }
}
