package dev.claudemesh.broker.core.presence;

import dev.claudemesh.broker.core.envelope.Frames;
import dev.claudemesh.broker.core.envelope.Inbound;
import dev.claudemesh.broker.core.envelope.JsonOut;

/**
 * The ack-shaped reply of {@code set_profile} and {@code set_visible} (PROTOCOL-MESH §0.4):
 * {@code {"type":"ack","id":<_reqId, else "">,"messageId":"","queued":false,"_reqId"?}}. Clients ignore it unless
 * {@code id} names one of their pending sends. Stateless.
 */
final class AckShaped {

    private AckShaped() {
    }

    static byte[] of(Inbound in) {
        JsonOut o = Frames.beginReply("ack").name("id");
        if (in.reqId == null) {
            o.value("");
        } else if (in.reqIdNumeric && isLong(in.reqId)) {
            o.value(Long.parseLong(in.reqId));
        } else {
            o.value(in.reqId);
        }
        o.field("messageId", "").field("queued", false);
        return Frames.endReply(o, in);
    }

    private static boolean isLong(String s) {
        try {
            Long.parseLong(s);
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }
}
