package dev.claudemesh.broker.bench.loadgen;

import dev.claudemesh.broker.core.envelope.BinaryClientCodec;
import dev.claudemesh.broker.core.envelope.JsonOut;
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
}
