package dev.claudemesh.broker.netty.pipeline;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.channels.ClosedChannelException;
import java.util.concurrent.TimeUnit;

/**
 * The lingering close of RFC 9112 §9.6 (RFC 7230 §6.6) for every HTTP answer after which the broker ends the
 * connection: 413, 400, 414, 431, 408, the 404 of an upgrade elsewhere than {@code /ws}. One per channel, first after
 * TLS ({@code [tls] → httpLinger → httpCodec → …}), working on bytes; removed at the WebSocket upgrade, where
 * {@link WebSocketCloseHandler} takes over. All methods run on the channel's loop.
 *
 * <p>Such answers often go out while the client is still sending its request (the rest of an oversized body, of an
 * oversized head, of a request that came too slowly). Closing the socket at once with unread or still-arriving
 * input makes the kernel answer with a reset, and a reset may destroy the answer before the client read it (the HTTP
 * twin of issue 11 §2; {@code HookIT}'s 413 failed now and then with "header parser received no bytes"). So
 * {@link #answerAndClose} instead
 * <ol>
 *   <li>stops the connection: inbound bytes no longer reach the HTTP codec (no further request is served), and
 *       nothing written after the answer goes out (such writes fail with {@link ClosedChannelException});</li>
 *   <li>writes the answer, then half-closes: TLS {@code close_notify}, then the TCP write side
 *       ({@link DuplexChannel#shutdownOutput()}), so a client reading to the end sees EOF at once;</li>
 *   <li>keeps reading and releases what arrives, and closes when the client closes (its FIN), after
 *       {@code lingerMs}, or once more than {@code maxLingerBytes} were discarded, whichever comes first. A client
 *       that keeps sending cannot hold the socket past either bound; beyond the byte bound the close may reset.</li>
 * </ol>
 *
 * <p>It also tells the request deadline whether part of a request has arrived ({@link #requestStarted()}): such a
 * request gets 408, an idle keep-alive connection is closed without a word (RFC 9112 §9.5).</p>
 */
public final class HttpLingeringClose extends ChannelDuplexHandler {

    private static final Logger log = LoggerFactory.getLogger(HttpLingeringClose.class);

    private final long lingerMs;
    private final long maxLingerBytes;
    private ChannelHandlerContext ctx;
    /** An answer that ends the connection went out: input is discarded, later writes fail. */
    private boolean closing;
    /** True only while the closing answer itself passes, so that its bytes are let through. */
    private boolean writingAnswer;
    /** Bytes arrived since the last complete request reached the router. */
    private boolean requestStarted;
    private long discardedBytes;
    private ScheduledFuture<?> timer;

    /**
     * @param lingerMs       how long, after the closing answer, to keep reading and discarding before closing TCP
     * @param maxLingerBytes how many discarded bytes end the lingering early
     */
    public HttpLingeringClose(long lingerMs, long maxLingerBytes) {
        if (lingerMs <= 0) {
            throw new IllegalArgumentException("lingerMs: " + lingerMs + " (expected: > 0)");
        }
        if (maxLingerBytes <= 0) {
            throw new IllegalArgumentException("maxLingerBytes: " + maxLingerBytes + " (expected: > 0)");
        }
        this.lingerMs = lingerMs;
        this.maxLingerBytes = maxLingerBytes;
    }

    /**
     * Writes {@code answer} (it must say {@code Connection: close}) and ends the connection the lingering way. A
     * second closing answer is dropped. On a channel without this handler (one not built by
     * {@link BrokerChannelInitializer}) the answer is written and the channel closed once it went out. On the loop.
     */
    public static void answerAndClose(ChannelHandlerContext ctx, FullHttpResponse answer) {
        HttpLingeringClose linger = ctx.pipeline().get(HttpLingeringClose.class);
        if (linger == null) {
            ctx.writeAndFlush(answer).addListener(ChannelFutureListener.CLOSE);
        } else {
            linger.answer(ctx, answer);
        }
    }

    /** A closing answer went out: the connection is lingering and serves nothing more. */
    boolean closing() {
        return closing;
    }

    /** Bytes arrived since the last complete request: a request is under way. */
    boolean requestStarted() {
        return requestStarted;
    }

    /** The router received a complete request: what arrived so far is accounted for. */
    void requestComplete() {
        requestStarted = false;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    private void answer(ChannelHandlerContext from, FullHttpResponse answer) {
        if (closing) {
            answer.release();
            return;
        }
        closing = true;
        timer = ctx.executor().schedule(this::lingerElapsed, lingerMs, TimeUnit.MILLISECONDS);
        ChannelFuture written;
        writingAnswer = true;
        try {
            // the write runs through the codec and this handler on this very call (we are on the loop)
            written = from.writeAndFlush(answer);
        } finally {
            writingAnswer = false;
        }
        written.addListener(f -> {
            if (f.isSuccess()) {
                halfClose();
            } else {
                ctx.close();
            }
        });
        readIfPaused();
    }

    /**
     * Shuts the write side once the answer is out: TLS's {@code close_notify} first (it goes after the answer), then
     * TCP's FIN. A client that reads to the end now sees EOF; its own close ends the lingering.
     */
    private void halfClose() {
        SslHandler ssl = ctx.pipeline().get(SslHandler.class);
        ChannelFuture notified = ssl != null ? ssl.closeOutbound() : ctx.newSucceededFuture();
        notified.addListener(f -> {
            if (ctx.channel() instanceof DuplexChannel duplex && duplex.isActive()) {
                duplex.shutdownOutput().addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
            }
        });
    }

    private void lingerElapsed() {
        if (ctx.channel().isOpen()) {
            log.debug("http channel {}: lingered {} ms after its closing answer ({} bytes discarded), closing",
                    ctx.channel().id(), lingerMs, discardedBytes);
            ctx.close();
        }
    }

    // ------------------------------------------------------------------------------------------ inbound

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!closing) {
            if (msg instanceof ByteBuf b && b.isReadable()) {
                requestStarted = true;
            }
            ctx.fireChannelRead(msg);
            return;
        }
        discardedBytes += msg instanceof ByteBuf b ? b.readableBytes()
                : msg instanceof ByteBufHolder h ? h.content().readableBytes() : 0;
        ReferenceCountUtil.release(msg);
        if (discardedBytes > maxLingerBytes) {
            log.debug("http channel {}: over {} bytes after its closing answer, closing", ctx.channel().id(),
                    maxLingerBytes);
            ctx.close();
            return;
        }
        readIfPaused();
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (!closing) {
            ctx.fireChannelReadComplete();
        }
    }

    /** The client's FIN, when the channel allows half-closure (otherwise Netty closes the channel itself). */
    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (closing && evt instanceof ChannelInputShutdownEvent) {
            ctx.close();
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    /**
     * Discarding must go on while reading is paused ({@code autoRead} off): a socket that is not read cannot see the
     * client's FIN, and its unread bytes would turn the final close into a reset.
     */
    private void readIfPaused() {
        if (!ctx.channel().config().isAutoRead()) {
            ctx.read();
        }
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

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    // ------------------------------------------------------------------------------------------ outbound

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (!closing || writingAnswer) {
            ctx.write(msg, promise);
            return;
        }
        // nothing may follow the closing answer (a route answering late, a pipelined request)
        ReferenceCountUtil.release(msg);
        if (!promise.isVoid()) { // a void promise would report the failure as an exception in the pipeline
            promise.setFailure(new ClosedChannelException());
        }
    }
}
