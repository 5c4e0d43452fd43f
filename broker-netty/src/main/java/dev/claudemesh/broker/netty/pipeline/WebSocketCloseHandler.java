package dev.claudemesh.broker.netty.pipeline;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.channels.ClosedChannelException;
import java.util.concurrent.TimeUnit;

/**
 * The closing handshake of RFC 6455 §7, in both directions, for every close of a WebSocket connection (one per
 * channel, between the frame aggregator and the {@link PeerFrameHandler}; all methods run on the channel's loop).
 *
 * <p><b>The broker closes</b> (1009, 1002, the 1008 hello rejections and timeouts, 4002 {@code banned}, 1000
 * {@code session_replaced}, 1001 shutdown, {@code slow_consumer}, 1011): whoever closes simply writes a
 * {@link CloseWebSocketFrame}; this handler then
 * <ol>
 *   <li>stops the connection: no frame reaches the peer handler any more, and nothing written after the close frame
 *       goes out (RFC 6455 §5.5.1; such writes fail with {@link ClosedChannelException});</li>
 *   <li>keeps reading and discards what arrives, so that the client's still-arriving bytes (the rest of an
 *       oversized frame, for a 1009) never meet a closed socket: closing TCP with unread or still-arriving input
 *       makes the kernel answer with a reset, and a reset may destroy the close frame before the client read it
 *       (issue 11 §2);</li>
 *   <li>closes TCP when the peer's close frame arrives (the server closes first, §7.1.1), when the peer closes TCP,
 *       or {@code handshakeTimeoutMs} after the close frame went out, whichever comes first.</li>
 * </ol>
 * A close frame that cannot go out within {@code flushTimeoutMs} (a peer that does not read, with the frame queued
 * behind everything pending for it) is given up: the socket is closed without it.
 *
 * <p>When the frame decoder itself failed ({@link CorruptedFrameException}: a protocol violation or a frame header
 * over the limit), the byte stream has no frame boundaries any more, so the peer's close frame cannot be recognised:
 * the decoder is replaced by a discarder that drops whole buffers (Netty's decoder would drop them one byte per
 * call) and the connection ends at the peer's TCP close or the timeout.</p>
 *
 * <p><b>The peer closes first</b>: the close frame is answered with the same code (none → 1000, a code RFC 6455
 * §7.4 does not allow on the wire → 1002), anything after it is discarded, and TCP is closed once the answer went out
 * (or after {@code flushTimeoutMs}).</p>
 *
 * <p>Modelled on Netty's {@code WebSocketProtocolHandler} (write-after-close fails, a forced close when the close frame
 * does not go out), plus the wait for the peer that Netty leaves to the application.</p>
 */
public final class WebSocketCloseHandler extends ChannelDuplexHandler {

    private static final Logger log = LoggerFactory.getLogger(WebSocketCloseHandler.class);

    /** Where the connection is in the closing handshake. */
    enum State {
        /** No close frame sent or received. */
        OPEN,
        /** The broker sent (or is sending) its close frame and waits for the peer's. */
        CLOSE_SENT,
        /** The peer's close frame came first; the answer is going out, then TCP closes. */
        CLOSE_RECEIVED
    }

    private final long flushTimeoutMs;
    private final long handshakeTimeoutMs;
    private State state = State.OPEN;
    /** The broker's close frame went out (CLOSE_SENT only). */
    private boolean closeFlushed;
    /** The peer's close frame arrived after the broker's was written (CLOSE_SENT only). */
    private boolean peerCloseSeen;
    /** The frame decoder failed: inbound bytes have no frame boundaries any more. */
    private boolean inboundCorrupt;
    private ScheduledFuture<?> timer;

    /**
     * @param flushTimeoutMs     how long a close frame may wait to go out before the socket is closed without it
     * @param handshakeTimeoutMs how long, after the broker's close frame went out, to wait for the peer's close
     */
    public WebSocketCloseHandler(long flushTimeoutMs, long handshakeTimeoutMs) {
        if (flushTimeoutMs <= 0) {
            throw new IllegalArgumentException("flushTimeoutMs: " + flushTimeoutMs + " (expected: > 0)");
        }
        if (handshakeTimeoutMs <= 0) {
            throw new IllegalArgumentException("handshakeTimeoutMs: " + handshakeTimeoutMs + " (expected: > 0)");
        }
        this.flushTimeoutMs = flushTimeoutMs;
        this.handshakeTimeoutMs = handshakeTimeoutMs;
    }

    /** The state of the handshake (tests). */
    State state() {
        return state;
    }

