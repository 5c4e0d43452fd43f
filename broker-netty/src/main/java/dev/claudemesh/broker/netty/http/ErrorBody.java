package dev.claudemesh.broker.netty.http;

import dev.claudemesh.broker.core.envelope.JsonOut;
import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * The two shapes of an error body on this port: the admin API's {@code {"error":"…"}} (DESIGN "Membership
 * administration", and every 404/405) and the {@code {"ok":false,"error":"…"}} of the hook and join routes (PROTOCOL
 * §6, §9). Routes name theirs once; the failure classifier and the bearer check answer in it.
 */
public enum ErrorBody {

    /** {@code {"error":"<message>"}}. */
    PLAIN {
        @Override
        byte[] render(String message) {
            return new JsonOut(32 + message.length()).beginObject().field("error", message).endObject().toBytes();
        }
    },

    /** {@code {"ok":false,"error":"<message>"}}. */
    OK_FALSE {
        @Override
        byte[] render(String message) {
            return new JsonOut(40 + message.length()).beginObject().field("ok", false).field("error", message)
                    .endObject().toBytes();
        }
    };

    /** The body for {@code message} (escaped). */
    abstract byte[] render(String message);

    /** {@code status} with this shape's body for {@code message}. */
    public Answer answer(HttpResponseStatus status, String message) {
        return Answer.json(status, render(message));
    }
}
