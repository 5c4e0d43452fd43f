package dev.claudemesh.broker.netty.pipeline;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * One payload of a {@link NettyFanout} encoded ONCE as a complete server-to-client WebSocket frame (RFC 6455 §5.2:
 * FIN, no RSV bits, text or binary opcode, no mask, then the payload) in one direct buffer, shared by every recipient
 * of the fan-out that gets the same bytes. A plain {@link ByteBuf} passes Netty's {@code WebSocket08FrameEncoder} (a
 * {@code MessageToMessageEncoder<WebSocketFrame>}) untouched, so each recipient's channel writes its own
 * {@link ByteBuf#duplicate() duplicate} (own indexes, shared memory and reference count) instead of a
 * {@code TextWebSocketFrame} that the encoder turns into a fresh header buffer plus a copy of the payload (below
 * 1 KiB) or a heap payload the transport copies to direct memory (above). Valid only on connections without
 * WebSocket extensions: the broker negotiates none ({@code allowExtensions(false)}, no compression handler).
 *
 * <p>The slot recognises "the same bytes" by identity: the core hands one {@code byte[]} to all recipients of a
 * fan-out ({@code PeerConnection}'s contract). The first recipient of an array takes the ordinary path (a fan-out
 * to one recipient costs nothing more); from the second on, the frame is encoded once and each recipient gets a
 * reference of its own ({@link #share}).</p>
 *
 * <p><b>Ownership:</b> the slot holds one reference of its frame until {@link #clear()}; each buffer {@link #share}
 * returns carries one more reference, owned by the caller (the batch entry, then the channel's write).
 * <b>Thread:</b> the fan-out's, like its {@link NettyFanout}.</p>
 */
final class SharedFrame {

    private static final int FIN_TEXT = 0x81;
    private static final int FIN_BINARY = 0x82;

    private final boolean binary;
    /** The payload last seen, or null. */
    private byte[] payload;
    /** Its encoded frame (one reference held by this slot), or null while it was seen only once. */
    private ByteBuf frame;

    /** @param binary binary opcode (the binary subprotocol) rather than text */
    SharedFrame(boolean binary) {
        this.binary = binary;
    }

    /**
     * The shared frame for {@code bytes} with one reference for the caller, or null when {@code bytes} is seen here for
     * the first time (the caller sends it the ordinary way). A different payload replaces the one held.
     */
    ByteBuf share(byte[] bytes, ByteBufAllocator alloc) {
        if (bytes != payload) {
            clear();
            payload = bytes;
            return null;
        }
        if (frame == null) {
            frame = encode(alloc, bytes, binary);
        }
        return frame.retain();
    }

    /** Lets go of the payload and of this slot's reference of its frame (the recipients keep theirs). */
    void clear() {
        payload = null;
        if (frame != null) {
            frame.release();
            frame = null;
        }
    }

    /** The whole frame, FIN set, unmasked, in a direct buffer of the exact size. */
    static ByteBuf encode(ByteBufAllocator alloc, byte[] payload, boolean binary) {
        int n = payload.length;
        int header = n < 126 ? 2 : n <= 0xFFFF ? 4 : 10;
        ByteBuf buf = alloc.directBuffer(header + n, header + n);
        buf.writeByte(binary ? FIN_BINARY : FIN_TEXT);
        if (n < 126) {
            buf.writeByte(n);
        } else if (n <= 0xFFFF) {
            buf.writeByte(126);
            buf.writeShort(n);
        } else {
            buf.writeByte(127);
            buf.writeLong(n);
        }
        return buf.writeBytes(payload);
    }
}
