package dev.claudemesh.broker.core.audit;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Writes the canonical JSON of PROTOCOL §7 (keys sorted, no whitespace, {@code JSON.stringify} escaping) directly,
 * for payloads whose keys are known in advance: the caller names the keys of each object in ascending order, and
 * the writer refuses any other order, so the text is the one {@link AuditChain#canonicalJson} would give for the
 * same values without building and sorting a map. Keys are compared as {@link String#compareTo} does, which is the
 * order {@link AuditChain#canonicalJson} sorts by.
 *
 * <p>The text is written as its UTF-8 bytes into a reused array ({@link #bytes()}, {@link #length()}): the writer
 * thread hashes and copies an audit event's payload from there without a {@code String}
 * ({@link AuditEvent#writeCanonical}, {@link AuditHasher}); {@link #text()} decodes it for everyone else. The bytes
 * are exactly {@code text().getBytes(UTF_8)}: escaping leaves no lone surrogate to encode.</p>
 *
 * <p>Not thread-safe. Usage: {@code CanonicalJson.object().field("a", x).field("b", y).end()}, or one
 * {@link #writer()} per thread, {@link #reset()} before each payload.</p>
 */
public final class CanonicalJson {

    private static final int MAX_DEPTH = 8;
    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    private byte[] buf = new byte[128]; // a DM's payload (~50 bytes) without a resize
    private int len;
    /** Last key written at each open object level (null when none yet, or when the level is an array). */
    private final String[] lastKey = new String[MAX_DEPTH];
    private final boolean[] first = new boolean[MAX_DEPTH];
    private final boolean[] isObject = new boolean[MAX_DEPTH];
    private int depth;
    private boolean afterName;

    private CanonicalJson() {
    }

    /** An empty writer, for one payload at a time ({@link #reset()} between them). */
    public static CanonicalJson writer() {
        return new CanonicalJson();
    }

    /** Starts a payload object. */
    public static CanonicalJson object() {
        CanonicalJson c = new CanonicalJson();
        c.open('{', true);
        return c;
    }

    /** The canonical text of the empty object {@code {}}. */
    public static final String EMPTY = "{}";

    /** Empties the writer for the next payload (keeps its array). */
    public CanonicalJson reset() {
        len = 0;
        depth = 0;
        afterName = false;
        return this;
    }

    private void open(char c, boolean object) {
        if (depth == MAX_DEPTH) {
            throw new IllegalStateException("depth: " + (depth + 1) + " (expected: <= " + MAX_DEPTH + ")");
        }
        beforeValue();
        put((byte) c);
        lastKey[depth] = null;
        first[depth] = true;
        isObject[depth] = object;
        depth++;
    }

    private void beforeValue() {
        if (afterName) {
            afterName = false;
            return;
        }
        if (depth > 0) {
            if (isObject[depth - 1]) {
                throw new IllegalStateException("a value inside an object needs a key first");
            }
            if (!first[depth - 1]) {
                put((byte) ',');
            }
            first[depth - 1] = false;
        } else if (len > 0) {
            throw new IllegalStateException("one value per payload (reset() first)");
        }
    }

    /** Writes the next key of the current object; keys must come in ascending order. */
    public CanonicalJson name(String key) {
        if (depth == 0 || !isObject[depth - 1] || afterName) {
            throw new IllegalStateException("a key belongs inside an object, before its value");
        }
        String last = lastKey[depth - 1];
        if (last != null && last.compareTo(key) >= 0) {
            throw new IllegalStateException("key \"" + key + "\" after \"" + last + "\" (expected: ascending keys)");
        }
        lastKey[depth - 1] = key;
        if (!first[depth - 1]) {
            put((byte) ',');
        }
        first[depth - 1] = false;
        quote(key);
        put((byte) ':');
        afterName = true;
        return this;
    }

    /** A string value, or {@code null}. */
    public CanonicalJson value(String v) {
        beforeValue();
        if (v == null) {
            ascii("null");
        } else {
            quote(v);
        }
        return this;
    }

    /** An integer value. */
    public CanonicalJson value(long v) {
        beforeValue();
        ascii(Long.toString(v));
        return this;
    }

    /** A boolean value. */
    public CanonicalJson value(boolean v) {
        beforeValue();
        ascii(v ? "true" : "false");
        return this;
    }

    /**
     * A whole payload that is already canonical text (trusted, written as given; {@link AuditEvent.Canonical}):
     * its UTF-8 bytes, as {@link String#getBytes} encodes them.
     */
    public CanonicalJson raw(String canonicalText) {
        beforeValue();
        byte[] b = canonicalText.getBytes(StandardCharsets.UTF_8);
        ensure(b.length);
        System.arraycopy(b, 0, buf, len, b.length);
        len += b.length;
        return this;
    }

    /** {@code name(key).value(v)}. */
    public CanonicalJson field(String key, String v) {
        return name(key).value(v);
    }

    /** {@code name(key).value(v)}. */
    public CanonicalJson field(String key, long v) {
        return name(key).value(v);
    }

    /** {@code name(key).value(v)}. */
    public CanonicalJson field(String key, boolean v) {
        return name(key).value(v);
    }

    public CanonicalJson beginObject() {
        open('{', true);
        return this;
    }

    public CanonicalJson endObject() {
        close('}', true);
        return this;
    }

    public CanonicalJson beginArray() {
        open('[', false);
        return this;
    }

    public CanonicalJson endArray() {
        close(']', false);
        return this;
    }

    private void close(char c, boolean object) {
        if (depth == 0 || isObject[depth - 1] != object || afterName) {
            throw new IllegalStateException("unbalanced " + c);
        }
        depth--;
        put((byte) c);
    }

    /** Closes the payload object (of {@link #object()}) and returns its text. */
    public String end() {
        endObject();
        return text();
    }

    /** The payload's text. */
    public String text() {
        complete();
        return new String(buf, 0, len, StandardCharsets.UTF_8);
    }

    /** The array holding the payload's UTF-8 bytes, from 0 to {@link #length()}; valid until the next write. */
    public byte[] bytes() {
        complete();
        return buf;
    }

    /** The number of bytes written. */
    public int length() {
        return len;
    }

    private void complete() {
        if (depth != 0 || len == 0) {
            throw new IllegalStateException("unclosed object or array, or nothing written");
        }
    }

    /** Writes {@code s} as a JSON string literal in UTF-8, escaped as {@link AuditChain#quote} does. */
    private void quote(String s) {
        int n = s.length();
        ensure(n + 2);
        byte[] b = buf;
        int at = len;
        b[at++] = '"';
        int i = 0;
        for (; i < n; i++) { // the common case (ids, hex keys, names): ASCII with nothing to escape
            char c = s.charAt(i);
            if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') {
                break;
            }
            b[at++] = (byte) c;
        }
        len = at;
        if (i < n) {
            quoteRest(s, i);
        }
        put((byte) '"');
    }

    private void quoteRest(String s, int from) {
        int n = s.length();
        for (int i = from; i < n; i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> escape('"');
                case '\\' -> escape('\\');
                case '\n' -> escape('n');
                case '\r' -> escape('r');
                case '\t' -> escape('t');
                case '\b' -> escape('b');
                case '\f' -> escape('f');
                default -> {
                    if (c < 0x20) {
                        unicodeEscape(c);
                    } else if (c < 0x80) {
                        put((byte) c);
                    } else if (c < 0x800) {
                        ensure(2);
                        buf[len++] = (byte) (0xC0 | (c >> 6));
                        buf[len++] = (byte) (0x80 | (c & 0x3F));
                    } else if (!Character.isSurrogate(c)) {
                        ensure(3);
                        buf[len++] = (byte) (0xE0 | (c >> 12));
                        buf[len++] = (byte) (0x80 | ((c >> 6) & 0x3F));
                        buf[len++] = (byte) (0x80 | (c & 0x3F));
                    } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                        int cp = Character.toCodePoint(c, s.charAt(++i));
                        ensure(4);
                        buf[len++] = (byte) (0xF0 | (cp >> 18));
                        buf[len++] = (byte) (0x80 | ((cp >> 12) & 0x3F));
                        buf[len++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
                        buf[len++] = (byte) (0x80 | (cp & 0x3F));
                    } else { // a lone surrogate: escaped, as JSON.stringify does
                        unicodeEscape(c);
                    }
                }
            }
        }
    }

    private void escape(char c) {
        ensure(2);
        buf[len++] = '\\';
        buf[len++] = (byte) c;
    }

    private void unicodeEscape(char c) {
        ensure(6);
        buf[len++] = '\\';
        buf[len++] = 'u';
        buf[len++] = HEX[(c >> 12) & 0xF];
        buf[len++] = HEX[(c >> 8) & 0xF];
        buf[len++] = HEX[(c >> 4) & 0xF];
        buf[len++] = HEX[c & 0xF];
    }

    private void ascii(String s) {
        int n = s.length();
        ensure(n);
        for (int i = 0; i < n; i++) {
            buf[len++] = (byte) s.charAt(i);
        }
    }

    private void put(byte b) {
        ensure(1);
        buf[len++] = b;
    }

    private void ensure(int more) {
        if (len + more > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + more));
        }
    }
}
