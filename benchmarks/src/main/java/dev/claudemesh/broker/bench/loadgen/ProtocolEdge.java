package dev.claudemesh.broker.bench.loadgen;

import dev.claudemesh.broker.core.envelope.BinaryClientCodec;
import dev.claudemesh.broker.core.envelope.BinaryWire;
import dev.claudemesh.broker.core.envelope.JsonOut;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.util.ReferenceCountUtil;

/**
 * {@code --protocol binary}: the generator keeps building and matching JSON (its {@link Wire}), and this handler
 * converts at its edge — outgoing JSON text frames become binary frames of {@code claudemesh.bin.1}
 * ({@link BinaryClientCodec#encode}), incoming binary frames become the JSON text the JSON protocol would have sent
 * ({@link BinaryClientCodec#decode}, keys in the broker's order). So the broker sees real binary peers while the
 * run loop is unchanged; the cost of the conversion lands on the generator's CPU ({@code loadgen CPU s}), not the
 * broker's. One instance per channel, on its event loop.
 *
 * <p>The two frames of every DM that come in, a push ({@code 0x83}) and an ack ({@code 0x82}), take a short path
 * ({@link #matcherJson}): the JSON written holds only the fields the run loop reads from them (the push's
 * {@code messageId} and {@code client_message_id}; the ack's {@code id}, {@code messageId}, {@code queued} and
 * {@code error}), copied from the frame without a tree, so the generator's edge costs less than the broker's work
 * it measures. Every other frame, and a push or ack whose values need JSON escaping or break the frame's bounds, takes
 * the full conversion (a malformed frame becomes a {@code loadgen} error there).</p>
 */
