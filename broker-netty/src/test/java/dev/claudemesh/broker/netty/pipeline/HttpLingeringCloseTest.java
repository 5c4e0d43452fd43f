package dev.claudemesh.broker.netty.pipeline;

import dev.claudemesh.broker.core.BrokerMetrics;
import dev.claudemesh.broker.core.BrokerSettings;
import dev.claudemesh.broker.core.mesh.Broker;
import dev.claudemesh.broker.core.testing.FakeDirectory;
import dev.claudemesh.broker.core.testing.FakeDurableLog;
import dev.claudemesh.broker.core.testing.ManualClock;
import dev.claudemesh.broker.core.testing.ManualLoop;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * The lingering close of HTTP answers that end the connection ({@link HttpLingeringClose}, RFC 9112 §9.6), on the
 * whole HTTP pipeline of {@link BrokerChannelInitializer} over an {@link EmbeddedChannel} that can half-close, with
 * frozen time: the answer goes out, then the write side is shut, what the client still sends is released unread, and
 * the socket closes at the client's FIN, the time bound or the byte bound — never before. Each test ends with
 * {@code assertFalse(ch.finish())}; paranoid leak detection fails any buffer left unreleased.
 */
class HttpLingeringCloseTest {

    private static final int MAX_BODY = 1024;
    private static final long REQUEST_TIMEOUT_MS = 30_000;
    private static final long LINGER_MS = 2_000;
    private static final long LINGER_MAX_BYTES = 64 * 1024;
    private static final String TOO_LARGE = "{\"ok\":false,\"error\":\"payload too large\"}";

    /** An {@link EmbeddedChannel} that records its half-close (the embedded transport has none). */
    static final class HalfClosableChannel extends EmbeddedChannel implements DuplexChannel {
        /** Outbound messages written before the write side was shut; -1 while it is open. */
        int writtenBeforeShutdown = -1;

        @Override
        public boolean isInputShutdown() {
            return false;
        }

        @Override
        public ChannelFuture shutdownInput() {
            return shutdownInput(newPromise());
        }

        @Override
        public ChannelFuture shutdownInput(ChannelPromise promise) {
            return promise.setFailure(new UnsupportedOperationException("shutdownInput"));
        }

        @Override
        public boolean isOutputShutdown() {
            return writtenBeforeShutdown >= 0;
        }

        @Override
        public ChannelFuture shutdownOutput() {
            return shutdownOutput(newPromise());
        }

        @Override
        public ChannelFuture shutdownOutput(ChannelPromise promise) {
            writtenBeforeShutdown = outboundMessages().size();
            return promise.setSuccess();
        }

        @Override
        public boolean isShutdown() {
            return false;
        }

        @Override
        public ChannelFuture shutdown() {
            return shutdown(newPromise());
        }

        @Override
        public ChannelFuture shutdown(ChannelPromise promise) {
            return promise.setFailure(new UnsupportedOperationException("shutdown"));
        }
    }

    private final List<String> routed = new ArrayList<>();
    private Broker broker;
    private PipelineLimits limits;
    private HalfClosableChannel ch;
    /** read() calls that reached the transport. */
    private int reads;

    @BeforeEach
    void setUp() {
        ManualClock clock = new ManualClock(1_700_000_000_000L);
        broker = new Broker(BrokerSettings.defaults(), clock, new ManualLoop(clock), new FakeDirectory(),
                new FakeDurableLog(), new BrokerMetrics());
        limits = new PipelineLimits(MAX_BODY + 16384, MAX_BODY, 8192, REQUEST_TIMEOUT_MS, 30_000, 75_000, 10_000,
                1 << 20).withHttpLinger(LINGER_MS, LINGER_MAX_BYTES);
        ch = channel(keepAliveRoutes());
    }

    @AfterEach
    void tearDown() {
        ch.releaseOutbound();
    }