    // ------------------------------------------------------------------------------------------ inbound

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        switch (state) {
            case OPEN -> {
                if (msg instanceof CloseWebSocketFrame close) {
                    int code = close.statusCode();
                    close.release();
                    peerClosed(ctx, code);
                } else {
                    ctx.fireChannelRead(msg);
                }
            }
            case CLOSE_SENT -> {
                boolean closeFrame = msg instanceof CloseWebSocketFrame;
                ReferenceCountUtil.release(msg);
                if (closeFrame && !peerCloseSeen) {
                    peerCloseSeen = true;
                    if (closeFlushed) {
                        ctx.close();
                    }
                }
                readIfPaused(ctx);
            }
            case CLOSE_RECEIVED -> {
                ReferenceCountUtil.release(msg); // nothing may follow a close frame (RFC 6455 §5.5.1)
                readIfPaused(ctx);
            }
        }
    }

    /** The peer closed first: answer, then close TCP once the answer is out. */
    private void peerClosed(ChannelHandlerContext ctx, int code) {
        state = State.CLOSE_RECEIVED;
        // echo a valid code (none → 1000); a code RFC 6455 §7.4 does not allow on the wire → 1002. Netty's decoder
        // reads the code as a signed short and lets 5000..65535 through.
        int reply = code == -1 ? 1000 : validCloseCode(code) ? code : 1002;
        armTimer(ctx, flushTimeoutMs, true);
        // ctx.write starts below this handler, so the answer does not come back through write()
        ctx.writeAndFlush(new CloseWebSocketFrame(reply, null)).addListener(f -> ctx.close());
    }

    /** Close codes a peer may send (RFC 6455 §7.4): 1000–1003, 1007–1014 (IANA registry), 3000–4999. */
    static boolean validCloseCode(int code) {
        return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof CorruptedFrameException) {
            inboundCorrupt = true; // the decoder's; the peer handler will answer it with a close frame
        }
        ctx.fireExceptionCaught(cause);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancelTimer();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancelTimer();
    }

    // ------------------------------------------------------------------------------------------ outbound

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (state != State.OPEN) {
            ReferenceCountUtil.release(msg);
            if (!promise.isVoid()) { // a void promise would report the failure as an exception in the pipeline
                promise.setFailure(new ClosedChannelException());
            }
            return;
        }
        if (!(msg instanceof CloseWebSocketFrame)) {
            ctx.write(msg, promise);
            return;
        }
        state = State.CLOSE_SENT;
        if (inboundCorrupt) {
            discardInbound(ctx.pipeline());
        }
        armTimer(ctx, flushTimeoutMs, true);
        ChannelPromise sent = promise.unvoid();
        sent.addListener(f -> closeFrameWritten(ctx, f));
        ctx.write(msg, sent);
        readIfPaused(ctx);
    }

    private void closeFrameWritten(ChannelHandlerContext ctx, Future<?> f) {
        if (!f.isSuccess() || peerCloseSeen) {
            ctx.close();
            return;
        }
        closeFlushed = true;
        armTimer(ctx, handshakeTimeoutMs, false);
    }

    /**
     * The decoder lost the frame boundaries: swap it for a handler that drops whole buffers until the connection
     * ends. Its cumulated bytes were already skipped when it failed.
     */
    private static void discardInbound(ChannelPipeline p) {
        if (p.get(HandlerNames.WS_DECODER) != null) {
            p.replace(HandlerNames.WS_DECODER, HandlerNames.WS_DISCARD, new DiscardInbound());
        }
    }

    /**
     * Draining must go on while the broker pauses reading for back-pressure ({@code autoRead} off): a socket that is
     * not read cannot see the peer's close, and its unread bytes would turn the final close into a reset.
     */
    private static void readIfPaused(ChannelHandlerContext ctx) {
        if (!ctx.channel().config().isAutoRead()) {
            ctx.read();
        }
    }

    /**
     * Closes the socket after {@code delayMs} unless the handshake ends first. A close frame that does not go out is
     * worth an INFO line (a peer that stopped reading); a peer that does not answer the close is common and DEBUG.
     */
    private void armTimer(ChannelHandlerContext ctx, long delayMs, boolean flushing) {
        cancelTimer();
        timer = ctx.executor().schedule(() -> {
            if (!ctx.channel().isOpen()) {
                return;
            }
            if (flushing) {
                log.info("channel {} did not take its close frame within {} ms, dropping it", ctx.channel().id(),
                        delayMs);
            } else {
                log.debug("channel {}: no close from the peer within {} ms, closing", ctx.channel().id(), delayMs);
            }
            ctx.close();
        }, delayMs, TimeUnit.MILLISECONDS);
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
        cancelTimer();
        ctx.close(promise);
    }

    /** Drops every inbound message once the frame decoder has failed. Per channel. */
    static final class DiscardInbound extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
            if (!ctx.channel().config().isAutoRead()) {
                ctx.read();
            }
        }
    }
}
