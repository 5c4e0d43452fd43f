package dev.claudemesh.broker.core.apikey;

import dev.claudemesh.broker.core.Ids;
import dev.claudemesh.broker.core.audit.AuditChain;
import dev.claudemesh.broker.core.audit.AuditEvent;
import dev.claudemesh.broker.core.envelope.Frames;
import dev.claudemesh.broker.core.envelope.Inbound;
import dev.claudemesh.broker.core.envelope.JsonNode;
import dev.claudemesh.broker.core.envelope.JsonOut;
import dev.claudemesh.broker.core.mesh.PeerSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

/**
 * The handlers of {@code apikey_create}, {@code apikey_list} and {@code apikey_revoke} (PROTOCOL-MESH §8.9 with its
 * [fix]): validation on the loop, one store call, the answer once it is committed. The secret exists in memory only
 * between its generation and the reply frame; it is never logged or stored. Stateless; mesh loop.
 */
final class ApiKeyRequests {

    private static final Logger log = LoggerFactory.getLogger(ApiKeyRequests.class);
    /** Longest label accepted, in chars. */
    static final int MAX_LABEL_CHARS = 256;
    /** Most capabilities and most topic scopes on a key. */
    static final int MAX_LIST = 64;

    private ApiKeyRequests() {
    }

    static void create(ApiKeyService.Keys k, PeerSession from, Inbound in) {
        JsonNode.ObjectNode b = in.body();
        String label = b.string("label");
        List<String> capabilities = strings(b.get("capabilities"));
        if (label == null || label.isEmpty() || capabilities == null || capabilities.isEmpty()) {
            refuse(k, from, in, "invalid_args", "label and at least one capability required");
            return;
        }
        if (label.length() > MAX_LABEL_CHARS || capabilities.size() > MAX_LIST) {
            refuse(k, from, in, "bad_request", "label is at most " + MAX_LABEL_CHARS + " chars and capabilities at "
                    + "most " + MAX_LIST + " values");
            return;
        }
        JsonNode scopesNode = b.get("topicScopes");
        List<String> scopes = null;
        if (scopesNode != null && !(scopesNode instanceof JsonNode.NullNode)) {
            scopes = strings(scopesNode);
            if (scopes == null || scopes.size() > MAX_LIST) {
                refuse(k, from, in, "bad_request", "topicScopes must be an array of at most " + MAX_LIST
                        + " topic names");
                return;
            }
        }
        long now = k.mesh().nowMs();
        long latest = now + k.limits().maxTtlMs();
        long expiresAt = latest;
        JsonNode expiresNode = b.get("expiresAt");
        if (expiresNode != null && !(expiresNode instanceof JsonNode.NullNode)) {
            Long asked = isoMillis(b.string("expiresAt"));
            if (asked == null) {
                refuse(k, from, in, "bad_request", "expiresAt must be an ISO-8601 time");
                return;
            }
            expiresAt = Math.min(asked, latest); // keys always expire, at the latest after API_KEY_MAX_TTL_HOURS
        }
        ApiKeySecrets.Secret secret = ApiKeySecrets.generate();
        String memberId = from.lease().member().id();
        ApiKeyStore.NewKey key = new ApiKeyStore.NewKey(Ids.newId(), k.mesh().meshId(), label, secret.hash(),
                secret.prefix(), capabilities, scopes, memberId, expiresAt, now);
        k.mesh().onLoop(k.mesh().storage(() -> k.store().create(key, k.limits().maxActivePerMember(),
                k.limits().retentionMs())), (status, failure) -> {
            if (failure != null) {
                unavailable(k, from, in, failure);
                return;
            }
            switch (status) {
                case FORBIDDEN -> refuse(k, from, in, "forbidden",
                        "only owner or admin can mint admin or state_write keys");
                case LIMIT_EXCEEDED -> refuse(k, from, in, "limit_exceeded", "you hold "
                        + k.limits().maxActivePerMember() + " live API keys already (API_KEYS_MAX_PER_MEMBER)");
                case CREATED -> {
                    k.mesh().audit(memberId, new AuditEvent.ApiKeyCreated(capabilities, key.id()));
                    JsonOut o = Frames.beginReply("apikey_created").field("id", key.id())
                            .field("secret", secret.secret()).field("label", label).field("prefix", secret.prefix())
                            .name("capabilities");
                    array(o, capabilities);
                    o.name("topicScopes");
                    array(o, key.topicScopes());
                    o.field("createdAt", AuditChain.isoMillis(now));
                    from.reply(Frames.endReply(o, in));
                }
            }
        });
    }

