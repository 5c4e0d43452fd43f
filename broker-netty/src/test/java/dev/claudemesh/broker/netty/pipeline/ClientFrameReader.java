package dev.claudemesh.broker.netty.pipeline;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
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
 * for bytes the decoder rejects. Unlike a client, it keeps decoding after a close frame (a fresh decoder from the next
 * buffer: the local transport delivers each write as one), so a test sees anything the server wrote after its close.
 * Runs on the client channel's loop.
 */
final class ClientFrameReader extends ChannelInboundHandlerAdapter {

    private final BlockingQueue<String> received;
    private EmbeddedChannel decoder = newDecoder();

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
            decoder.writeInbound(bytes);
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
        ctx.fireChannelInactive();
    }
}
