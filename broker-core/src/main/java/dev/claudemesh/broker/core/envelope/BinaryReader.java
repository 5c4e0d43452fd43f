package dev.claudemesh.broker.core.envelope;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
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
        int n = len(field);
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
        ByteBuffer enc = Base64.getEncoder().encode(ByteBuffer.wrap(b, pos, n));
        pos += n;
        return enc.array();
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