    /** Routes that answer 200 keep-alive (the way {@code HttpExchange} answers a keep-alive request). */
    private HttpRouter.HttpHandler keepAliveRoutes() {
        return (ctx, req) -> {
            routed.add(req.method() + " " + req.uri() + " " + req.content().toString(StandardCharsets.UTF_8));
            req.release();
            FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                    Unpooled.copiedBuffer("{\"ok\":true}", StandardCharsets.UTF_8));
            HttpUtil.setContentLength(res, res.content().readableBytes());
            ctx.writeAndFlush(res);
        };
    }

    private HalfClosableChannel channel(HttpRouter.HttpHandler routes) {
        HalfClosableChannel c = new HalfClosableChannel();
        c.freezeTime();
        c.pipeline().addLast(new ChannelOutboundHandlerAdapter() {
            @Override
            public void read(ChannelHandlerContext ctx) {
                reads++;
                ctx.read();
            }
        });
        c.pipeline().addLast(new BrokerChannelInitializer(broker, routes, limits, null, null));
        return c;
    }

    private static ByteBuf ascii(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.US_ASCII);
    }

    /** All the server wrote, as "status body" per response (and each response's Connection header). */
    private List<String> responses() {
        EmbeddedChannel client = new EmbeddedChannel(new HttpClientCodec(), new HttpObjectAggregator(1 << 20));
        ByteBuf out;
        while ((out = ch.readOutbound()) != null) {
            client.writeInbound(out);
        }
        List<String> all = new ArrayList<>();
        FullHttpResponse res;
        while ((res = client.readInbound()) != null) {
            all.add(res.status().code() + " " + res.content().toString(StandardCharsets.UTF_8)
                    + (res.headers().contains(HttpHeaderNames.CONNECTION, "close", true) ? " [close]" : ""));
            res.release();
        }
        assertFalse(client.finish());
        return all;
    }

    /** Writes {@code bytes} zero bytes as the client's next packet; returns the buffer (released once read). */
    private ByteBuf sendBody(int bytes) {
        ByteBuf body = Unpooled.wrappedBuffer(new byte[bytes]);
        ch.writeInbound(body);
        return body;
    }

    private void advanceMs(long ms) {
        ch.advanceTimeBy(ms, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
    }

    private void startOversizedPost() {
        ch.writeInbound(ascii("POST /hook/set-status HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n"
                + "{\"cwd\":\"/w\""));
        assertThat(responses()).containsExactly("413 " + TOO_LARGE + " [close]");
    }

    // ------------------------------------------------------------------------------------------ lingering

    @Test
    void shouldAnswer413ThenHalfCloseAndDiscardTheRestOfTheBodyUntilTheClientCloses() {
        startOversizedPost();
        assertThat(ch.writtenBeforeShutdown).as("the write side is shut after the answer").isPositive();
        List<ByteBuf> rest = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            rest.add(sendBody(4096));
            advanceMs(100);
        }
        assertThat(rest).allSatisfy(b -> assertThat(b.refCnt()).as("discarded and released").isZero());
        assertThat(ch.isActive()).as("still reading the rest of the body").isTrue();
        assertThat(routed).isEmpty();
        assertThat(responses()).isEmpty();

        ch.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE); // the client's FIN
        assertThat(ch.isOpen()).isFalse();
        assertFalse(ch.finish());
    }

    @Test
    void shouldCloseAtTheTimeBoundWhileTheClientKeepsSending() {
        startOversizedPost();
        for (long t = 0; t < LINGER_MS - 100; t += 100) {
            sendBody(100);
            advanceMs(100);
        }
        advanceMs(99);
        assertThat(ch.isActive()).as("%d ms after the answer", LINGER_MS - 1).isTrue();
        sendBody(100);
        advanceMs(1);
        assertThat(ch.isOpen()).as("%d ms after the answer", LINGER_MS).isFalse();
        assertThat(responses()).isEmpty();
        assertFalse(ch.finish());
    }

    @Test
    void shouldCloseOnceTheClientSentMoreThanTheByteBound() {
        startOversizedPost();
        sendBody((int) LINGER_MAX_BYTES - 1);
        ByteBuf last = sendBody(1);
        assertThat(ch.isActive()).as("exactly the bound").isTrue();
        ByteBuf over = sendBody(1);
        assertThat(ch.isOpen()).as("one byte over the bound").isFalse();
        assertThat(last.refCnt()).isZero();
        assertThat(over.refCnt()).isZero();
        assertFalse(ch.finish());
    }

    @Test
    void shouldKeepReadingWhileReadingIsPaused() {
        ch.config().setAutoRead(false);
        int before = reads;
        startOversizedPost();
        assertThat(reads).as("a read when the lingering starts").isGreaterThan(before);
        int afterAnswer = reads;
        sendBody(100);
        sendBody(100);
        assertThat(reads).as("a read after each discarded buffer").isEqualTo(afterAnswer + 2);
        advanceMs(LINGER_MS);
        assertThat(ch.isOpen()).isFalse();
        assertFalse(ch.finish());
    }

    @Test
    void shouldServeNoRequestThatCameAfterTheOversizedBody() {
        // the whole oversized body and a pipelined request in one packet: the codec decodes the second request from
        // bytes it already holds, but the connection is closing and it must not be served
        ch.writeInbound(ascii("POST /hook/set-status HTTP/1.1\r\nHost: x\r\nContent-Length: " + (MAX_BODY + 1)
                + "\r\n\r\n" + "x".repeat(MAX_BODY + 1) + "POST /hook/set-status HTTP/1.1\r\nHost: x\r\n"
                + "Content-Length: 2\r\n\r\n{}"));
        assertThat(responses()).containsExactly("413 " + TOO_LARGE + " [close]");
        assertThat(routed).isEmpty();
        advanceMs(LINGER_MS);
        assertThat(ch.isOpen()).isFalse();
        assertFalse(ch.finish());
    }

    @Test
    void shouldFailWritesAfterTheClosingAnswer() {
        startOversizedPost();
        FullHttpResponse late = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                Unpooled.copiedBuffer("late", StandardCharsets.UTF_8));
        ChannelFuture f = ch.writeAndFlush(late);
        assertThat(f.cause()).isInstanceOf(ClosedChannelException.class);
        assertThat(late.refCnt()).isZero();
        assertThat(responses()).isEmpty();
        ch.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        assertFalse(ch.finish());
    }

    @Test
    void shouldAnswer431AndDiscardTheRestOfTheHead() {
        ch.writeInbound(ascii("GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(9_000)));
        assertThat(responses()).containsExactly("431 {\"error\":\"headers too large\"} [close]");
        assertThat(ch.isOutputShutdown()).isTrue();
        ByteBuf rest = sendBody(4096);
        assertThat(rest.refCnt()).isZero();
        assertThat(ch.isActive()).isTrue();
        advanceMs(LINGER_MS);
        assertThat(ch.isOpen()).isFalse();
        assertThat(routed).isEmpty();
        assertFalse(ch.finish());
    }

    // ------------------------------------------------------------------------------------------ request deadline

    @Test
    void shouldAnswer408ToARequestUnderWayAtTheDeadlineThenLinger() {
        ch.writeInbound(ascii("POST /hook/set-status HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"));
        advanceMs(REQUEST_TIMEOUT_MS - 1);
        assertThat(responses()).isEmpty();
        advanceMs(1);
        assertThat(responses()).containsExactly("408 {\"error\":\"request timeout\"} [close]");
        assertThat(ch.isOutputShutdown()).isTrue();
        ByteBuf more = sendBody(10);
        assertThat(more.refCnt()).isZero();
        advanceMs(LINGER_MS - 1);
        assertThat(ch.isActive()).isTrue();
        advanceMs(1);
        assertThat(ch.isOpen()).isFalse();
        assertThat(routed).isEmpty();
        assertFalse(ch.finish());
    }

    @Test
    void shouldCloseAnIdleKeepAliveConnectionSilentlyAtTheDeadline() {
        ch.writeInbound(ascii("POST /hook/set-status HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}"));
        assertThat(responses()).containsExactly("200 {\"ok\":true}");
        advanceMs(REQUEST_TIMEOUT_MS);
        assertThat(ch.isOpen()).isFalse();
        assertThat(responses()).as("no 408 for a request the client never sent").isEmpty();
        assertThat(ch.isOutputShutdown()).isFalse();
        assertFalse(ch.finish());
    }

    // ------------------------------------------------------------------------------------------ keep-alive

    @Test
    void shouldServeKeepAliveRequestsWithSmallBodiesOnOneConnection() {
        for (int i = 0; i < 3; i++) {
            ch.writeInbound(ascii("POST /hook/set-status HTTP/1.1\r\nHost: x\r\nContent-Length: 7\r\n\r\n{\"n\":" + i
                    + "}"));
            assertThat(responses()).containsExactly("200 {\"ok\":true}");
        }
        assertThat(routed).containsExactly("POST /hook/set-status {\"n\":0}", "POST /hook/set-status {\"n\":1}",
                "POST /hook/set-status {\"n\":2}");
        assertThat(ch.isActive()).isTrue();
        assertThat(ch.isOutputShutdown()).isFalse();
        ch.close();
        assertFalse(ch.finish());
    }

    @Test
    void shouldAnswerAnOversizedExpectContinueWithJson413AndTheLingeringClose() {
        ch.writeInbound(ascii("POST /hook/set-status HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: "
                + (MAX_BODY + 1) + "\r\n\r\n"));
        assertThat(responses()).as("no 100, the protocol's 413").containsExactly("413 " + TOO_LARGE + " [close]");
        assertThat(ch.isOutputShutdown()).isTrue();
        // a client that sends the refused body anyway: dropped, never parsed as a request
        ByteBuf body = Unpooled.copiedBuffer("x".repeat(MAX_BODY + 1) + "GET /health HTTP/1.1\r\n\r\n",
                StandardCharsets.US_ASCII);
        ch.writeInbound(body);
        assertThat(body.refCnt()).isZero();
        assertThat(routed).isEmpty();
        assertThat(responses()).isEmpty();
        ch.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        assertThat(ch.isOpen()).isFalse();
        assertFalse(ch.finish());
    }

    @Test
    void shouldStillAnswer100ContinueToABodyWithinTheLimit() {
        ch.writeInbound(ascii("POST /hook/set-status HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                + "Content-Length: 2\r\n\r\n"));
        ByteBuf cont = ch.readOutbound();
        assertThat(cont.toString(StandardCharsets.US_ASCII)).startsWith("HTTP/1.1 100 Continue");
        cont.release();
        ch.writeInbound(ascii("{}"));
        assertThat(responses()).containsExactly("200 {\"ok\":true}");
        assertThat(routed).containsExactly("POST /hook/set-status {}");
        assertThat(ch.isOutputShutdown()).isFalse();
        ch.close();
        assertFalse(ch.finish());
    }

    @Test
    void shouldWriteAndCloseAtOnceWithoutTheLingeringHandler() {
        EmbeddedChannel plain = new EmbeddedChannel(new io.netty.channel.ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                io.netty.util.ReferenceCountUtil.release(msg);
                HttpRouter.sendPlain(ctx, HttpResponseStatus.BAD_REQUEST, "{\"error\":\"bad request\"}");
            }
        });
        plain.writeInbound(ascii("x"));
        FullHttpResponse res = plain.readOutbound();
        assertThat(res.status().code()).isEqualTo(400);
        res.release();
        assertThat(plain.isOpen()).isFalse();
        assertFalse(plain.finish());
        ch.close();
        assertFalse(ch.finish());
    }
}
