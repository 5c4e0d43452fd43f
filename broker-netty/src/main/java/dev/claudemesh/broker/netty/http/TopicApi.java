package dev.claudemesh.broker.netty.http;

import dev.claudemesh.broker.core.Clock;
import dev.claudemesh.broker.core.Ids;
import dev.claudemesh.broker.core.apikey.ApiKeyStore;
import dev.claudemesh.broker.core.envelope.JsonOut;
import dev.claudemesh.broker.core.mesh.Broker;
import dev.claudemesh.broker.core.mesh.Priority;
import dev.claudemesh.broker.core.topic.Mentions;
import dev.claudemesh.broker.core.topic.TopicMesh;
import dev.claudemesh.broker.core.topic.TopicStore;
import dev.claudemesh.broker.db.topic.PgTopicReads;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import static dev.claudemesh.broker.netty.http.ApiJson.done;

/**
 * The topic routes of the REST API (PROTOCOL-MESH §8.10) served by the broker itself: {@code POST /messages},
 * {@code GET /topics/{name}/messages}, {@code /key}, {@code /pending-seals}, {@code POST /seal}, and
 * {@code GET /members}. A post goes through the mesh loop ({@link TopicMesh#post}), so it reaches live WebSocket
 * subscribers and event streams at once; reads go to the database from the blocking pool. A restricted topic needs
 * the key's issuing member to be subscribed (403 {@code not_subscribed}). Immutable; thread-safe.
 */
final class TopicApi {

    private final Broker broker;
    private final ApiStores stores;
    private final ApiAuth auth;
    private final Clock clock;

