package dev.claudemesh.broker.netty.http;

import dev.claudemesh.broker.core.Clock;
import dev.claudemesh.broker.core.apikey.ApiKeySecrets;
import dev.claudemesh.broker.core.apikey.ApiKeyStore;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Objects;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Bearer API keys for {@code /api/v1} (PROTOCOL-MESH §8.10): the area's {@link Guard} answers 401
 * {@code api_key_missing} before routing when there is no {@code Authorization: Bearer …} header; a route then verifies
 * the key on the blocking pool ({@link #call}: SHA-256 of the secret, compared in constant time, neither revoked nor
 * expired, issuer not banned; else 401 {@code api_key_invalid}) and checks capability and topic scope itself
 * ({@link #lacks}, {@link #outOfScope}: 403), in the order the original answers them. The secret is never logged.
 * Immutable; thread-safe.
 */
final class ApiAuth implements Guard {

    private static final Logger log = LoggerFactory.getLogger(ApiAuth.class);
    private static final Pattern BEARER = Pattern.compile("^Bearer\\s+(.+)$");

    private final ApiKeyStore keys;
    private final BlockingCalls calls;
    private final Clock clock;

    ApiAuth(ApiKeyStore keys, BlockingCalls calls, Clock clock) {
        this.keys = Objects.requireNonNull(keys, "keys");
        this.calls = Objects.requireNonNull(calls, "calls");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    @Override
    public boolean admit(HttpExchange x) {
        if (token(x) != null) {
            return true;
        }
        log.debug("api {} {} refused: api_key_missing", x.method(), x.path());
        x.send(ApiJson.authError(HttpResponseStatus.UNAUTHORIZED, "api_key_missing",
                "Authorization: Bearer <API key> required"));
        return false;
    }

    private static String token(HttpExchange x) {
        String h = x.header(HttpHeaderNames.AUTHORIZATION);
        if (h == null) {
            return null;
        }
        Matcher m = BEARER.matcher(h);
        return m.matches() ? m.group(1).trim() : null;
    }

    /**
     * Verifies the request's key on the blocking pool, then runs {@code work} there with it and answers with the
     * stage it returns (which may complete on a mesh loop). Failures are answered by {@link HttpFailures}.
     */
    void call(HttpExchange x, String what, Function<ApiKeyStore.Authed, CompletionStage<Answer>> work) {
        String secret = token(x);
        calls.runAsync(x, ErrorBody.PLAIN, what, () -> {
            ApiKeyStore.Authed key = secret == null || !ApiKeySecrets.wellFormed(secret) ? null
                    : keys.verify(ApiKeySecrets.prefix(secret), ApiKeySecrets.hash(secret), clock.millis());
            if (key == null) {
                log.debug("api {} refused: api_key_invalid", what);
                return ApiJson.done(ApiJson.authError(HttpResponseStatus.UNAUTHORIZED, "api_key_invalid",
                        "unknown, revoked or expired API key"));
            }
            return work.apply(key);
        });
    }

    /** 403 {@code api_key_missing_capability} when {@code key} has neither {@code capability} nor admin, else null. */
    static Answer lacks(ApiKeyStore.Authed key, String capability) {
        if (key.can(capability)) {
            return null;
        }
        log.debug("api refused: api_key_missing_capability");
        return ApiJson.authError(HttpResponseStatus.FORBIDDEN, "api_key_missing_capability",
                "this API key lacks the " + capability + " capability");
    }

    /** 403 {@code api_key_topic_out_of_scope} when {@code key}'s topic scopes leave out {@code topic}, else null. */
    static Answer outOfScope(ApiKeyStore.Authed key, String topic) {
        if (key.scoped(topic)) {
            return null;
        }
        log.debug("api refused: api_key_topic_out_of_scope");
        return ApiJson.authError(HttpResponseStatus.FORBIDDEN, "api_key_topic_out_of_scope",
                "this API key is not scoped to this topic");
    }
}
