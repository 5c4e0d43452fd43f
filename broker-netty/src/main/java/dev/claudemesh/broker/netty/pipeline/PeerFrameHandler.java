package dev.claudemesh.broker.netty.pipeline;

import dev.claudemesh.broker.core.mesh.Broker;
import dev.claudemesh.broker.core.envelope.BinaryWire;
import dev.claudemesh.broker.core.envelope.WireFormat;
import dev.claudemesh.broker.core.mesh.PeerSession;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

/**
 * The edge between WebSocket frames and the domain (STYLE habit 3): copies each complete text or binary
 * message's bytes once and hands them to the socket's {@link PeerSession} (to its binary decoder on a connection of
 * the binary subprotocol, where a text frame is answered {@code bad_request}); answers pings; runs the liveness ping
 * (every {@code pingMs}, terminate after {@code staleMs} without inbound traffic) and the hello deadline.
 * Every close the broker starts goes through {@link NettyPeerConnection#close}, which writes the close frame; the
 * {@link WebSocketCloseHandler} before this handler runs the closing handshake and stops frames from reaching it.
 * One instance per channel; all methods run on the channel's event loop. Releases every frame it receives.
 */
public final class PeerFrameHandler extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(PeerFrameHandler.class);

    private final Broker broker;
    private final long pingMs;
    private final long staleMs;
    private final long helloTimeoutMs;
    private final long maxPendingBytes;
    private final WireFormat format;
    private NettyPeerConnection conn;
    private PeerSession session;
    private long lastInboundNanos;
    private ScheduledFuture<?> pingTask;
    private ScheduledFuture<?> helloTask;

    public PeerFrameHandler(Broker broker, long pingMs, long staleMs, long helloTimeoutMs, long maxPendingBytes) {
        this(broker, pingMs, staleMs, helloTimeoutMs, maxPendingBytes, WireFormat.JSON);
    }

    /** @param format the encoding chosen at the upgrade ({@code Sec-WebSocket-Protocol}) */
    public PeerFrameHandler(Broker broker, long pingMs, long staleMs, long helloTimeoutMs, long maxPendingBytes,
                            WireFormat format) {
        this.format = format;
        this.broker = broker;
        this.pingMs = pingMs;
        this.staleMs = staleMs;
        this.helloTimeoutMs = helloTimeoutMs;
        this.maxPendingBytes = maxPendingBytes;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        conn = new NettyPeerConnection(ctx.channel(), maxPendingBytes, broker.metrics().slowConsumerCloses, format);
        session = broker.open(conn);
        lastInboundNanos = System.nanoTime();
        pingTask = ctx.executor().scheduleAtFixedRate(() -> livenessTick(ctx), pingMs, pingMs, TimeUnit.MILLISECONDS);
        helloTask = ctx.executor().schedule(() -> {
            if (!session.authenticated() && ctx.channel().isActive()) {
                log.info("conn {} hello_timeout", conn.id());
                conn.close(1008, "hello_timeout");
            }
        }, helloTimeoutMs, TimeUnit.MILLISECONDS);
        log.debug("conn {} websocket open from {}", conn.id(), conn.remoteAddress());
    }

    private void livenessTick(ChannelHandlerContext ctx) {
        if (System.nanoTime() - lastInboundNanos > TimeUnit.MILLISECONDS.toNanos(staleMs)) {
            log.info("conn {} stale (no pong), terminating", conn.id());
            ctx.close();
            return;
        }
        ctx.writeAndFlush(new PingWebSocketFrame());
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        lastInboundNanos = System.nanoTime();
        try {
            if (format == WireFormat.BINARY && msg instanceof TextWebSocketFrame) {
                session.onUnreadableFrame("text frame on a " + BinaryWire.SUBPROTOCOL + " connection");
            } else if (msg instanceof TextWebSocketFrame || msg instanceof BinaryWebSocketFrame) {
                ByteBuf content = ((WebSocketFrame) msg).content();
                int len = content.readableBytes();
                byte[] bytes;
                int off;
                byte[] borrowed = null;
                if (content.hasArray()) {
                    bytes = content.array();
                    off = content.arrayOffset() + content.readerIndex();
                } else {
                    // the pool's frames are direct: copied into this thread's scratch array, not a new one per frame
                    // (the session keeps nothing of the bytes past the call: PeerSession.onFrame)
                    borrowed = FrameScratch.borrow(len);
                    bytes = borrowed;
                    off = 0;
                    content.getBytes(content.readerIndex(), bytes, 0, len);
                }
                try {
                    if (format == WireFormat.BINARY) {
                        session.onBinaryFrame(bytes, off, len);
                    } else {
                        session.onFrame(bytes, off, len);
                    }
                } finally {
                    FrameScratch.giveBack(borrowed);
                }
            } else if (msg instanceof PingWebSocketFrame ping) {
                // A ping flood from a peer that does not read would queue pongs without bound. RFC 6455 §5.5.3 lets
                // an endpoint answer only the most recent ping, so pongs are skipped while the socket is unwritable.
                if (ctx.channel().isWritable()) {
                    ctx.writeAndFlush(new PongWebSocketFrame(ping.content().retain()));
                }
            }
            // pongs count for liveness only; close frames never get here (the WebSocketCloseHandler answers them)
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancelTimers();
        session.onClosed();
        log.debug("conn {} closed", conn.id());
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancelTimers();
    }

    private void cancelTimers() {
        if (pingTask != null) {
            pingTask.cancel(false);
        }
        if (helloTask != null) {
            helloTask.cancel(false);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof TooLongFrameException
                || (cause instanceof CorruptedWebSocketFrameException c && c.closeStatus() != null
                && c.closeStatus().code() == 1009)) {
            log.info("conn {} frame too big, closing 1009", conn.id());
            conn.close(1009, null);
        } else if (cause instanceof CorruptedWebSocketFrameException c) {
            int code = c.closeStatus() != null ? c.closeStatus().code() : 1002;
            log.info("conn {} protocol violation ({}), closing {}", conn.id(), c.getMessage(), code);
            conn.close(code, null);
        } else if (cause instanceof CorruptedFrameException) {
            log.info("conn {} corrupted frame, closing 1002", conn.id());
            conn.close(1002, null);
        } else if (cause instanceof IOException || cause instanceof PrematureChannelClosureException) {
            // the peer went away (mid-message, for the aggregator's exception): its doing, not ours, so no ERROR
            log.debug("conn {} io error: {}", conn.id(), cause.toString());
            ctx.close();
        } else {
            log.error("conn {} unexpected error, closing", conn.id(), cause);
            conn.close(1011, "internal_error");
        }
    }
}
