package dev.claudemesh.broker.netty.pipeline;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;

import java.util.HexFormat;
import java.util.concurrent.BlockingQueue;

/**
 * The client side of a test channel that carries the server's WebSocket bytes: decodes them with Netty's own client
 * decoder (unmasked frames expected, no extensions, final frames only as the broker writes them) and records each
 * frame as text: the text of a text frame, {@code "binary <hex>"}, {@code "close <code>"}, or {@code "error <cause>"}
 * for bytes the decoder rejects. Unlike a client, it keeps decoding after a close frame (a fresh decoder for the next
 * frame), so a test sees anything the server wrote after its close. It hands the decoder one whole frame at a time:
 * the local transport merges the buffers waiting in a channel's inbound queue into one read (Netty 4.2), and Netty's
 * decoder drops every byte after a close frame in the buffer it is given, so frames written right after a close
 * would otherwise vanish when their bytes arrived in the same read. Runs on the client channel's loop.
 */
final class ClientFrameReader extends ChannelInboundHandlerAdapter {

    private final BlockingQueue<String> received;
    private EmbeddedChannel decoder = newDecoder();
    /** Bytes read and not yet a whole frame. */
    private final ByteBuf pending = Unpooled.buffer();

    ClientFrameReader(BlockingQueue<String> received) {
        this.received = received;
    }

    private static EmbeddedChannel newDecoder() {
        return new EmbeddedChannel(new WebSocket13FrameDecoder(WebSocketDecoderConfig.newBuilder()
                .expectMaskedFrames(false)
                .allowMaskMismatch(false)
                .allowExtensions(false)
                .maxFramePayloadLength(1 << 20)
                .build()));
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf bytes)) {
            received.add("error not bytes: " + msg.getClass().getSimpleName());
            ReferenceCountUtil.release(msg);
            return;
        }
        try {
            pending.writeBytes(bytes);
        } finally {
            bytes.release();
        }
        for (int n; (n = frameLength(pending)) > 0 && pending.readableBytes() >= n; ) {
            decode(pending.readRetainedSlice(n));
        }
        pending.discardReadBytes();
    }

    /** The length of the frame at {@code buf}'s reader index, header included; 0 while its header is incomplete. */
    private static int frameLength(ByteBuf buf) {
        int r = buf.readerIndex();
        if (buf.readableBytes() < 2) {
            return 0;
        }
        int second = buf.getUnsignedByte(r + 1);
        int mask = (second & 0x80) != 0 ? 4 : 0;
        int len7 = second & 0x7F;
        if (len7 < 126) {
            return 2 + mask + len7;
        }
        int header = len7 == 126 ? 4 : 10;
        if (buf.readableBytes() < header) {
            return 0;
        }
        long len = len7 == 126 ? buf.getUnsignedShort(r + 2) : buf.getLong(r + 2);
        return Math.toIntExact(header + mask + len);
    }

    /** Decodes one whole frame (released here). */
    private void decode(ByteBuf frame) {
        try {
            decoder.writeInbound(frame);
        } catch (RuntimeException e) {
            received.add("error " + e);
            decoder.finishAndReleaseAll();
            decoder = newDecoder();
            return;
        }
        for (Object o; (o = decoder.readInbound()) != null; ) {
            WebSocketFrame f = (WebSocketFrame) o;
            try {
                if (!f.isFinalFragment() || f.rsv() != 0) {
                    received.add("error fragment or rsv");
                } else if (f instanceof TextWebSocketFrame t) {
                    received.add(t.text());
                } else if (f instanceof BinaryWebSocketFrame) {
                    received.add("binary " + HexFormat.of().formatHex(ByteBufUtil.getBytes(f.content())));
                } else if (f instanceof CloseWebSocketFrame c) {
                    received.add("close " + c.statusCode());
                    decoder.finishAndReleaseAll(); // Netty's decoder drops everything after a close
                    decoder = newDecoder();
                } else {
                    received.add("error unexpected " + f.getClass().getSimpleName());
                }
            } finally {
                f.release();
            }
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        decoder.finishAndReleaseAll();
        pending.release();
        ctx.fireChannelInactive();
    }
}
