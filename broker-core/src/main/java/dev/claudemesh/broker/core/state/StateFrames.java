package dev.claudemesh.broker.core.state;

import dev.claudemesh.broker.core.audit.AuditChain;
import dev.claudemesh.broker.core.envelope.Frames;
import dev.claudemesh.broker.core.envelope.Inbound;
import dev.claudemesh.broker.core.envelope.JsonNode;
import dev.claudemesh.broker.core.envelope.JsonOut;
import dev.claudemesh.broker.core.workspace.StoredJson;

import java.util.List;

/** The frames of shared state (PROTOCOL-MESH §4), field order as the original sends them. Stateless. */
final class StateFrames {

    /** {@code updatedBy} when the writer's name is not known. */
    static final String UNKNOWN = "unknown";

    private StateFrames() {
    }

    /** {@code {"type":"state_change","key","value","updatedBy"}}: encoded once for every other lease. */
    static byte[] stateChange(String key, JsonNode value, String updatedBy) {
        return new JsonOut(64 + key.length()).beginObject().field("type", "state_change").field("key", key)
                .name("value").value(value).field("updatedBy", updatedBy).endObject().toBytes();
    }

    /**
     * {@code {"type":"state_result","key","value","updatedBy","updatedAt","_reqId"}}; for a missing key
     * {@code {"type":"state_result","value":null,"updatedBy":"","updatedAt":"","_reqId"}} without {@code key}
     * (§4.6 [fix]: the cold-path CLI then reports "not set").
     */
    static byte[] stateResult(StateEntry e, Inbound in) {
        JsonOut o = Frames.beginReply("state_result");
        if (e == null) {
            o.name("value").nullValue().field("updatedBy", "").field("updatedAt", "");
        } else {
            o.field("key", e.key());
            entryTail(o, e);
        }
        return Frames.endReply(o, in);
    }

    /**
     * {@code {"type":"state_data","state":{"key","value","updatedBy","updatedAt"} or null,"_reqId"}}: what the CLI's
     * daemon waits for (§4.6 [fix]).
     */
    static byte[] stateData(StateEntry e, Inbound in) {
        JsonOut o = Frames.beginReply("state_data").name("state");
        if (e == null) {
            o.nullValue();
        } else {
            entry(o, e);
        }
        return Frames.endReply(o, in);
    }

    /** {@code {"type":"state_list","entries":[{"key","value","updatedBy","updatedAt"}],"_reqId"}}. */
    static byte[] stateList(List<StateEntry> entries, Inbound in) {
        JsonOut o = Frames.beginReply("state_list").name("entries").beginArray();
        for (StateEntry e : entries) {
            entry(o, e);
        }
        o.endArray();
        return Frames.endReply(o, in);
    }

    private static void entry(JsonOut o, StateEntry e) {
        o.beginObject().field("key", e.key());
        entryTail(o, e);
        o.endObject();
    }

    private static void entryTail(JsonOut o, StateEntry e) {
        o.name("value").value(StoredJson.parse(e.valueJson()))
                .field("updatedBy", e.updatedBy() == null ? UNKNOWN : e.updatedBy())
                .field("updatedAt", AuditChain.isoMillis(e.updatedAtMs()));
    }
}