    static void list(ApiKeyService.Keys k, PeerSession from, Inbound in) {
        String memberId = from.lease().member().id();
        k.mesh().onLoop(k.mesh().storage(() -> k.store().list(k.mesh().meshId(), memberId)), (keys, failure) -> {
            if (failure != null) {
                unavailable(k, from, in, failure);
                return;
            }
            JsonOut o = Frames.beginReply("apikey_list_response").name("keys").beginArray();
            for (ApiKeyStore.Key key : keys) {
                o.beginObject().field("id", key.id()).field("label", key.label()).field("prefix", key.prefix())
                        .name("capabilities");
                array(o, key.capabilities());
                o.name("topicScopes");
                array(o, key.topicScopes());
                o.field("createdAt", AuditChain.isoMillis(key.createdAtMs())).name("lastUsedAt");
                iso(o, key.lastUsedAtMs());
                o.name("revokedAt");
                iso(o, key.revokedAtMs());
                o.name("expiresAt");
                iso(o, key.expiresAtMs());
                o.endObject();
            }
            from.reply(Frames.endReply(o.endArray(), in));
        });
    }

    static void revoke(ApiKeyService.Keys k, PeerSession from, Inbound in) {
        String id = in.body().string("id");
        if (id == null || id.isEmpty()) {
            refuse(k, from, in, "invalid_args", "id required");
            return;
        }
        String memberId = from.lease().member().id();
        long now = k.mesh().nowMs();
        k.mesh().onLoop(k.mesh().storage(() -> k.store().revoke(k.mesh().meshId(), memberId, id, now)),
                (r, failure) -> {
                    if (failure != null) {
                        unavailable(k, from, in, failure);
                        return;
                    }
                    if (r.changed()) {
                        k.mesh().audit(memberId, new AuditEvent.ApiKeyRevoked(r.id()));
                    }
                    JsonOut o = Frames.beginReply("apikey_revoke_response").field("status", r.status());
                    if ("revoked".equals(r.status())) {
                        o.field("id", r.id());
                    } else if ("not_unique".equals(r.status())) {
                        o.field("matches", r.matches());
                    }
                    from.reply(Frames.endReply(o, in));
                });
    }

    /** The strings of a JSON array, or null when {@code n} is not an array of strings. */
    private static List<String> strings(JsonNode n) {
        if (!(n instanceof JsonNode.ArrayNode a)) {
            return null;
        }
        List<String> out = new ArrayList<>(a.items().size());
        for (JsonNode item : a.items()) {
            if (!(item instanceof JsonNode.StringNode s)) {
                return null;
            }
            out.add(s.value());
        }
        return out;
    }

    /** Epoch milliseconds of an ISO-8601 time with an offset ({@code 2026-05-02T10:00:00.000Z}), or null. */
    static Long isoMillis(String s) {
        if (s == null) {
            return null;
        }
        try {
            return OffsetDateTime.parse(s).toInstant().toEpochMilli();
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    private static void array(JsonOut o, List<String> values) {
        if (values == null) {
            o.nullValue();
            return;
        }
        o.beginArray();
        for (String v : values) {
            o.value(v);
        }
        o.endArray();
    }

    private static void iso(JsonOut o, Long ms) {
        if (ms == null) {
            o.nullValue();
        } else {
            o.value(AuditChain.isoMillis(ms));
        }
    }

    private static void refuse(ApiKeyService.Keys k, PeerSession from, Inbound in, String code, String message) {
        log.debug("{} refused: {}", in.rawType, code);
        k.mesh().error(from, in, code, message);
    }

    private static void unavailable(ApiKeyService.Keys k, PeerSession from, Inbound in, Throwable failure) {
        log.warn("{} failed in mesh {}: {}", in.rawType, k.mesh().meshId(), failure.getClass().getSimpleName());
        k.mesh().error(from, in, "internal_error", "API keys are unavailable, try again");
    }
}
