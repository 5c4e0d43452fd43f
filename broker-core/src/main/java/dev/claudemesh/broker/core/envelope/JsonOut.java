package dev.claudemesh.broker.core.envelope;

import dev.claudemesh.broker.core.model.Payload;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A small, allocation-light JSON writer into a growable byte array, for the frames the broker sends.
 * Not thread-safe; use one per encoding. Strings are escaped as {@code JSON.stringify} does (control
 * characters as {@code \\u00XX}, lone surrogates as {@code \\uXXXX}); output is UTF-8.
 */
public final class JsonOut {

    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    /** Scratch writers keep at most this much buffer between uses (a rare huge frame is not kept alive). */
    static final int SCRATCH_KEEP_BYTES = 16 * 1024;
    private static final ThreadLocal<JsonOut> SCRATCH = ThreadLocal.withInitial(() -> new JsonOut(1024));

    private byte[] buf;
    private int len;
    private boolean needComma;

    public JsonOut(int initialCapacity) {
        buf = new byte[Math.max(16, initialCapacity)];
    }

    public JsonOut() {
        this(256);
    }

    /**
     * This thread's scratch writer, emptied: its buffer is reused from frame to frame, so a frame costs one
     * exact-size array ({@link #toBytes()}) instead of a working buffer, its growth and the copy. Only for leaf
     * encoders that finish the frame with {@link #toBytes()} before calling anything that could encode another
     * frame on the same thread (nothing may hold it across calls).
     */
    public static JsonOut scratch() {
        JsonOut o = SCRATCH.get();
        if (o.buf.length > SCRATCH_KEEP_BYTES) {
            o.buf = new byte[1024];
        }
        o.len = 0;
        o.needComma = false;
        return o;
    }