final class ProtocolEdge extends ChannelDuplexHandler {

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof BinaryWebSocketFrame f) {
            byte[] bytes;
            try {
                bytes = ByteBufUtil.getBytes(f.content());
            } finally {
                f.release();
            }
            ByteBuf quick = matcherJson(bytes, ctx.alloc());
            if (quick != null) {
                ctx.fireChannelRead(new TextWebSocketFrame(quick));
                return;
            }
            String json;
            try {
                json = new JsonOut(bytes.length * 2).value(BinaryClientCodec.decode(bytes)).toString();
            } catch (IllegalArgumentException e) {
                json = "{\"type\":\"error\",\"code\":\"loadgen\",\"message\":\"undecodable binary frame: "
                        + e.getMessage().replace('"', '\'') + "\"}";
            }
            ctx.fireChannelRead(new TextWebSocketFrame(json));
        } else {
            ctx.fireChannelRead(msg);
        }
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof TextWebSocketFrame f) {
            byte[] json;
            try {
                json = ByteBufUtil.getBytes(f.content());
            } finally {
                ReferenceCountUtil.release(f);
            }
            ctx.write(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(BinaryClientCodec.encode(json))), promise);
        } else {
            ctx.write(msg, promise);
        }
    }

    private static final byte[] PUSH_CMID = Wire.ascii("\",\"client_message_id\":\"");
    private static final byte[] ACK_MESSAGE_ID = Wire.ascii("\",\"messageId\":\"");
    private static final byte[] QUEUED_TRUE_END = Wire.ascii("\",\"queued\":true}");
    private static final byte[] QUEUED_FALSE_ERROR = Wire.ascii("\",\"queued\":false,\"error\":\"");
    private static final byte[] END = Wire.ascii("\"}");

    /**
     * The JSON the run loop reads from a binary push or ack ({@code docs/BINARY-PROTOCOL.md} §2.2), in a buffer of
     * {@code alloc}; null for any other frame, or when a value is not plain printable ASCII or a length runs past the
     * frame (the full conversion then answers).
     */
    static ByteBuf matcherJson(byte[] f, ByteBufAllocator alloc) {
        if (f.length < BinaryWire.HEADER_BYTES || f[0] != BinaryWire.VERSION) {
            return null;
        }
        int type = f[1] & 0xFF;
        int flags = ((f[2] & 0xFF) << 8) | (f[3] & 0xFF);
        if ((flags & (BinaryWire.F_REQ_ID | BinaryWire.F_EXTRA)) != 0 || (flags & 1) == 0) {
            return null; // the run loop needs the push's client_message_id, the ack's id (flag 1 of both)
        }
        // a str that runs past the frame is -1, and so is every field read after it: one check at the end
        if (type == BinaryWire.PUSH) {
            // messageId, meshId, senderPubkey (32), priority (u8), createdAt (i64), nonce, ciphertext, then by flag 1
            // the client_message_id and by the others the fields pushEndsAt reads
            long messageId = str(f, BinaryWire.HEADER_BYTES);
            long meshId = str(f, after(messageId, 0));
            long nonce = str(f, after(meshId, BinaryWire.KEY_BYTES + 1 + 8));
            long ciphertext = str(f, after(nonce, 0));
            long cmid = str(f, after(ciphertext, 0));
            if (cmid < 0 || !plain(f, messageId) || !plain(f, cmid) || !pushEndsAt(f, after(cmid, 0), flags)) {
                return null;
            }
            ByteBuf out = alloc.buffer(Wire.PUSH.length + 80 + len(cmid));
            out.writeBytes(Wire.PUSH).writeBytes(f, start(messageId), len(messageId));
            out.writeBytes(PUSH_CMID).writeBytes(f, start(cmid), len(cmid));
            return out.writeBytes(END);
        }
        if (type == BinaryWire.ACK) {
            // by flag 1 the id, 2 the client_message_id, 4 the error; then messageId and queued (u8)
            long id = str(f, BinaryWire.HEADER_BYTES);
            int pos = after(id, 0);
            if ((flags & 2) != 0) {
                pos = after(str(f, pos), 0);
            }
            boolean hasError = (flags & 4) != 0;
            long error = hasError ? str(f, pos) : 0;
            if (hasError) {
                pos = after(error, 0);
            }
            long messageId = str(f, pos);
            if (messageId < 0 || after(messageId, 1) != f.length || !plain(f, id) || !plain(f, messageId)
                    || (hasError && !plain(f, error))) {
                return null;
            }
            ByteBuf out = alloc.buffer(Wire.ACK.length + 96 + (hasError ? len(error) : 0));
            out.writeBytes(Wire.ACK).writeBytes(f, start(id), len(id));
            out.writeBytes(ACK_MESSAGE_ID).writeBytes(f, start(messageId), len(messageId));
            if (f[after(messageId, 0)] == 1) {
                return out.writeBytes(QUEUED_TRUE_END);
            }
            out.writeBytes(QUEUED_FALSE_ERROR);
            if (hasError) {
                out.writeBytes(f, start(error), len(error));
            }
            return out.writeBytes(END);
        }
        return null;
    }

    /**
     * True when the optional fields after a push's client_message_id (flags 2 request_fingerprint, 4 senderName,
     * 8 the multicast's member key and id, 16 subtype) are whole and end the frame.
     */
    private static boolean pushEndsAt(byte[] f, int pos, int flags) {
        if ((flags & ~0x1F) != 0) {
            return false;
        }
        for (int bit = 2; bit <= 16; bit <<= 1) {
            if ((flags & bit) != 0) {
                pos = after(str(f, bit == 8 && pos >= 0 ? pos + BinaryWire.KEY_BYTES : pos), 0);
            }
        }
        return pos == f.length;
    }

    /**
     * The str at {@code pos} (a LEB128 length of at most 4 bytes, then the bytes) as start << 32 | length; -1 when it
     * runs past the frame or {@code pos} is -1.
     */
    private static long str(byte[] f, int pos) {
        if (pos < 0) {
            return -1;
        }
        int n = 0;
        for (int shift = 0; shift < 28; shift += 7) {
            if (pos >= f.length) {
                return -1;
            }
            int c = f[pos++] & 0xFF;
            n |= (c & 0x7F) << shift;
            if ((c & 0x80) == 0) {
                return n <= f.length - pos ? ((long) pos << 32) | n : -1;
            }
        }
        return -1;
    }

    /** Where the bytes {@code skip} after {@code str} begin; -1 after a str that was -1. */
    private static int after(long str, int skip) {
        return str < 0 ? -1 : start(str) + len(str) + skip;
    }

    private static int start(long str) {
        return (int) (str >>> 32);
    }

    private static int len(long str) {
        return (int) str;
    }

    /** True when every byte of the str is printable ASCII other than a quote or a backslash (no JSON escape). */
    private static boolean plain(byte[] f, long str) {
        for (int i = start(str); i < after(str, 0); i++) {
            byte c = f[i];
            if (c < 0x20 || c == '"' || c == '\\' || c == 0x7F) {
                return false;
            }
        }
        return true;
    }
}
