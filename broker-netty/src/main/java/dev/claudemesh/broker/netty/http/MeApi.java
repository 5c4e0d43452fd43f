package dev.claudemesh.broker.netty.http;

import dev.claudemesh.broker.core.Clock;
import dev.claudemesh.broker.core.apikey.ApiKeyStore;
import dev.claudemesh.broker.core.envelope.JsonOut;
import dev.claudemesh.broker.core.mesh.Broker;
import dev.claudemesh.broker.core.topic.TopicMesh;
import dev.claudemesh.broker.db.topic.PgMeReads;
import dev.claudemesh.broker.db.topic.PgTopicReads;
import io.netty.handler.codec.http.HttpResponseStatus;

import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.BiFunction;

import static dev.claudemesh.broker.netty.http.ApiJson.done;

/**
 * {@code GET /notifications} and the {@code GET /me/*} routes of the REST API (PROTOCOL-MESH §8.10). This broker has
 * no user accounts: members join by invite (or the admin API), so "me" is the API key's issuing member in the key's
 * mesh, and {@code userId} is that member's id. {@code me/workspace}, {@code me/topics}, {@code me/notifications},
 * {@code me/activity} and {@code me/search} answer for that one mesh; {@code me/tasks}, {@code me/state} and
 * {@code me/memory} answer 400 {@code issuer_member_has_no_user}, as the original does for invite-enrolled members.
 * Immutable; thread-safe.
 */
final class MeApi {

    private static final long DAY_MS = 86_400_000L;

    private final Broker broker;
    private final ApiStores stores;
    private final ApiAuth auth;
    private final Clock clock;

