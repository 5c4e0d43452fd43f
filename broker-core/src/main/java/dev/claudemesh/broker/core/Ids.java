package dev.claudemesh.broker.core;

import java.nio.charset.StandardCharsets;

/**
 * Generated ids: 32 chars {@code [0-9A-Za-z]} (PROTOCOL §1). The first {@value #TIME_CHARS} are the creation time in
 * milliseconds, base 36 in lowercase, fixed width; the other {@value #RANDOM_CHARS} come from a CSPRNG (~143 bits, so
 * ids stay unguessable), a per-thread ChaCha20 keystream ({@link KeystreamRandom}). The time prefix makes ids
 * increase with time under both the C and the usual linguistic collations, so the primary-key B-trees of {@code message_queue} and {@code presence} grow at their right edge
 * (hot pages, no page splits all over the index, fewer full-page images in the WAL) instead of at random places.
 * Thread-safe.
 */
public final class Ids {

    private static final byte[] ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
            .getBytes(StandardCharsets.US_ASCII);
    private static final byte[] BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz".getBytes(StandardCharsets.US_ASCII);
    static final int TIME_CHARS = 8;
    static final int RANDOM_CHARS = 32 - TIME_CHARS;

    /** 36^8 - 1 ms: the year 5188. */
    private static final long MAX_TIME = 2_821_109_907_455L;

    private Ids() {
    }

    /** A fresh 32-character alphanumeric id, prefixed with the current wall-clock time. */
    public static String newId() {
        return newId(System.currentTimeMillis());
    }

    /** A fresh id whose time prefix is {@code epochMs} (clamped to what 8 base-36 digits hold). */
    public static String newId(long epochMs) {
        KeystreamRandom r = KeystreamRandom.current();
        // ASCII bytes, not chars, in the thread's work array: the String copies them once (a char[] was twice the
        // size, then compressed into that same copy)
        byte[] out = r.idScratch;
        writeTime(epochMs, out);
        for (int i = 0; i < RANDOM_CHARS; i++) {
            // 62 does not divide 256: reject the top values to stay uniform.
            int v = r.nextByte();
            while (v >= 248) {
                v = r.nextByte();
            }
            out[TIME_CHARS + i] = ALPHABET[v % 62];
        }
        return new String(out, StandardCharsets.ISO_8859_1);
    }

    /**
     * The first {@value #TIME_CHARS} characters of every id generated at {@code epochMs}: ids generated at or after
     * that time compare {@code >=} to it, so a primary-key range scan finds them.
     */
    public static String timePrefix(long epochMs) {
        byte[] out = new byte[TIME_CHARS];
        writeTime(epochMs, out);
        return new String(out, StandardCharsets.ISO_8859_1);
    }

    private static void writeTime(long epochMs, byte[] out) {
        long t = Math.max(0, Math.min(epochMs, MAX_TIME));
        for (int i = TIME_CHARS - 1; i >= 0; i--) {
            out[i] = BASE36[(int) (t % 36)];
            t /= 36;
        }
    }

    /** True when {@code s} looks like a generated id. */
    public static boolean isId(String s) {
        if (s == null || s.length() != 32) {
            return false;
        }
        for (int i = 0; i < 32; i++) {
            char c = s.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) {
                return false;
            }
        }
        return true;
    }
}
