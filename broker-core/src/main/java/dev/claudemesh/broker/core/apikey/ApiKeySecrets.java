package dev.claudemesh.broker.core.apikey;

import dev.claudemesh.broker.core.crypto.Hex;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Objects;

/**
 * API key secrets (PROTOCOL-MESH §8.9): {@code cm_} + base64url without padding of 32 random bytes; the lookup prefix
 * is its first 11 chars; what is stored is the SHA-256 hex of the whole secret string. Stateless and thread-safe.
 */
public final class ApiKeySecrets {

    /** Every secret starts with this. */
    public static final String SCHEME = "cm_";
    /** Length of the stored prefix. */
    public static final int PREFIX_CHARS = 11;
    /** Length of a secret: "cm_" + 43 base64url chars. */
    public static final int SECRET_CHARS = 46;

    private static final SecureRandom RANDOM = new SecureRandom();

    /** A fresh secret and what is stored of it. {@link #toString()} never shows the secret. */
    public record Secret(String secret, String prefix, String hash) {
        public Secret {
            Objects.requireNonNull(secret, "secret");
            Objects.requireNonNull(prefix, "prefix");
            Objects.requireNonNull(hash, "hash");
        }

        @Override
        public String toString() {
            return "Secret[prefix=" + prefix + "]";
        }
    }

    private ApiKeySecrets() {
    }

    public static Secret generate() {
        byte[] b = new byte[32];
        RANDOM.nextBytes(b);
        String secret = SCHEME + Base64.getUrlEncoder().withoutPadding().encodeToString(b);
        return new Secret(secret, prefix(secret), hash(secret));
    }

    /** The stored lookup prefix of {@code secret}. */
    public static String prefix(String secret) {
        return secret.substring(0, Math.min(PREFIX_CHARS, secret.length()));
    }

    /** SHA-256 hex of the secret's UTF-8 bytes. */
    public static String hash(String secret) {
        try {
            return Hex.encode(MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 unavailable", e);
        }
    }

    /** True when {@code s} has the shape of a secret ({@code cm_} and 43 base64url chars); says nothing of validity. */
    public static boolean wellFormed(String s) {
        if (s == null || s.length() != SECRET_CHARS || !s.startsWith(SCHEME)) {
            return false;
        }
        for (int i = SCHEME.length(); i < s.length(); i++) {
            char c = s.charAt(i);
            if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) {
                return false;
            }
        }
        return true;
    }
}
