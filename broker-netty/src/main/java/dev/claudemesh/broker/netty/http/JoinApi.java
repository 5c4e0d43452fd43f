package dev.claudemesh.broker.netty.http;

import dev.claudemesh.broker.core.envelope.JsonOut;
import dev.claudemesh.broker.db.store.InvitePayload;
import dev.claudemesh.broker.db.store.InviteRepository;
import dev.claudemesh.broker.db.store.JoinOutcome;
import dev.claudemesh.broker.netty.ServerContext;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpResponseStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Objects;

/**
 * {@code POST /join} (PROTOCOL §9): a claudemesh CLI enrols a fresh key with a signed invite. Public (no admin
 * token). In order: body over {@code MAX_MESSAGE_BYTES} → 413 (answered by the pipeline's aggregator, before this
 * runs); the per-address token bucket → 429; bad JSON → 400 {@code bad json}; missing fields → 400; a malformed
 * {@code peer_pubkey} → 400; then {@link InviteRepository#join} on the blocking pool, whose refusals are 400
 * {@code {"ok":false,"error":"<code>"}}; success 200 {@code {"ok":true,"memberId"}} (plus
 * {@code "alreadyMember":true} when the key already was a member). {@code invite_payload} is accepted as the JSON
 * object the CLI sends or as a string holding that object. Failures answer {@code {"ok":false,"error":…}}.
 *
 * <p>Threads: {@link #join} runs on the channel's event loop and only parses; the database work runs on
 * {@link BlockingCalls}. Never logs the token or payload (they carry the mesh root key). Thread-safe; one instance
 * serves every channel.</p>
 */
final class JoinApi {

    private static final Logger log = LoggerFactory.getLogger(JoinApi.class);

    private final ServerContext server;
    private final InviteRepository invites;
    private final EnrolmentAudit audit;
    private final JoinRateLimiter limiter;
    private final BlockingCalls calls;

    JoinApi(ServerContext server, InviteRepository invites, EnrolmentAudit audit, BlockingCalls calls) {
        this.server = Objects.requireNonNull(server, "server");
        this.invites = Objects.requireNonNull(invites, "invites");
        this.audit = Objects.requireNonNull(audit, "audit");
        this.calls = Objects.requireNonNull(calls, "calls");
        this.limiter = new JoinRateLimiter(server.config().joinRateLimitPerMin(), server.clock());
    }

    void join(HttpExchange x) {
        if (!limiter.tryAcquire(x.remoteAddress())) {
            refuse(x, HttpResponseStatus.TOO_MANY_REQUESTS, "rate limited");
            return;
        }
        Map<String, Object> body;
        try {
            body = x.bodyJson();
        } catch (JsonBody.BadJsonException e) {
            refuse(x, HttpResponseStatus.BAD_REQUEST, "bad json");
            return;
        }
        Object rawPayload = body.get("invite_payload");
        if (!(body.get("invite_token") instanceof String token) || token.isEmpty()
                || rawPayload == null || (rawPayload instanceof String s && s.isEmpty())
                || !(body.get("peer_pubkey") instanceof String rawPubkey) || rawPubkey.isEmpty()
                || !(body.get("display_name") instanceof String displayName) || displayName.isEmpty()) {
            refuse(x, HttpResponseStatus.BAD_REQUEST, "invite_token, invite_payload, peer_pubkey, display_name required");
            return;
        }
        String pubkey = AdminFormats.canonicalPubkey(rawPubkey);
        if (pubkey == null) {
            refuse(x, HttpResponseStatus.BAD_REQUEST, "peer_pubkey must be 64 hex chars (32 bytes)");
            return;
        }
        InvitePayload payload = payloadOf(rawPayload);
        calls.run(x, ErrorBody.OK_FALSE, "join", () -> enrol(token, payload, pubkey, displayName));
    }

    /** Blocking: the join itself, then the audit event into the chain, then the answer. */
    private Answer enrol(String token, InvitePayload payload, String pubkey, String displayName) {
        JoinOutcome outcome = invites.join(token, payload, pubkey, displayName, server.clock().millis());
        String key = pubkey.substring(0, 12);
        if (outcome instanceof JoinOutcome.Joined j) {
            server.broker().memberAdded(payload.meshId(), pubkey);
            audit.drain();
            log.info("join: member {} ({}…) enrolled in mesh {} with invite {}", j.memberId(), key, payload.meshId(),
                    j.inviteId());
            return Answer.json(HttpResponseStatus.OK, new JsonOut(96).beginObject().field("ok", true)
                    .field("memberId", j.memberId()).endObject().toBytes());
        }
        if (outcome instanceof JoinOutcome.AlreadyMember a) {
            log.info("join: {}… already member {} of mesh {}", key, a.memberId(), payload.meshId());
            return Answer.json(HttpResponseStatus.OK, new JsonOut(112).beginObject().field("ok", true)
                    .field("memberId", a.memberId()).field("alreadyMember", true).endObject().toBytes());
        }
        JoinOutcome.Refused r = (JoinOutcome.Refused) outcome;
        log.info("join: {}… refused: {}", key, r.reason().code());
        return ErrorBody.OK_FALSE.answer(HttpResponseStatus.BAD_REQUEST, r.reason().code());
    }

    private static void refuse(HttpExchange x, HttpResponseStatus status, String error) {
        x.send(ErrorBody.OK_FALSE.answer(status, error));
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
            ByteBuf json = Unpooled.wrappedBuffer(s.getBytes(StandardCharsets.UTF_8));
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
}
