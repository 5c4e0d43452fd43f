package dev.claudemesh.broker.core.tasks;

import dev.claudemesh.broker.core.audit.AuditChain;
import dev.claudemesh.broker.core.envelope.Frames;
import dev.claudemesh.broker.core.envelope.Inbound;
import dev.claudemesh.broker.core.envelope.JsonOut;

import java.util.List;

/** The frames of mesh tasks (PROTOCOL-MESH §6), field order as the original sends them. Stateless. */
final class TaskFrames {

    private TaskFrames() {
    }

    /** {@code {"type":"task_created","id","_reqId"}}. */
    static byte[] created(String id, Inbound in) {
        return Frames.endReply(Frames.beginReply("task_created").field("id", id), in);
    }

    /**
     * {@code {"type":"task_list","tasks":[{"id","title","assignee","claimedBy","status","priority","createdBy","tags",
     * "createdAt"}],"_reqId"}}.
     */
    static byte[] list(List<Task> tasks, Inbound in) {
        JsonOut o = Frames.beginReply("task_list").name("tasks").beginArray();
        for (Task t : tasks) {
            o.beginObject().field("id", t.id()).field("title", t.title()).field("assignee", t.assignee())
                    .field("claimedBy", t.claimedBy()).field("status", t.status()).field("priority", t.priority())
                    .field("createdBy", t.createdBy()).name("tags").beginArray();
            for (String tag : t.tags()) {
                o.value(tag);
            }
            o.endArray().field("createdAt", AuditChain.isoMillis(t.createdAtMs())).endObject();
        }
        o.endArray();
        return Frames.endReply(o, in);
    }
}
