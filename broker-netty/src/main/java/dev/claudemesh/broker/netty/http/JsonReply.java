package dev.claudemesh.broker.netty.http;

import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * Writes the JSON answer to one HTTP request, from any thread (the {@link HttpApi}'s exchange: CORS, keep-alive and
 * content length are its business). Called at most once per request.
 */
@FunctionalInterface
public interface JsonReply {

    /** Answers {@code status} with the UTF-8 JSON {@code body}. */
    void send(HttpResponseStatus status, byte[] body);
}