    TopicApi(Broker broker, ApiStores stores, ApiAuth auth, Clock clock) {
        this.broker = Objects.requireNonNull(broker, "broker");
        this.stores = Objects.requireNonNull(stores, "stores");
        this.auth = Objects.requireNonNull(auth, "auth");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** The {@code {name}} path segment, percent-decoded ({@code +} stays a plus, as in a path). */
    static String topicName(HttpExchange x) {
        return QueryStringDecoder.decodeComponent(x.param("name").replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    /** The topic a route acts on, or the refusal to answer with. */
    record Checked(TopicStore.Topic topic, Answer refusal) {
    }

    /**
     * Capability, scope, existence and (for restricted topics) the issuer's subscription, in the original's order.
     * Blocking.
     */
    Checked check(ApiKeyStore.Authed key, String capability, String name) {
        Answer refusal = ApiAuth.lacks(key, capability);
        if (refusal == null) {
            refusal = ApiAuth.outOfScope(key, name);
        }
        if (refusal != null) {
            return new Checked(null, refusal);
        }
        TopicStore.Topic topic = stores.topics().byName(key.meshId(), name);
        if (topic == null) {
            return new Checked(null, ApiJson.topicError(HttpResponseStatus.NOT_FOUND, "topic_not_found", name));
        }
        if (topic.visibility().restricted() && (key.issuerMemberId() == null
                || stores.topics().subscription(topic.id(), key.issuerMemberId()) == null)) {
            return new Checked(null, ApiJson.topicError(HttpResponseStatus.FORBIDDEN, "not_subscribed", name));
        }
        return new Checked(topic, null);
    }

    // ------------------------------------------------------------------------------------------ POST /messages

    /** The validated body of {@code POST /messages}. */
    private record Post(String topic, String ciphertext, String nonce, Priority priority, int bodyVersion,
                        List<String> mentions, String replyToId) {
    }

    void postMessage(HttpExchange x) {
        Object parsed;
        try {
            parsed = post(x.bodyJson()); // read on the loop, answered after the key check (401 comes first)
        } catch (JsonBody.BadJsonException e) {
            parsed = "the body must be one JSON object";
        }
        Object body = parsed;
        auth.call(x, "api messages", key -> {
            if (body instanceof String problem) {
                return done(ApiJson.badRequest(problem));
            }
            Post p = (Post) body;
            Checked c = check(key, "send", p.topic());
            if (c.refusal() != null) {
                return done(c.refusal());
            }
            String sender = key.issuerMemberId() != null ? key.issuerMemberId()
                    : stores.reads().oldestMemberId(key.meshId());
            if (sender == null) {
                return done(ApiJson.error(HttpResponseStatus.INTERNAL_SERVER_ERROR, "no_mesh_member"));
            }
            List<String> tokens = Mentions.tokens(p.mentions(), p.ciphertext(), p.bodyVersion() == 1);
            long now = clock.millis();
            TopicStore.NewMessage m = new TopicStore.NewMessage(Ids.newId(now), key.meshId(), c.topic().id(), sender,
                    null, null, p.priority().wire(), p.nonce(), p.ciphertext(), p.bodyVersion(),
                    p.replyToId(), null, tokens, now);
            CompletableFuture<Answer> answer = new CompletableFuture<>();
            broker.onMesh(key.meshId(), TopicMesh.class, topics -> topics.post(m, (posted, failure) -> {
                if (failure != null) {
                    answer.completeExceptionally(failure);
                } else {
                    answer.complete(posted(p, posted));
                }
            }));
            return answer;
        });
    }

    private static Answer posted(Post p, TopicStore.Posted posted) {
        return switch (posted.status()) {
            case TOPIC_NOT_FOUND -> ApiJson.topicError(HttpResponseStatus.NOT_FOUND, "topic_not_found", p.topic());
            case NOT_SUBSCRIBED -> ApiJson.topicError(HttpResponseStatus.FORBIDDEN, "not_subscribed", p.topic());
            case OK -> {
                TopicStore.Message m = posted.message();
                JsonOut o = new JsonOut(256).beginObject().field("messageId", m.id()).field("historyId", m.id())
                        .field("queueId", m.id()).field("topic", p.topic()).field("topicId", posted.topic().id())
                        .field("notifications", posted.notifications()).field("bodyVersion", m.bodyVersion());
                if (m.replyToId() != null) {
                    o.field("replyToId", m.replyToId());
                }
                yield ApiJson.ok(o.endObject());
            }
        };
    }

    /** Validates the body of {@code POST /messages}: a {@link Post}, or the problem as a String. */
    private static Object post(Map<String, Object> b) {
        if (!(b.get("topic") instanceof String topic) || topic.isEmpty()) {
            return "topic must be a non-empty string";
        }
        if (!(b.get("ciphertext") instanceof String ciphertext) || ciphertext.isEmpty() || !base64(ciphertext)) {
            return "ciphertext must be non-empty standard base64";
        }
        if (!(b.get("nonce") instanceof String nonce) || nonce.isEmpty() || !base64(nonce)) {
            return "nonce must be non-empty standard base64";
        }
        Priority priority = Priority.NEXT;
        if (b.get("priority") != null) {
            priority = b.get("priority") instanceof String s ? Priority.parse(s) : null;
            if (priority == null) {
                return "priority must be now, next or low";
            }
        }
        int bodyVersion = 1;
        if (b.get("bodyVersion") != null) {
            if (!(b.get("bodyVersion") instanceof Long v) || (v != 1 && v != 2)) {
                return "bodyVersion must be 1 or 2";
            }
            bodyVersion = (int) (long) v;
        }
        List<String> mentions = new ArrayList<>();
        if (b.get("mentions") != null) {
            if (!(b.get("mentions") instanceof List<?> list) || list.size() > Mentions.MAX_TOKENS) {
                return "mentions must be an array of at most " + Mentions.MAX_TOKENS + " names";
            }
            for (Object item : list) {
                if (!(item instanceof String s) || s.isEmpty() || s.length() > Mentions.MAX_TOKEN_CHARS) {
                    return "mentions must be names of 1 to " + Mentions.MAX_TOKEN_CHARS + " chars";
                }
                mentions.add(s);
            }
        }
        String replyToId = null;
        if (b.get("replyToId") != null) {
            if (!(b.get("replyToId") instanceof String r) || r.isEmpty() || r.length() > 128) {
                return "replyToId must be a message id";
            }
            replyToId = r;
        }
        return new Post(topic, ciphertext, nonce, priority, bodyVersion, mentions, replyToId);
    }

    private static boolean base64(String s) {
        if (s.length() % 4 != 0) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean pad = c == '=' && i >= s.length() - 2;
            if (!pad && !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+'
                    || c == '/')) {
                return false;
            }
            if (!pad && i > 0 && s.charAt(i - 1) == '=') {
                return false;
            }
        }
        return true;
    }

    // ------------------------------------------------------------------------------------------ reads

    /** {@code GET /topics/{name}/messages?limit=1..200&before=<id>}: newest first. */
    void messages(HttpExchange x) {
        String name = topicName(x);
        String limitText = x.query("limit");
        String before = x.query("before");
        auth.call(x, "api topic messages", key -> {
            int limit = 50;
            if (limitText != null) {
                try {
                    limit = Integer.parseInt(limitText.trim());
                } catch (NumberFormatException e) {
                    limit = -1;
                }
                if (limit < 1 || limit > 200) {
                    return done(ApiJson.badRequest("limit must be an integer from 1 to 200"));
                }
            }
            Checked c = check(key, "read", name);
            if (c.refusal() != null) {
                return done(c.refusal());
            }
            JsonOut o = new JsonOut(1024).beginObject().field("topic", name).field("topicId", c.topic().id())
                    .name("messages").beginArray();
            for (TopicStore.Message m : stores.topics().history(c.topic().id(), limit, before)) {
                ApiJson.message(o, m);
            }
            return done(ApiJson.ok(o.endArray().endObject()));
        });
    }

    /** {@code GET /topics/{name}/key}: the issuer's sealed copy of the topic key. */
    void key(HttpExchange x) {
        String name = topicName(x);
        auth.call(x, "api topic key", key -> {
            Answer refusal = ApiAuth.lacks(key, "read");
            refusal = refusal != null ? refusal : ApiAuth.outOfScope(key, name);
            if (refusal == null && key.issuerMemberId() == null) {
                refusal = ApiJson.error(HttpResponseStatus.BAD_REQUEST, "api_key_has_no_issuer");
            }
            if (refusal != null) {
                return done(refusal);
            }
            Checked c = check(key, "read", name);
            if (c.refusal() != null) {
                return done(c.refusal());
            }
            TopicStore.Topic t = c.topic();
            if (t.encryptedKeyPubkey() == null) {
                return done(ApiJson.topicError(HttpResponseStatus.CONFLICT, "topic_unencrypted", name,
                        "legacy v0.2.0 topic — messages are base64 plaintext"));
            }
            PgTopicReads.SealedKeyRow sealed = stores.reads().sealedKey(t.id(), key.issuerMemberId());
            if (sealed == null) {
                return done(ApiJson.topicError(HttpResponseStatus.NOT_FOUND, "key_not_sealed_for_member", name,
                        "join the topic, then ask an existing member to re-seal"));
            }
            return done(ApiJson.ok(new JsonOut(256).beginObject().field("topic", name).field("topicId", t.id())
                    .field("encryptedKey", sealed.encryptedKey()).field("nonce", sealed.nonce())
                    .field("senderPubkey", t.encryptedKeyPubkey())
                    .field("createdAt", ApiJson.iso(sealed.createdAtMs())).endObject()));
        });
    }

    /** {@code GET /topics/{name}/pending-seals}: subscribers still without a sealed copy. */
    void pendingSeals(HttpExchange x) {
        String name = topicName(x);
        auth.call(x, "api pending seals", key -> {
            Checked c = check(key, "read", name);
            if (c.refusal() != null) {
                return done(c.refusal());
            }
            TopicStore.Topic t = c.topic();
            if (t.encryptedKeyPubkey() == null) {
                return done(ApiJson.ok(new JsonOut(64).beginObject().name("pending").beginArray().endArray()
                        .name("senderPubkey").nullValue().endObject()));
            }
            JsonOut o = new JsonOut(512).beginObject().field("topic", name).field("topicId", t.id())
                    .field("senderPubkey", t.encryptedKeyPubkey()).name("pending").beginArray();
            for (PgTopicReads.Pending p : stores.reads().pendingSeals(t.id())) {
                o.beginObject().field("memberId", p.memberId()).field("pubkey", p.pubkey())
                        .field("displayName", p.displayName()).endObject();
            }
            return done(ApiJson.ok(o.endArray().endObject()));
        });
    }

    /** {@code POST /topics/{name}/seal} {@code {memberId, encryptedKey, nonce}}: stores a re-sealed copy. */
    void seal(HttpExchange x) {
        String name = topicName(x);
        String problem = null;
        Map<String, Object> body = Map.of();
        try {
            body = x.bodyJson();
        } catch (JsonBody.BadJsonException e) {
            problem = "the body must be one JSON object";
        }
        Object memberId = body.get("memberId");
        Object encryptedKey = body.get("encryptedKey");
        Object nonce = body.get("nonce");
        if (problem == null && !(nonEmpty(memberId, 64) && nonEmpty(encryptedKey, 4096) && nonEmpty(nonce, 64))) {
            problem = "memberId, encryptedKey and nonce must be non-empty strings";
        }
        String bad = problem;
        auth.call(x, "api seal", key -> {
            if (bad != null) {
                return done(ApiJson.badRequest(bad));
            }
            Checked c = check(key, "send", name);
            if (c.refusal() != null) {
                return done(c.refusal());
            }
            TopicStore.Topic t = c.topic();
            if (t.encryptedKeyPubkey() == null) {
                return done(ApiJson.topicError(HttpResponseStatus.CONFLICT, "topic_unencrypted", name,
                        "legacy v0.2.0 topic — no key to seal"));
            }
            long now = clock.millis();
            if (!stores.reads().seal(key.meshId(), t.id(), (String) memberId, (String) encryptedKey, (String) nonce,
                    now)) {
                return done(ApiJson.error(HttpResponseStatus.NOT_FOUND, "recipient_not_in_topic"));
            }
            return done(ApiJson.ok(new JsonOut(160).beginObject().field("topic", name).field("topicId", t.id())
                    .field("memberId", (String) memberId).field("sealedAt", ApiJson.iso(now)).endObject()));
        });
    }

    private static boolean nonEmpty(Object v, int maxChars) {
        return v instanceof String s && !s.isEmpty() && s.length() <= maxChars;
    }

    /**
     * {@code GET /members}: the mesh's non-revoked members, oldest first, with the status and summary of their newest
     * lease (from the mesh loop). This broker has no user accounts, so {@code isHuman} is always false.
     */
    void members(HttpExchange x) {
        auth.call(x, "api members", key -> {
            Answer refusal = ApiAuth.lacks(key, "read");
            if (refusal != null) {
                return done(refusal);
            }
            List<PgTopicReads.MeshMember> members = stores.reads().members(key.meshId());
            CompletableFuture<Answer> answer = new CompletableFuture<>();
            broker.onMesh(key.meshId(), TopicMesh.class, topics -> {
                Map<String, TopicMesh.Presence> live = topics == null ? Map.of() : topics.presenceByMember();
                JsonOut o = new JsonOut(256 + members.size() * 256).beginObject().name("members").beginArray();
                for (PgTopicReads.MeshMember m : members) {
                    TopicMesh.Presence p = live.get(m.memberId());
                    o.beginObject().field("memberId", m.memberId()).field("pubkey", m.pubkey())
                            .field("displayName", m.displayName()).field("role", m.role()).field("isHuman", false)
                            .field("joinedAt", ApiJson.iso(m.joinedAtMs())).field("online", p != null)
                            .field("status", p == null ? "offline" : p.status())
                            .field("summary", p == null ? null : p.summary()).endObject();
                }
                answer.complete(ApiJson.ok(o.endArray().endObject()));
            });
            return answer;
        });
    }
}
