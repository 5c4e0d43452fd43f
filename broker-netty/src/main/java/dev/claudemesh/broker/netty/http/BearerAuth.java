package dev.claudemesh.broker.netty.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Objects;

/**
 * {@code Authorization: Bearer <token>} against one configured token, compared in constant time
 * ({@link MessageDigest#isEqual}), the scheme name case-insensitively (RFC 6750 §2.1). The one place where the admin
 * token ({@code BROKER_ADMIN_TOKEN}) and the hook token ({@code BROKER_HOOK_TOKEN}) are checked. Immutable.
 */
public final class BearerAuth implements Guard {

    /** What a request gets when no token is configured. */
    public enum Unset {
        /** Every request is admitted (hooks: the token is optional). */
        OPEN,
        /** Every request is answered 404 {@code {"error":"not found"}}: the area does not exist (the admin API). */
        HIDDEN
    }

    private static final String BEARER = "Bearer ";
    private static final byte[] NOT_FOUND = ErrorBody.PLAIN.render("not found");

    /** The token as UTF-8, or null when none is configured. */
    private final byte[] token;
    private final Unset unset;
    private final ErrorBody refusal;

    private BearerAuth(byte[] token, Unset unset, ErrorBody refusal) {
        this.token = token;
        this.unset = unset;
        this.refusal = refusal;
    }

    /**
     * @param token   the configured token; null or empty means none
     * @param unset   what to do when there is none
     * @param refusal the shape of the 401 body ({@code "unauthorized"})
     */
    public static BearerAuth of(String token, Unset unset, ErrorBody refusal) {
        Objects.requireNonNull(unset, "unset");
        Objects.requireNonNull(refusal, "refusal");
        byte[] bytes = token == null || token.isEmpty() ? null : token.getBytes(StandardCharsets.UTF_8);
        return new BearerAuth(bytes, unset, refusal);
    }

    /** True when a token is configured. */
    public boolean enabled() {
        return token != null;
    }

    /** True when {@code authorization} (the header's value, may be null) carries exactly the token. */
    boolean matches(String authorization) {
        if (token == null || authorization == null || authorization.length() < BEARER.length()
                || !authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return false;
        }
        byte[] given = authorization.substring(BEARER.length()).trim().getBytes(StandardCharsets.UTF_8);
        return MessageDigest.isEqual(given, token);
    }

    /** Admits {@code x}, or answers 401 (or 404 for a hidden area without a token) and refuses it. */
    @Override
    public boolean admit(HttpExchange x) {
        if (token == null) {
            if (unset == Unset.OPEN) {
                return true;
            }
            x.send(Answer.json(HttpResponseStatus.NOT_FOUND, NOT_FOUND));
            return false;
        }
        if (matches(x.header(HttpHeaderNames.AUTHORIZATION))) {
            return true;
        }
        x.send(refusal.answer(HttpResponseStatus.UNAUTHORIZED, "unauthorized"));
        return false;
    }

    @Override
    public String toString() {
        return "BearerAuth[" + (token != null ? "token=***" : "no token, " + unset) + "]"; // never the token
    }
}
