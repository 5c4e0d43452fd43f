package dev.claudemesh.broker.core.envelope;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

import dev.claudemesh.broker.core.model.GroupRole;

/**
 * Writes one binary frame ({@code docs/BINARY-PROTOCOL.md} §2) into a growing array. The header's flags are
 * written last ({@link #flags}), so optional fields can be decided while writing. One instance per frame, one thread;
 * or this thread's {@link #scratch}, whose frame is read ({@link #array()}, {@link #size()}) and copied out before the
 * thread writes another.
 */
public final class BinaryWriter {

    /** A scratch writer grown past this (a frame near MAX_MESSAGE_BYTES) is not kept. */
    static final int SCRATCH_KEEP_BYTES = 16 * 1024;
    private static final ThreadLocal<BinaryWriter> SCRATCH = ThreadLocal.withInitial(() -> new BinaryWriter(0, 1024));

    private byte[] b;
    private int pos;

    BinaryWriter(int type, int sizeHint) {
        b = new byte[Math.max(16, sizeHint)];
        start(type);
    }

    private void start(int type) {
        b[0] = (byte) BinaryWire.VERSION;
        b[1] = (byte) type;
        b[2] = 0;
        b[3] = 0;
        pos = BinaryWire.HEADER_BYTES;
    }

    /**
     * This thread's scratch writer, started on a frame of {@code type}: no array per frame. Only for leaf encoders
     * whose caller copies the frame out before anything on the thread could encode another.
     */
    static BinaryWriter scratch(int type) {
        BinaryWriter w = SCRATCH.get();
        if (w.b.length > SCRATCH_KEEP_BYTES) {
            w.b = new byte[1024];
        }
        w.start(type);
        return w;
    }

    /** The frame's bytes: the first {@link #size()} of this array (the writer's own; not to be kept). */
    public byte[] array() {
        return b;
    }

    /** The frame's length so far. */
    public int size() {
        return pos;
    }

    private void ensure(int n) {
        if (pos + n > b.length) {
            b = Arrays.copyOf(b, Math.max(b.length * 2, pos + n));
        }
    }

    BinaryWriter flags(int flags) {
        b[2] = (byte) (flags >>> 8);
        b[3] = (byte) flags;
        return this;
    }

    BinaryWriter u8(int v) {
        ensure(1);
        b[pos++] = (byte) v;
        return this;
    }

    BinaryWriter i64(long v) {
        ensure(8);
        for (int i = 7; i >= 0; i--) {
            b[pos++] = (byte) (v >>> (8 * i));
        }
        return this;
    }

    BinaryWriter len(int n) {
        ensure(4);
        while (n >= 0x80) {
            b[pos++] = (byte) ((n & 0x7F) | 0x80);
            n >>>= 7;
        }
        b[pos++] = (byte) n;
        return this;
    }

    @SuppressWarnings("deprecation")
    BinaryWriter str(String s) {
        if (isAscii(s)) {
            int n = s.length();
            len(n);
            ensure(n);
            s.getBytes(0, n, b, pos); // ASCII: one byte per char, no encoder
            pos += n;
            return this;
        }
        return raw(s.getBytes(StandardCharsets.UTF_8));
    }

    private static boolean isAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) >= 0x80) {
                return false;
            }
        }
        return true;
    }

    BinaryWriter raw(byte[] v) {
        len(v.length);
        ensure(v.length);
        System.arraycopy(v, 0, b, pos, v.length);
        pos += v.length;
        return this;
    }

    /** Base64 ASCII (checked by the caller with {@link BinaryWire#base64DecodedLength}) written as raw bytes. */
    BinaryWriter base64AsRaw(byte[] b64, int off, int n, int decodedLength) {
        len(decodedLength);
        ensure(decodedLength);
        BinaryWire.base64Decode(b64, off, n, b, pos);
        pos += decodedLength;
        return this;
    }

    /** A key or signature given as hex (checked by the caller with {@link BinaryWire#isHex}). */
    BinaryWriter hex(String hex) {
        ensure(hex.length() / 2);
        BinaryWire.unhex(hex, b, pos);
        pos += hex.length() / 2;
        return this;
    }

    BinaryWriter groups(List<GroupRole> groups) {
        len(groups.size());
        for (GroupRole g : groups) {
            str(g.name()).str(g.role() == null ? "" : g.role());
        }
        return this;
    }

    /** Appends {@code src} from {@code off} on, without a length (the fields another writer wrote). */
    BinaryWriter rawBody(byte[] src, int off) {
        int n = src.length - off;
        ensure(n);
        System.arraycopy(src, off, b, pos, n);
        pos += n;
        return this;
    }

    byte[] toBytes() {
        return pos == b.length ? b : Arrays.copyOf(b, pos);
    }
}
