package dev.claudemesh.broker.core.audit;

import java.nio.charset.StandardCharsets;
import java.security.DigestException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

/**
 * {@link AuditChain#hash} for the writer thread, from an event's canonical payload as UTF-8 bytes
 * ({@link CanonicalJson#bytes()}): the hash input is built in one reused array ({@link Utf8Encoder}) and digested there, so a row costs one
 * {@code String} (its hex hash) instead of the payload text, the joined input, its UTF-8 copy and the digest. The
 * hash is the same: each part is the UTF-8 encoding {@link String#getBytes} gives (parts are joined by {@code |}, so
 * encoding them one by one is encoding the whole).
 *
 * <p>Not thread-safe: one per writer thread.</p>
 */
public final class AuditHasher {

    private static final byte[] NULL = "null".getBytes(StandardCharsets.US_ASCII);

    private final MessageDigest sha256;
    private final byte[] digest = new byte[32];
    private final byte[] hex = new byte[64];
    private final Utf8Encoder encoder = new Utf8Encoder();
    private byte[] buf = new byte[512];
    private int len;

    public AuditHasher() {
        try {
            sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 unavailable", e);
        }
    }

    /**
     * {@code AuditChain.hash(prev, meshId, eventType, actorId, payloadText, createdAtMs)}, where {@code payloadText} is
     * the UTF-8 text of {@code payload[0, payloadLength)}.
     */
    public String hash(String prev, String meshId, String eventType, String actorId, byte[] payload,
                       int payloadLength, long createdAtMs) {
        len = 0;
        utf8(prev);
        put((byte) '|');
        utf8(meshId);
        put((byte) '|');
        utf8(eventType);
        put((byte) '|');
        if (actorId == null) {
            put(NULL, NULL.length);
        } else {
            utf8(actorId);
        }
        put((byte) '|');
        put(payload, payloadLength);
        put((byte) '|');
        ensure(AuditChain.ISO_MILLIS_LENGTH);
        if (AuditChain.isoMillisInto(createdAtMs, buf, len)) {
            len += AuditChain.ISO_MILLIS_LENGTH;
        } else {
            utf8(AuditChain.isoMillis(createdAtMs));
        }
        sha256.update(buf, 0, len);
        try {
            sha256.digest(digest, 0, digest.length);
        } catch (DigestException e) {
            throw new IllegalStateException(e);
        }
        return AuditChain.hex(digest, hex);
    }

    /** Appends {@code s}'s UTF-8 bytes, as {@link String#getBytes} encodes them. */
    private void utf8(String s) {
        int n = s.length();
        if (n <= Utf8Encoder.MAX_CHARS) {
            ensure(3 * n);
            int written = encoder.encode(s, buf, len);
            if (written >= 0) {
                len += written;
                return;
            }
        }
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        put(b, b.length);
    }

    private void put(byte b) {
        ensure(1);
        buf[len++] = b;
    }

    private void put(byte[] b, int n) {
        ensure(n);
        System.arraycopy(b, 0, buf, len, n);
        len += n;
    }

    private void ensure(int more) {
        if (len + more > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + more));
        }
    }
}
