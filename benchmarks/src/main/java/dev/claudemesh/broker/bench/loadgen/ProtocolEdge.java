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
        if ((flags & (BinaryWire.F_REQ_ID | BinaryWire.F_EXTRA)) != 0) {
            return null;
        }
        int pos = BinaryWire.HEADER_BYTES;
        if (type == BinaryWire.PUSH) {
            // messageId, meshId, senderPubkey(32), priority u8, createdAt i64, nonce, ciphertext, then by flag 1 the
            // client_message_id
            if ((flags & 1) == 0) {
                return null;
            }
            long messageId = str(f, pos);
            if (messageId < 0) {
                return null;
            }
            pos = end(messageId);
            long meshId = str(f, pos);
            if (meshId < 0) {
                return null;
            }
            pos = end(meshId) + BinaryWire.KEY_BYTES + 1 + 8;
            long nonce = str(f, pos);
            if (nonce < 0) {
                return null;
            }
            long ciphertext = str(f, end(nonce));
            if (ciphertext < 0) {
                return null;
            }
            long cmid = str(f, end(ciphertext));
            if (cmid < 0 || !plain(f, messageId) || !plain(f, cmid) || !pushEndsAt(f, end(cmid), flags)) {
                return null;
            }
            ByteBuf out = alloc.buffer(Wire.PUSH.length + 80 + len(cmid));
            out.writeBytes(Wire.PUSH);
            out.writeBytes(f, start(messageId), len(messageId));
            out.writeBytes(PUSH_CMID);
            out.writeBytes(f, start(cmid), len(cmid));
            return out.writeBytes(END);
        }
        if (type == BinaryWire.ACK) {
            // by flag 1 the id, 2 the client_message_id, 4 the error; then messageId and queued u8
            if ((flags & 1) == 0) {
                return null;
            }
            long id = str(f, pos);
            if (id < 0) {
                return null;
            }
            pos = end(id);
            if ((flags & 2) != 0) {
                long cmid = str(f, pos);
                if (cmid < 0) {
                    return null;
                }
                pos = end(cmid);
            }
            long error = -1;
            if ((flags & 4) != 0) {
                error = str(f, pos);
                if (error < 0) {
                    return null;
                }
                pos = end(error);
            }
            long messageId = str(f, pos);
            if (messageId < 0 || end(messageId) + 1 != f.length || !plain(f, id) || !plain(f, messageId)
                    || (error >= 0 && !plain(f, error))) {
                return null;
            }
            boolean queued = f[end(messageId)] == 1;
            ByteBuf out = alloc.buffer(Wire.ACK.length + 96 + (error >= 0 ? len(error) : 0));
            out.writeBytes(Wire.ACK);
            out.writeBytes(f, start(id), len(id));
            out.writeBytes(ACK_MESSAGE_ID);
            out.writeBytes(f, start(messageId), len(messageId));
            if (queued) {
                return out.writeBytes(QUEUED_TRUE_END);
            }
            out.writeBytes(QUEUED_FALSE_ERROR);
            if (error >= 0) {
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
            if ((flags & bit) == 0) {
                continue;
            }
            if (bit == 8) {
                pos += BinaryWire.KEY_BYTES;
            }
            long field = pos <= f.length ? str(f, pos) : -1;
            if (field < 0) {
                return false;
            }
            pos = end(field);
        }
        return pos == f.length;
    }

    /** The str at {@code pos} (a LEB128 length of at most 4 bytes, then the bytes) as start << 32 | length, or -1. */
    private static long str(byte[] f, int pos) {
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

    private static int start(long str) {
        return (int) (str >>> 32);
    }

    private static int len(long str) {
        return (int) str;
    }

    private static int end(long str) {
        return start(str) + len(str);
    }

    /** True when every byte of the str is printable ASCII other than a quote or a backslash (no JSON escape). */
    private static boolean plain(byte[] f, long str) {
        for (int i = start(str); i < end(str); i++) {
            byte c = f[i];
            if (c < 0x20 || c == '"' || c == '\\' || c == 0x7F) {
                return false;
            }
        }
        return true;
    }
}
