package dev.claudemesh.broker.netty.http;

import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.AsciiString;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * A complete HTTP answer: status, content type and body, computed on any thread and written by
 * {@link HttpExchange#send(Answer)}. Immutable (the body array must not be changed once handed over).
 *
 * @param status      the status
 * @param contentType the {@code Content-Type}
 * @param body        the body bytes
 */
public record Answer(HttpResponseStatus status, CharSequence contentType, byte[] body) {

    /** {@code application/json}, the type of every answer except the metrics text. */
    public static final AsciiString JSON = AsciiString.cached("application/json");

    public Answer {
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(contentType, "contentType");
        Objects.requireNonNull(body, "body");
    }

    /** A JSON answer of UTF-8 bytes. */
    public static Answer json(HttpResponseStatus status, byte[] json) {
        return new Answer(status, JSON, json);
    }

    /** A JSON answer of text. */
    public static Answer json(HttpResponseStatus status, String json) {
        return new Answer(status, JSON, json.getBytes(StandardCharsets.UTF_8));
    }
}