    MeApi(Broker broker, ApiStores stores, ApiAuth auth, Clock clock) {
        this.broker = Objects.requireNonNull(broker, "broker");
        this.stores = Objects.requireNonNull(stores, "stores");
        this.auth = Objects.requireNonNull(auth, "auth");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** An ISO-8601 time (with offset, or UTC without one, or a date), epoch ms; null when unparsable. */
    static Long parseTime(String s) {
        try {
            return OffsetDateTime.parse(s).toInstant().toEpochMilli();
        } catch (DateTimeParseException e) {
            // try the other forms
        }
        try {
            return LocalDateTime.parse(s).toInstant(ZoneOffset.UTC).toEpochMilli();
        } catch (DateTimeParseException e) {
            // try a date
        }
        try {
            return LocalDate.parse(s).atStartOfDay().toInstant(ZoneOffset.UTC).toEpochMilli();
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    /** {@code GET /notifications?since=ISO&unread=1}: the issuer's mentions in the key's mesh, newest first. */
    void notifications(HttpExchange x) {
        String sinceText = x.query("since");
        boolean unread = "1".equals(x.query("unread"));
        auth.call(x, "api notifications", key -> {
            Answer refusal = ApiAuth.lacks(key, "read");
            if (refusal != null) {
                return done(refusal);
            }
            String name = key.issuerMemberId() == null ? null
                    : stores.reads().displayName(key.meshId(), key.issuerMemberId());
            if (name == null) {
                return done(ApiJson.ok(new JsonOut(32).beginObject().name("notifications").beginArray().endArray()
                        .endObject()));
            }
            Long since = sinceText == null ? Long.valueOf(clock.millis() - DAY_MS) : parseTime(sinceText);
            if (since == null) {
                return done(ApiJson.error(HttpResponseStatus.BAD_REQUEST, "invalid_since"));
            }
            JsonOut o = new JsonOut(512).beginObject().name("notifications").beginArray();
            for (PgTopicReads.Mention m : stores.reads().mentions(key.meshId(), key.issuerMemberId(), since, unread)) {
                o.beginObject().field("id", m.messageId()).field("notificationId", m.notificationId())
                        .field("topicId", m.topicId()).field("topicName", m.topicName())
                        .field("senderName", m.senderName()).field("senderPubkey", m.senderPubkey())
                        .field("ciphertext", m.ciphertext()).field("kind", m.kind()).name("readAt");
                ApiJson.isoOrNull(o, m.readAtMs());
                o.field("createdAt", ApiJson.iso(m.createdAtMs())).endObject();
            }
            return done(ApiJson.ok(o.endArray().field("since", ApiJson.iso(since)).field("mentionedAs", name)
                    .endObject()));
        });
    }

    /**
     * Runs a {@code me/*} view for the key's issuer: 403 without {@code read}, 400 {@code api_key_has_no_issuer}
     * without an issuer, 400 {@code issuer_member_has_no_user} when the issuer is not a member any more.
     */
    private void me(HttpExchange x, String what,
                    BiFunction<ApiKeyStore.Authed, PgMeReads.Workspace, CompletionStage<Answer>> view) {
        auth.call(x, what, key -> {
            Answer refusal = ApiAuth.lacks(key, "read");
            if (refusal == null && key.issuerMemberId() == null) {
                refusal = ApiJson.error(HttpResponseStatus.BAD_REQUEST, "api_key_has_no_issuer");
            }
            if (refusal != null) {
                return done(refusal);
            }
            PgMeReads.Workspace w = stores.me().workspace(key.meshId(), key.issuerMemberId());
            if (w == null) {
                return done(ApiJson.error(HttpResponseStatus.BAD_REQUEST, "issuer_member_has_no_user"));
            }
            return view.apply(key, w);
        });
    }

    /** {@code me/workspace}: the key's mesh as the only mesh, with counts. */
    void workspace(HttpExchange x) {
        me(x, "api me/workspace", (key, w) -> {
            CompletableFuture<Answer> answer = new CompletableFuture<>();
            broker.onMesh(key.meshId(), TopicMesh.class, topics -> {
                int online = topics == null ? 0 : topics.presenceByMember().size();
                JsonOut o = new JsonOut(512).beginObject().field("userId", w.memberId()).name("meshes").beginArray()
                        .beginObject().field("meshId", w.meshId()).field("slug", w.slug()).field("name", w.name())
                        .field("memberId", w.memberId()).field("myRole", w.myRole())
                        .field("joinedAt", ApiJson.iso(w.joinedAtMs())).field("peers", w.peers())
                        .field("online", online).field("topics", w.topics())
                        .field("unreadMentions", w.unreadMentions()).endObject().endArray()
                        .name("totals").beginObject().field("meshes", 1).field("peers", w.peers())
                        .field("online", online).field("topics", w.topics())
                        .field("unreadMentions", w.unreadMentions()).endObject().endObject();
                answer.complete(ApiJson.ok(o));
            });
            return answer;
        });
    }

    /** {@code me/topics}: topics with unread counts, the most recently active first, never-posted ones last. */
    void topics(HttpExchange x) {
        me(x, "api me/topics", (key, w) -> {
            List<PgMeReads.MeTopic> topics = new ArrayList<>(stores.me().topics(w.meshId(), w.memberId()));
            topics.sort(Comparator.comparing((PgMeReads.MeTopic t) -> t.lastMessageAtMs() == null)
                    .thenComparing(t -> t.lastMessageAtMs() == null ? 0 : -t.lastMessageAtMs())
                    .thenComparing(PgMeReads.MeTopic::name));
            int unread = 0;
            JsonOut o = new JsonOut(1024).beginObject().name("topics").beginArray();
            for (PgMeReads.MeTopic t : topics) {
                unread += t.unread();
                o.beginObject().field("topicId", t.topicId()).field("name", t.name())
                        .field("description", t.description()).field("visibility", t.visibility())
                        .field("createdAt", ApiJson.iso(t.createdAtMs())).field("meshId", w.meshId())
                        .field("meshSlug", w.slug()).field("meshName", w.name()).field("memberId", w.memberId())
                        .field("unread", t.unread()).name("lastMessageAt");
                ApiJson.isoOrNull(o, t.lastMessageAtMs());
                o.endObject();
            }
            o.endArray().name("totals").beginObject().field("topics", topics.size()).field("unread", unread)
                    .endObject();
            return done(ApiJson.ok(o.endObject()));
        });
    }

    /** {@code me/notifications?since=ISO&include=all}: mentions of the last 7 days (unread only by default). */
    void meNotifications(HttpExchange x) {
        String sinceText = x.query("since");
        boolean all = "all".equals(x.query("include"));
        me(x, "api me/notifications", (key, w) -> {
            Long since = sinceText == null ? Long.valueOf(clock.millis() - 7 * DAY_MS) : parseTime(sinceText);
            if (since == null) {
                return done(ApiJson.error(HttpResponseStatus.BAD_REQUEST, "invalid_since"));
            }
            int unread = 0;
            List<PgMeReads.FeedRow> rows = stores.me().notifications(w.meshId(), w.memberId(), since, all);
            JsonOut o = new JsonOut(1024).beginObject().name("notifications").beginArray();
            for (PgMeReads.FeedRow r : rows) {
                unread += r.readAtMs() == null ? 1 : 0;
                o.beginObject().field("notificationId", r.notificationId()).field("messageId", r.messageId())
                        .field("topicId", r.topicId()).field("topicName", r.topicName());
                mesh(o, w).field("senderName", r.senderName());
                body(o, r);
                o.field("read", r.readAtMs() != null).name("readAt");
                ApiJson.isoOrNull(o, r.readAtMs());
                o.field("createdAt", ApiJson.iso(r.createdAtMs())).endObject();
            }
            o.endArray().name("totals").beginObject().field("unread", unread).field("total", rows.size()).endObject();
            return done(ApiJson.ok(o.endObject()));
        });
    }

    /** {@code me/activity?since=ISO}: others' messages of the last 24 hours in topics the member may read. */
    void activity(HttpExchange x) {
        String sinceText = x.query("since");
        me(x, "api me/activity", (key, w) -> {
            Long since = sinceText == null ? Long.valueOf(clock.millis() - DAY_MS) : parseTime(sinceText);
            if (since == null) {
                return done(ApiJson.error(HttpResponseStatus.BAD_REQUEST, "invalid_since"));
            }
            List<PgMeReads.FeedRow> rows = stores.me().activity(w.meshId(), w.memberId(), since);
            JsonOut o = new JsonOut(1024).beginObject().name("activity").beginArray();
            for (PgMeReads.FeedRow r : rows) {
                o.beginObject().field("messageId", r.messageId()).field("topicId", r.topicId())
                        .field("topicName", r.topicName());
                mesh(o, w).field("senderName", r.senderName()).field("senderMemberId", r.senderMemberId());
                body(o, r);
                o.field("createdAt", ApiJson.iso(r.createdAtMs())).endObject();
            }
            o.endArray().name("totals").beginObject().field("events", rows.size()).endObject();
            return done(ApiJson.ok(o.endObject()));
        });
    }

    /** {@code me/search?q=…&limit=1..200}: topic names, and v1 messages of the last 30 days, containing {@code q}. */
    void search(HttpExchange x) {
        String q = x.query("q") == null ? "" : x.query("q").trim();
        int limit = 50;
        try {
            limit = Math.max(1, Math.min(200, Integer.parseInt(x.query("limit") == null ? "50" : x.query("limit"))));
        } catch (NumberFormatException e) {
            // the original's parseInt(...) || 50
        }
        int max = limit;
        me(x, "api me/search", (key, w) -> {
            JsonOut o = new JsonOut(1024).beginObject().field("query", q).name("topics").beginArray();
            int topics = 0;
            int messages = 0;
            if (q.length() >= 2) {
                for (PgMeReads.MeTopic t : stores.me().searchTopics(w.meshId(), q, max)) {
                    topics++;
                    o.beginObject().field("id", t.topicId()).field("name", t.name())
                            .field("description", t.description()).field("meshId", w.meshId())
                            .field("meshSlug", w.slug()).field("meshName", w.name()).endObject();
                }
            }
            o.endArray().name("messages").beginArray();
            if (q.length() >= 2) {
                String needle = q.toLowerCase(Locale.ROOT);
                long window = clock.millis() - 30 * DAY_MS;
                for (PgMeReads.FeedRow r : stores.me().recentMessages(w.meshId(), w.memberId(), window)) {
                    String snippet = r.bodyVersion() == 1 ? ApiJson.snippet(r.ciphertext()) : null;
                    if (!((snippet != null && snippet.toLowerCase(Locale.ROOT).contains(needle))
                            || r.senderName().toLowerCase(Locale.ROOT).contains(needle)
                            || r.topicName().toLowerCase(Locale.ROOT).contains(needle))) {
                        continue;
                    }
                    o.beginObject().field("messageId", r.messageId()).field("topicId", r.topicId())
                            .field("topicName", r.topicName()).field("meshId", w.meshId()).field("meshSlug", w.slug())
                            .field("senderName", r.senderName()).field("snippet", snippet)
                            .field("bodyVersion", r.bodyVersion()).field("createdAt", ApiJson.iso(r.createdAtMs()))
                            .endObject();
                    if (++messages >= max) {
                        break;
                    }
                }
            }
            o.endArray().name("totals").beginObject().field("topics", topics).field("messages", messages).endObject();
            return done(ApiJson.ok(o.endObject()));
        });
    }

    /**
     * {@code me/tasks}, {@code me/state}, {@code me/memory}: the original answers these only for members linked to a
     * user account, which this broker does not have; every member here gets the original's answer for an
     * invite-enrolled member.
     */
    void noUser(HttpExchange x) {
        me(x, "api me", (key, w) -> done(ApiJson.error(HttpResponseStatus.BAD_REQUEST, "issuer_member_has_no_user")));
    }

    private static JsonOut mesh(JsonOut o, PgMeReads.Workspace w) {
        return o.field("meshId", w.meshId()).field("meshSlug", w.slug()).field("meshName", w.name());
    }

    /** {@code snippet} for v1 bodies, {@code ciphertext} for v2 ones, and {@code bodyVersion}. */
    private static void body(JsonOut o, PgMeReads.FeedRow r) {
        o.field("snippet", r.bodyVersion() == 1 ? ApiJson.snippet(r.ciphertext()) : null)
                .field("ciphertext", r.bodyVersion() == 2 ? r.ciphertext() : null)
                .field("bodyVersion", r.bodyVersion());
    }
}
