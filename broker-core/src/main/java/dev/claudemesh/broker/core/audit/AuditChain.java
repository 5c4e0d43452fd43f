package dev.claudemesh.broker.core.audit;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The audit hash chain of PROTOCOL §7:
 * {@code sha256hex(prev|meshId|eventType|actorId-or-"null"|canonicalJson(payload)|createdAt)}.
 * Stateless and thread-safe. The canonical JSON matches {@code JSON.stringify} of a recursively key-sorted
 * object: no whitespace, JSON string escaping.
 */
public final class AuditChain {

    /** The {@code prev} of the first event of every mesh. */
    public static final String GENESIS = "genesis";

    private static final DateTimeFormatter ISO_MILLIS =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    private AuditChain() {
    }

    /** ISO-8601 UTC with milliseconds and {@code Z}, e.g. {@code 2026-01-01T00:00:00.000Z}. */
    public static String isoMillis(long epochMs) {
        if (epochMs < 0 || epochMs > MAX_FAST_MS) {
            return ISO_MILLIS.format(Instant.ofEpochMilli(epochMs));
        }
        byte[] out = new byte[ISO_MILLIS_LENGTH];
        isoMillisInto(epochMs, out, 0);
        return new String(out, StandardCharsets.ISO_8859_1);
    }

    /** The length of {@link #isoMillis} for a time from year 0 to 9999. */
    public static final int ISO_MILLIS_LENGTH = 24;

    /**
     * Writes {@link #isoMillis}'s {@value #ISO_MILLIS_LENGTH} ASCII bytes into {@code out} from {@code at}, without
     * allocating; returns false (writing nothing) for a time outside years 0–9999, which only {@link #isoMillis}
     * formats.
     */
    public static boolean isoMillisInto(long epochMs, byte[] out, int at) {
        if (epochMs < 0 || epochMs > MAX_FAST_MS) {
            return false;
        }
        // every push and audit event formats one: civil date from days (H. Hinnant's algorithm), no java.time objects
        long days = epochMs / 86_400_000L;
        int msOfDay = (int) (epochMs % 86_400_000L);
        long z = days + 719_468;
        long era = z / 146_097;
        long doe = z - era * 146_097;
        long yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
        long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        long mp = (5 * doy + 2) / 153;
        int day = (int) (doy - (153 * mp + 2) / 5 + 1);
        int month = (int) (mp < 10 ? mp + 3 : mp - 9);
        int year = (int) (yoe + era * 400 + (month <= 2 ? 1 : 0));
        digits(out, at, year, 4);
        out[at + 4] = '-';
        digits(out, at + 5, month, 2);
        out[at + 7] = '-';
        digits(out, at + 8, day, 2);
        out[at + 10] = 'T';
        digits(out, at + 11, msOfDay / 3_600_000, 2);
        out[at + 13] = ':';
        digits(out, at + 14, msOfDay / 60_000 % 60, 2);
        out[at + 16] = ':';
        digits(out, at + 17, msOfDay / 1_000 % 60, 2);
        out[at + 19] = '.';
        digits(out, at + 20, msOfDay % 1_000, 3);
        out[at + 23] = 'Z';
        return true;
    }

    /** 9999-12-31T23:59:59.999Z: the fast path writes four-digit years. */
    private static final long MAX_FAST_MS = 253_402_300_799_999L;

    private static void digits(byte[] out, int at, int v, int width) {
        for (int i = at + width - 1; i >= at; i--) {
            out[i] = (byte) ('0' + v % 10);
            v /= 10;
        }
    }

    /** Computes the hash of one event given the previous hash of its mesh ({@link #GENESIS} for the first). */
    public static String hash(String prev, String meshId, String eventType, String actorId,
                              String canonicalPayload, long createdAtMs) {
        String input = prev + "|" + meshId + "|" + eventType + "|" + (actorId == null ? "null" : actorId) + "|"
                + canonicalPayload + "|" + isoMillis(createdAtMs);
        return sha256Hex(input.getBytes(StandardCharsets.UTF_8));
    }

    /** Lowercase hex SHA-256 of {@code bytes}. */
    public static String sha256Hex(byte[] bytes) {
        return hex(SHA256.get().digest(bytes), new byte[64]);
    }

    /** A 32-byte digest as 64 lowercase hex chars, built in {@code work} (64 bytes, reusable). */
    static String hex(byte[] digest, byte[] work) {
        for (int i = 0; i < 32; i++) {
            work[2 * i] = HEX[(digest[i] >> 4) & 0xF];
            work[2 * i + 1] = HEX[digest[i] & 0xF];
        }
        return new String(work, StandardCharsets.ISO_8859_1);
    }

    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    /**
     * One digest per thread: {@code MessageDigest.getInstance} looks the provider up on every call (JFR: a tenth of
     * the writer thread's hashing). {@code digest()} resets it, so a thread reuses it safely.
     */
    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 unavailable", e);
        }
    });

    /**
     * Canonical JSON of a metadata value: Maps (keys sorted), Lists, Strings, Numbers (integers as
     * integers), Booleans and null.
     */
    public static String canonicalJson(Object value) {
        StringBuilder sb = new StringBuilder(64);
        write(sb, value);
        return sb.toString();
    }

    private static void write(StringBuilder sb, Object v) {
        if (v == null) {
            sb.append("null");
        } else if (v instanceof String s) {
            quote(sb, s);
        } else if (v instanceof Boolean || v instanceof Integer || v instanceof Long || v instanceof Short) {
            sb.append(v);
        } else if (v instanceof Number n) {
            double d = n.doubleValue();
            if (d == Math.rint(d) && !Double.isInfinite(d) && Math.abs(d) < 1e15) {
                sb.append((long) d);
            } else {
                sb.append(d);
            }
        } else if (v instanceof Map<?, ?> m) {
            TreeMap<String, Object> sorted = new TreeMap<>();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                sorted.put(String.valueOf(e.getKey()), e.getValue());
            }
            sb.append('{');
            boolean first = true;
            for (Map.Entry<String, Object> e : sorted.entrySet()) {
                if (!first) {
                    sb.append(',');
                }
                first = false;
                quote(sb, e.getKey());
                sb.append(':');
                write(sb, e.getValue());
            }
            sb.append('}');
        } else if (v instanceof List<?> l) {
            sb.append('[');
            for (int i = 0; i < l.size(); i++) {
                if (i > 0) {
                    sb.append(',');
                }
                write(sb, l.get(i));
            }
            sb.append(']');
        } else {
            throw new IllegalArgumentException("not a metadata value: " + v.getClass().getName());
        }
    }

    /** Appends {@code s} as a JSON string literal, escaped as {@code JSON.stringify} does. */
    public static void quote(StringBuilder sb, String s) {
        if (plain(s)) { // the common case (ids, hex keys, names): one bulk append
            sb.append('"').append(s).append('"');
            return;
        }
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (c < 0x20 || (Character.isSurrogate(c) && !validSurrogateAt(s, i))) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }

    /** True when {@code s} has nothing to escape: no quote, backslash, control character or surrogate. */
    private static boolean plain(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == '"' || c == '\\' || Character.isSurrogate(c)) {
                return false;
            }
        }
        return true;
    }

    private static boolean validSurrogateAt(String s, int i) {
        char c = s.charAt(i);
        if (Character.isHighSurrogate(c)) {
            return i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
        }
        return i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
    }
}
