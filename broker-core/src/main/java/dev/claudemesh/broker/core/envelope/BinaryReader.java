package dev.claudemesh.broker.core.envelope;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import dev.claudemesh.broker.core.model.GroupRole;

/**
 * A bounds-checked cursor over one binary frame ({@code docs/BINARY-PROTOCOL.md} §2). Every read checks the bytes
 * left first, so a frame can never make it read outside its range or allocate more than the frame's own size; a
 * violation is a {@link Malformed}, which only the binary decoders catch. One instance per frame, one thread.
 */
final class BinaryReader {

    /** A malformed binary frame; carries no stack trace (it is an answer, not a bug). */
    static final class Malformed extends RuntimeException {
        Malformed(String message) {
            super(message, null, false, false);
        }
    }

    private final byte[] b;
    private int pos;
    private final int end;

    BinaryReader(byte[] b, int off, int len) {
        this.b = b;
        this.pos = off;
        this.end = off + len;
    }

    int remaining() {
        return end - pos;
    }

    int position() {
        return pos;
    }

    private void need(int n, String field) {
        if (n > end - pos) {
            throw new Malformed("binary: truncated " + field);
        }
    }

    int u8(String field) {
        need(1, field);
        return b[pos++] & 0xFF;
    }

    int u16(String field) {
        need(2, field);
        int v = ((b[pos] & 0xFF) << 8) | (b[pos + 1] & 0xFF);
        pos += 2;
        return v;
    }

    long i64(String field) {
        need(8, field);
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (b[pos + i] & 0xFF);
        }
        pos += 8;
        return v;
    }

    /** An unsigned LEB128 of at most 4 bytes, checked against the bytes left (it is always a length or count). */
    int len(String field) {
        int v = 0;
        for (int shift = 0; shift < 28; shift += 7) {
            int c = u8(field);
            v |= (c & 0x7F) << shift;
            if ((c & 0x80) == 0) {
                if (v > end - pos) {
                    throw new Malformed("binary: length of " + field + " beyond the frame");
                }
                return v;
            }
        }
        throw new Malformed("binary: length of " + field + " longer than 4 bytes");
    }

    String str(String field) {
        return strOfLength(len(field), field);
    }

    /** A str field, or {@code earlier} itself when the field's bytes are that (ASCII) String's: no new String. */
    String strOr(String earlier, String field) {
        int n = len(field);
        if (nextEquals(earlier, n)) {
            pos += n;
            return earlier;
        }
        return strOfLength(n, field);
    }

    private String strOfLength(int n, String field) {
        if (!EnvelopeDecoder.isValidUtf8(b, pos, n)) {
            throw new Malformed("binary: invalid UTF-8 in " + field);
        }
        String s = new String(b, pos, n, StandardCharsets.UTF_8);
        pos += n;
        return s;
    }

    /** Raw bytes, returned as base64 ASCII: the broker's internal form of nonce and ciphertext. */
    byte[] bytesAsBase64(String field) {
        int n = len(field);
        byte[] out = new byte[BinaryWire.base64EncodedLength(n)];
        BinaryWire.base64Encode(b, pos, n, out, 0);
        pos += n;
        return out;
    }

    /** Moves past {@code n} bytes (a length the caller read with {@link #len}, so within the frame). */
    void skip(int n) {
        pos += n;
    }

    /** True when the next {@code n} bytes are the characters of ASCII string {@code s} (no allocation). */
    private boolean nextEquals(String s, int n) {
        if (s == null || s.length() != n) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            if (b[pos + i] != s.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /** True when the next 32 bytes are {@code key}'s. */
    boolean nextKeyEquals(byte[] key) {
        return key != null && remaining() >= BinaryWire.KEY_BYTES
                && java.util.Arrays.equals(b, pos, pos + BinaryWire.KEY_BYTES, key, 0, BinaryWire.KEY_BYTES);
    }

    /** Copies the 32 bytes just read (a {@link #key}) into {@code key}. */
    void lastKeyInto(byte[] key) {
        System.arraycopy(b, pos - BinaryWire.KEY_BYTES, key, 0, BinaryWire.KEY_BYTES);
    }

    /** The frame's array (for a caller that reads a range it was given by {@link #position()}). */
    byte[] array() {
        return b;
    }

    /** Raw bytes, copied. */
    byte[] bytes(String field) {
        int n = len(field);
        byte[] out = java.util.Arrays.copyOfRange(b, pos, pos + n);
        pos += n;
        return out;
    }

    /** A 32-byte key, as lowercase hex. */
    String key(String field) {
        need(BinaryWire.KEY_BYTES, field);
        String s = BinaryWire.hex(b, pos, BinaryWire.KEY_BYTES);
        pos += BinaryWire.KEY_BYTES;
        return s;
    }

    /** A 64-byte signature, as lowercase hex. */
    String sig(String field) {
        need(BinaryWire.SIG_BYTES, field);
        String s = BinaryWire.hex(b, pos, BinaryWire.SIG_BYTES);
        pos += BinaryWire.SIG_BYTES;
        return s;
    }

    List<GroupRole> groups(String field) {
        int n = len(field); // each entry takes at least 2 bytes, so the count is bounded by the frame
        if (n > BinaryWire.MAX_GROUPS) {
            throw new Malformed("binary: more than " + BinaryWire.MAX_GROUPS + " " + field);
        }
        List<GroupRole> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            String name = str(field);
            String role = str(field);
            if (!name.isEmpty()) {
                out.add(new GroupRole(name, role.isEmpty() ? null : role));
            }
        }
        return out;
    }

    /** The rest of the frame, copied. */
    byte[] rest() {
        byte[] out = java.util.Arrays.copyOfRange(b, pos, end);
        pos = end;
        return out;
    }

    void expectEnd() {
        if (pos != end) {
            throw new Malformed("binary: " + (end - pos) + " bytes after the last field");
        }
    }
}
