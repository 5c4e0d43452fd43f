package dev.claudemesh.broker.netty.http;

import dev.claudemesh.broker.core.envelope.JsonOut;
import dev.claudemesh.broker.db.store.InvitePayload;
import dev.claudemesh.broker.db.store.InviteRepository;
import dev.claudemesh.broker.db.store.JoinOutcome;
import dev.claudemesh.broker.netty.ServerContext;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.RejectedExecutionException;

/**
 * {@code POST /join} (PROTOCOL §9): a claudemesh CLI enrols a fresh key with a signed invite. Public (no admin
 * token). In order: body over {@code MAX_MESSAGE_BYTES} → 413 (answered by the pipeline's aggregator, before this
 * runs); the per-address token bucket → 429; bad JSON → 400 {@code bad json}; missing fields → 400; a malformed
 * {@code peer_pubkey} → 400; then {@link InviteRepository#join} on the blocking executor, whose refusals are 400
 * {@code {"ok":false,"error":"<code>"}}; success 200 {@code {"ok":true,"memberId"}} (plus
 * {@code "alreadyMember":true} when the key already was a member). {@code invite_payload} is accepted as the JSON
 * object the CLI sends or as a string holding that object.
 *
 * <p>Threads: {@link #handle} runs on the channel's event loop and only parses; the database work runs on
 * {@link ServerContext#blocking()}, which also writes the answer. Never logs the token or payload (they carry the
 * mesh root key). Thread-safe; one instance serves every channel.</p>
 */
final class JoinApi {

    private static final Logger log = LoggerFactory.getLogger(JoinApi.class);

    static final byte[] RATE_LIMITED = bytes("{\"ok\":false,\"error\":\"rate limited\"}");
    static final byte[] BAD_JSON = bytes("{\"ok\":false,\"error\":\"bad json\"}");
    static final byte[] REQUIRED =
            bytes("{\"ok\":false,\"error\":\"invite_token, invite_payload, peer_pubkey, display_name required\"}");
    static final byte[] BAD_PUBKEY = bytes("{\"ok\":false,\"error\":\"peer_pubkey must be 64 hex chars (32 bytes)\"}");
    static final byte[] UNAVAILABLE = bytes("{\"ok\":false,\"error\":\"database unavailable\"}");
    static final byte[] SHUTTING_DOWN = bytes("{\"ok\":false,\"error\":\"shutting down\"}");
    static final byte[] INTERNAL_ERROR = bytes("{\"ok\":false,\"error\":\"internal error\"}");

    private final ServerContext server;
    /** Null when no database is configured (unit tests): every join is then 503. */
    private final InviteRepository invites;
    private final EnrolmentAudit audit;
    private final JoinRateLimiter limiter;

    JoinApi(ServerContext server, InviteRepository invites, EnrolmentAudit audit) {
        this.server = Objects.requireNonNull(server, "server");
        this.invites = invites;
        this.audit = audit;
        this.limiter = new JoinRateLimiter(server.config().joinRateLimitPerMin(), server.clock());
    }

    void handle(ChannelHandlerContext ctx, FullHttpRequest req, JsonReply reply) {
        if (!limiter.tryAcquire(ctx.channel().remoteAddress())) {
            reply.send(HttpResponseStatus.TOO_MANY_REQUESTS, RATE_LIMITED);
            return;
        }
        Map<String, Object> body;
        try {
            body = JsonBody.parseObject(req.content());
        } catch (JsonBody.BadJsonException e) {
            reply.send(HttpResponseStatus.BAD_REQUEST, BAD_JSON);
            return;
        }
        Object rawPayload = body.get("invite_payload");
        if (!(body.get("invite_token") instanceof String token) || token.isEmpty()
                || rawPayload == null || (rawPayload instanceof String s && s.isEmpty())
                || !(body.get("peer_pubkey") instanceof String rawPubkey) || rawPubkey.isEmpty()
                || !(body.get("display_name") instanceof String displayName) || displayName.isEmpty()) {
            reply.send(HttpResponseStatus.BAD_REQUEST, REQUIRED);
            return;
        }
        String pubkey = AdminFormats.canonicalPubkey(rawPubkey);
        if (pubkey == null) {
            reply.send(HttpResponseStatus.BAD_REQUEST, BAD_PUBKEY);
            return;
        }
        InvitePayload payload = payloadOf(rawPayload);
        if (invites == null) {
            reply.send(HttpResponseStatus.SERVICE_UNAVAILABLE, UNAVAILABLE);
            return;
        }
        try {
            server.blocking().execute(() -> reply(reply, token, payload, pubkey, displayName));
        } catch (RejectedExecutionException e) {
            reply.send(HttpResponseStatus.SERVICE_UNAVAILABLE, SHUTTING_DOWN);
        }
    }

    /** Blocking: the join itself, then the audit event into the chain, then the answer. */
    private void reply(JsonReply reply, String token, InvitePayload payload, String pubkey, String displayName) {
        JoinOutcome outcome;
        try {
            outcome = invites.join(token, payload, pubkey, displayName, server.clock().millis());
        } catch (RuntimeException e) {
            if (isDatabaseFailure(e)) {
                log.warn("join: database unavailable: {}", e.getClass().getSimpleName());
                reply.send(HttpResponseStatus.SERVICE_UNAVAILABLE, UNAVAILABLE);
            } else {
                log.error("join failed", e);
                reply.send(HttpResponseStatus.INTERNAL_SERVER_ERROR, INTERNAL_ERROR);
            }
            return;
        }
        String key = pubkey.substring(0, 12);
        if (outcome instanceof JoinOutcome.Joined j) {
            server.broker().memberAdded(payload.meshId(), pubkey);
            audit.drain();
            log.info("join: member {} ({}…) enrolled in mesh {} with invite {}", j.memberId(), key, payload.meshId(),
                    j.inviteId());
            reply.send(HttpResponseStatus.OK, new JsonOut(96).beginObject().field("ok", true)
                    .field("memberId", j.memberId()).endObject().toBytes());
        } else if (outcome instanceof JoinOutcome.AlreadyMember a) {
            log.info("join: {}… already member {} of mesh {}", key, a.memberId(), payload.meshId());
            reply.send(HttpResponseStatus.OK, new JsonOut(112).beginObject().field("ok", true)
                    .field("memberId", a.memberId()).field("alreadyMember", true).endObject().toBytes());
        } else if (outcome instanceof JoinOutcome.Refused r) {
            log.info("join: {}… refused: {}", key, r.reason().code());
            reply.send(HttpResponseStatus.BAD_REQUEST, new JsonOut(64).beginObject().field("ok", false)
                    .field("error", r.reason().code()).endObject().toBytes());
        }
    }

    /**
     * The payload as the CLI sends it (an object) or as a string holding that object; null when it is neither or
     * lacks a field, which the repository answers {@code invite_bad_signature}.
     */
    static InvitePayload payloadOf(Object raw) {
        if (raw instanceof Map<?, ?> m) {
            @SuppressWarnings("unchecked")
            Map<String, Object> map = (Map<String, Object>) m;
            return InvitePayload.fromMap(map);
        }
        if (raw instanceof String s) {
            ByteBuf json = Unpooled.wrappedBuffer(bytes(s));
            try {
                return InvitePayload.fromMap(JsonBody.parseObject(json));
            } catch (JsonBody.BadJsonException e) {
                return null;
            } finally {
                json.release();
            }
        }
        return null;
    }

    static boolean isDatabaseFailure(Throwable e) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof SQLException) {
                return true;
            }
        }
        return false;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