    private void ensure(int extra) {
        if (len + extra > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + extra));
        }
    }

    private void raw(byte b) {
        ensure(1);
        buf[len++] = b;
    }

    private void comma() {
        if (needComma) {
            raw((byte) ',');
        }
    }

    public JsonOut beginObject() {
        comma();
        raw((byte) '{');
        needComma = false;
        return this;
    }

    public JsonOut endObject() {
        raw((byte) '}');
        needComma = true;
        return this;
    }

    public JsonOut beginArray() {
        comma();
        raw((byte) '[');
        needComma = false;
        return this;
    }

    public JsonOut endArray() {
        raw((byte) ']');
        needComma = true;
        return this;
    }

    /** Writes a field name; the next value call writes its value. */
    public JsonOut name(String name) {
        comma();
        writeString(name);
        raw((byte) ':');
        needComma = false;
        return this;
    }

    /**
     * A field name or string value encoded once ({@code "name":} or {@code "value"}), for the frames written per DM:
     * copied, not escaped again.
     */
    public static final class Encoded {
        final byte[] bytes;

        private Encoded(byte[] bytes) {
            this.bytes = bytes;
        }

        /** {@code "name":}. */
        public static Encoded name(String name) {
            JsonOut o = new JsonOut(name.length() + 8);
            o.writeString(name);
            o.raw((byte) ':');
            return new Encoded(o.toBytes());
        }

        /** {@code "value"}. */
        public static Encoded string(String value) {
            JsonOut o = new JsonOut(value.length() + 8);
            o.writeString(value);
            return new Encoded(o.toBytes());
        }
    }

    /** A name encoded with {@link Encoded#name}: the same bytes as {@link #name(String)}. */
    public JsonOut name(Encoded name) {
        comma();
        copy(name.bytes);
        needComma = false;
        return this;
    }

    /** A string value encoded with {@link Encoded#string}: the same bytes as {@link #value(String)}. */
    public JsonOut value(Encoded value) {
        comma();
        copy(value.bytes);
        needComma = true;
        return this;
    }

    /** {@code name} then {@code value}. */
    public JsonOut field(Encoded name, String value) {
        return name(name).value(value);
    }

    private void copy(byte[] b) {
        ensure(b.length);
        System.arraycopy(b, 0, buf, len, b.length);
        len += b.length;
    }

    public JsonOut value(String s) {
        comma();
        if (s == null) {
            ascii("null");
        } else {
            writeString(s);
        }
        needComma = true;
        return this;
    }

    public JsonOut value(long v) {
        comma();
        ascii(Long.toString(v));
        needComma = true;
        return this;
    }

    public JsonOut value(boolean v) {
        comma();
        ascii(v ? "true" : "false");
        needComma = true;
        return this;
    }

    public JsonOut nullValue() {
        comma();
        ascii("null");
        needComma = true;
        return this;
    }

    /** Writes a JSON tree value (see {@link JsonNode}); numbers are written as their original text. */
    public JsonOut value(JsonNode node) {
        node.writeTo(this);
        return this;
    }

    /** Writes number text taken from parsed JSON ({@link JsonNode.NumberNode}); not for arbitrary strings. */
    JsonOut rawNumber(String text) {
        comma();
        ascii(text);
        needComma = true;
        return this;
    }

    /** Writes pre-validated ASCII bytes that need no escaping (base64 text) as a JSON string. */
    public JsonOut asciiStringValue(byte[] ascii) {
        return asciiStringValue(ascii, 0, ascii.length);
    }

    /** A string value from {@code length} bytes of {@code ascii} at {@code offset} that need no escaping. */
    public JsonOut asciiStringValue(byte[] ascii, int offset, int length) {
        comma();
        ensure(length + 2);
        buf[len++] = '"';
        System.arraycopy(ascii, offset, buf, len, length);
        len += length;
        buf[len++] = '"';
        needComma = true;
        return this;
    }

    /**
     * A string value from a DM's nonce ({@code nonce} true) or ciphertext text, copied straight from its
     * {@link Payload} (base64: nothing to escape).
     */
    public JsonOut payloadValue(Payload p, boolean nonce) {
        comma();
        int n = nonce ? p.nonceLength() : p.ciphertextLength();
        ensure(n + 2);
        buf[len++] = '"';
        if (nonce) {
            p.getNonce(buf, len);
        } else {
            p.getCiphertext(buf, len);
        }
        len += n;
        buf[len++] = '"';
        needComma = true;
        return this;
    }

    public JsonOut field(String name, String value) {
        return name(name).value(value);
    }

    public JsonOut field(String name, long value) {
        return name(name).value(value);
    }

    public JsonOut field(String name, boolean value) {
        return name(name).value(value);
    }

    /** Writes a metadata value: null, String, Number, Boolean, Map or List of those. */
    public JsonOut anyValue(Object v) {
        if (v == null) {
            return nullValue();
        } else if (v instanceof String s) {
            return value(s);
        } else if (v instanceof Boolean b) {
            return value(b);
        } else if (v instanceof Number n) {
            return value(n.longValue());
        } else if (v instanceof Map<?, ?> m) {
            beginObject();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                name(String.valueOf(e.getKey()));
                anyValue(e.getValue());
            }
            return endObject();
        } else if (v instanceof List<?> l) {
            beginArray();
            for (Object o : l) {
                anyValue(o);
            }
            return endArray();
        }
        throw new IllegalArgumentException("unsupported JSON value " + v.getClass().getName());
    }

    private void ascii(String s) {
        int n = s.length();
        ensure(n);
        for (int i = 0; i < n; i++) {
            buf[len++] = (byte) s.charAt(i);
        }
    }

    private void writeString(String s) {
        int n = s.length();
        ensure(n + 2);
        buf[len++] = '"';
        // Fast path: ids, keys, names and timestamps are printable ASCII; room for all of it is already ensured.
        int i = 0;
        byte[] b = buf;
        int at = len;
        for (; i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') {
                break;
            }
            b[at++] = (byte) c;
        }
        len = at;
        for (; i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                if (c == '"' || c == '\\') {
                    ensure(2);
                    buf[len++] = '\\';
                    buf[len++] = (byte) c;
                } else if (c < 0x20) {
                    escapeControl(c);
                } else {
                    ensure(1);
                    buf[len++] = (byte) c;
                }
            } else if (c < 0x800) {
                ensure(2);
                buf[len++] = (byte) (0xC0 | (c >> 6));
                buf[len++] = (byte) (0x80 | (c & 0x3F));
            } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                int cp = Character.toCodePoint(c, s.charAt(++i));
                ensure(4);
                buf[len++] = (byte) (0xF0 | (cp >> 18));
                buf[len++] = (byte) (0x80 | ((cp >> 12) & 0x3F));
                buf[len++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
                buf[len++] = (byte) (0x80 | (cp & 0x3F));
            } else if (Character.isSurrogate(c)) {
                unicodeEscape(c);
            } else {
                ensure(3);
                buf[len++] = (byte) (0xE0 | (c >> 12));
                buf[len++] = (byte) (0x80 | ((c >> 6) & 0x3F));
                buf[len++] = (byte) (0x80 | (c & 0x3F));
            }
        }
        ensure(1);
        buf[len++] = '"';
    }

    private void escapeControl(char c) {
        ensure(2);
        switch (c) {
            case '\n' -> { buf[len++] = '\\'; buf[len++] = 'n'; }
            case '\r' -> { buf[len++] = '\\'; buf[len++] = 'r'; }
            case '\t' -> { buf[len++] = '\\'; buf[len++] = 't'; }
            case '\b' -> { buf[len++] = '\\'; buf[len++] = 'b'; }
            case '\f' -> { buf[len++] = '\\'; buf[len++] = 'f'; }
            default -> unicodeEscape(c);
        }
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

    /**
     * The writer's own buffer, holding {@link #size()} encoded bytes from index 0: valid until the writer is used
     * again (for a copy made at once, {@code PeerConnection#sendEncodedCopy}).
     */
    public byte[] array() {
        return buf;
    }

    /** The encoded bytes (a copy trimmed to size). */
    public byte[] toBytes() {
        return Arrays.copyOf(buf, len);
    }

    public int size() {
        return len;
    }

    @Override
    public String toString() {
        return new String(buf, 0, len, StandardCharsets.UTF_8);
    }
}
