package dev.claudemesh.broker.netty.http;

import dev.claudemesh.broker.core.audit.AuditChain;
import dev.claudemesh.broker.core.envelope.JsonOut;
import dev.claudemesh.broker.core.topic.TopicStore;
import io.netty.handler.codec.http.HttpResponseStatus;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * JSON answers of the REST API (PROTOCOL-MESH §8.10): the error bodies ({@code {"error":<code>,…}} as the original
 * web application answers them), the message row shared by {@code /messages} and the event stream, times as ISO-8601
 * UTC with milliseconds. Stateless.
 */
final class ApiJson {

    private ApiJson() {
    }

    static CompletionStage<Answer> done(Answer a) {
        return CompletableFuture.completedFuture(a);
    }

    static Answer ok(JsonOut o) {
        return Answer.json(HttpResponseStatus.OK, o.toBytes());
    }

    /** {@code {"error":<code>}}. */
    static Answer error(HttpResponseStatus status, String code) {
        return Answer.json(status, new JsonOut(32).beginObject().field("error", code).endObject().toBytes());
    }

    /** {@code {"error":<code>,"topic":<name>}}. */
    static Answer topicError(HttpResponseStatus status, String code, String topic) {
        return Answer.json(status, new JsonOut(64).beginObject().field("error", code).field("topic", topic)
                .endObject().toBytes());
    }

    /** {@code {"error":<code>,"topic":<name>,"hint":<text>}}. */
    static Answer topicError(HttpResponseStatus status, String code, String topic, String hint) {
        return Answer.json(status, new JsonOut(128).beginObject().field("error", code).field("topic", topic)
                .field("hint", hint).endObject().toBytes());
    }

    /** 400 {@code {"error":"bad_request","message":<text>}}. */
    static Answer badRequest(String message) {
        return Answer.json(HttpResponseStatus.BAD_REQUEST, new JsonOut(64).beginObject().field("error", "bad_request")
                .field("message", message).endObject().toBytes());
    }

    /**
     * 401/403 of the API-key checks: {@code {"error":<code>,"code":"error.<code>","message","status"}} (the original's
     * {@code code} key, plus the {@code error} key of this API's other answers).
     */
    static Answer authError(HttpResponseStatus status, String code, String message) {
        return Answer.json(status, new JsonOut(128).beginObject().field("error", code).field("code", "error." + code)
                .field("message", message).field("status", status.code()).endObject().toBytes());
    }

    static String iso(long ms) {
        return AuditChain.isoMillis(ms);
    }

    /** Writes an ISO time or null. */
    static void isoOrNull(JsonOut o, Long ms) {
        if (ms == null) {
            o.nullValue();
        } else {
            o.value(iso(ms));
        }
    }

    /**
     * A history row as {@code GET /topics/{name}/messages} and the stream's {@code message} events carry it:
     * {@code senderPubkey} is the member key, {@code replyToId} always present.
     */
    static void message(JsonOut o, TopicStore.Message m) {
        o.beginObject().field("id", m.id()).field("senderMemberId", m.senderMemberId())
                .field("senderPubkey", m.senderMemberPubkey()).field("senderName", m.senderName())
                .field("nonce", m.nonce()).field("ciphertext", m.ciphertext()).field("bodyVersion", m.bodyVersion())
                .field("replyToId", m.replyToId()).field("createdAt", iso(m.createdAtMs())).endObject();
    }

    /** The first 240 chars of a v1 body (base64 of UTF-8 plaintext), as the {@code me/*} feeds show it. */
    static String snippet(String ciphertext) {
        try {
            String s = new String(Base64.getMimeDecoder().decode(ciphertext), StandardCharsets.UTF_8);
            return s.length() > 240 ? s.substring(0, 240) : s;
        } catch (IllegalArgumentException e) {
            return "";
        }
    }
}
