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
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket08FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocket08FrameEncoder;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The whole per-connection pipeline on an {@link EmbeddedChannel}: routing, the upgrade, frame decoding and the
 * error paths, with client frames encoded (masked) and server frames decoded by Netty's own codecs.
 */
class PipelineTest {

    private static final int MAX_MESSAGE = 1024;
    private static final long REQUEST_TIMEOUT_MS = 30_000;

    private EmbeddedChannel ch;
    private Broker broker;
    private PipelineLimits limits;
    private EmbeddedChannel clientEncoder;
    private EmbeddedChannel clientDecoder;
    private final List<String> httpCalls = new ArrayList<>();

    @BeforeEach
    void setUp() {
        ManualClock clock = new ManualClock(1_700_000_000_000L);
        ManualLoop loop = new ManualLoop(clock);
        broker = new Broker(BrokerSettings.defaults(), clock, loop, new FakeDirectory(), new FakeDurableLog(),
                new BrokerMetrics());
        limits = new PipelineLimits(MAX_MESSAGE + 16384, MAX_MESSAGE, 8192, REQUEST_TIMEOUT_MS, 30_000, 75_000,
                10_000, 1 << 20);
        HttpRouter.HttpHandler http = (ctx, req) -> {
            try {
                httpCalls.add(req.method() + " " + req.uri());
                HttpRouter.sendPlain(ctx, HttpResponseStatus.OK, "{\"ok\":true}");
            } finally {
                req.release();
            }
        };
        ch = new EmbeddedChannel();
        ch.freezeTime(); // timers advance only when a test says so
        ch.pipeline().addLast(new BrokerChannelInitializer(broker, http, limits, null, null));
        clientEncoder = new EmbeddedChannel(new WebSocket08FrameEncoder(true));
        clientDecoder = new EmbeddedChannel(new WebSocket08FrameDecoder(false, false, 1 << 20));
    }

    @AfterEach
    void tearDown() {
        assertNothingLeftOver(ch, "ch");
        assertNothingLeftOver(clientEncoder, "clientEncoder");
        assertNothingLeftOver(clientDecoder, "clientDecoder");
    }

    /** Every test reads all the server wrote: a frame left over is an answer the test did not check. */
    private static void assertNothingLeftOver(EmbeddedChannel channel, String name) {
        boolean leftOver = channel.finish();
        channel.releaseInbound();
        channel.releaseOutbound();
        assertThat(leftOver).as("%s: messages left over", name).isFalse();
    }

    private static ByteBuf ascii(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.US_ASCII);
    }

    private static String upgradeRequest(String path) {
        return "GET " + path + " HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    }

    private FullHttpResponse readHttpResponse() {
        EmbeddedChannel client = new EmbeddedChannel(new HttpClientCodec(), new HttpObjectAggregator(1 << 20));
        ByteBuf out;
        while ((out = ch.readOutbound()) != null) {
            client.writeInbound(out);
        }
        FullHttpResponse res = client.readInbound();
        assertNothingLeftOver(client, "client");
        return res;
    }

    private void upgrade() {
        ch.writeInbound(ascii(upgradeRequest("/ws?client=test")));
        FullHttpResponse res = readHttpResponse();
        try {
            assertThat(res.status()).isEqualTo(HttpResponseStatus.SWITCHING_PROTOCOLS);
        } finally {
            res.release();
        }
    }

    private void sendFrame(WebSocketFrame frame) {
        clientEncoder.writeOutbound(frame);
        ByteBuf b;
        while ((b = clientEncoder.readOutbound()) != null) {
            ch.writeInbound(b);
        }
        ch.runPendingTasks();
    }

    private List<WebSocketFrame> serverFrames() {
        ch.runPendingTasks();
        ByteBuf b;
        while ((b = ch.readOutbound()) != null) {
            clientDecoder.writeInbound(b);
        }
        List<WebSocketFrame> out = new ArrayList<>();
        WebSocketFrame f;
        while ((f = clientDecoder.readInbound()) != null) {
            out.add(f);
        }
        return out;
    }

    private List<String> serverTexts() {
        List<String> texts = new ArrayList<>();
        for (WebSocketFrame f : serverFrames()) {
            if (f instanceof TextWebSocketFrame t) {
                texts.add(t.text());
            }
            ReferenceCountUtil.release(f);
        }
        return texts;
    }

    @Test
    void shouldBuildHttpPipelineInOrder() {
        assertThat(ch.pipeline().names()).startsWith(HandlerNames.HTTP_LINGER, HandlerNames.HTTP_CODEC,
                HandlerNames.HTTP_AGGREGATOR, HandlerNames.HTTP_ROUTER);
    }

    @Test
    void shouldSwapToWebSocketHandlersAfterUpgradeAtWs() {
        upgrade();
        List<String> names = ch.pipeline().names();
        assertThat(names).contains(HandlerNames.WS_DECODER, HandlerNames.WS_ENCODER, HandlerNames.WS_AGGREGATOR,
                HandlerNames.PEER).doesNotContain(HandlerNames.HTTP_ROUTER, HandlerNames.HTTP_AGGREGATOR,
                HandlerNames.HTTP_LINGER);
        assertThat(names.indexOf(HandlerNames.WS_AGGREGATOR)).isLessThan(names.indexOf(HandlerNames.PEER));
        assertThat(names.indexOf(HandlerNames.WS_DECODER)).isLessThan(names.indexOf(HandlerNames.WS_AGGREGATOR));
        assertThat(names.indexOf(HandlerNames.WS_CLOSE)).isEqualTo(names.indexOf(HandlerNames.PEER) - 1);
    }

    @Test
    void shouldAnswer404ToUpgradeOnOtherPath() {
        ch.writeInbound(ascii(upgradeRequest("/wsx")));
        FullHttpResponse res = readHttpResponse();
        try {
            assertThat(res.status()).isEqualTo(HttpResponseStatus.NOT_FOUND);
            assertThat(res.content().toString(StandardCharsets.UTF_8)).isEqualTo("{\"error\":\"not found\"}");
        } finally {
            res.release();
        }
        assertThat(ch.pipeline().get(HandlerNames.PEER)).isNull();
        assertThat(httpCalls).isEmpty();
    }

    @Test
    void shouldPassPlainHttpToRoutes() {
        ch.writeInbound(ascii("GET /health HTTP/1.1\r\nHost: x\r\n\r\n"));
        FullHttpResponse res = readHttpResponse();
        res.release();
        assertThat(httpCalls).containsExactly("GET /health");
    }

    @Test
    void shouldAnswer408AndCloseAConnectionWithoutACompleteRequestAtTheRequestDeadline() {
        ch.writeInbound(ascii("GET /health HTTP/1.1\r\nHost: x\r\n")); // the head never ends
        ch.advanceTimeBy(REQUEST_TIMEOUT_MS - 1, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertThat(ch.isActive()).isTrue();
        assertThat((Object) ch.readOutbound()).isNull();
        ch.advanceTimeBy(1, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        FullHttpResponse res = readHttpResponse();
        try {
            assertThat(res.status()).isEqualTo(HttpResponseStatus.REQUEST_TIMEOUT);
            assertThat(res.content().toString(StandardCharsets.UTF_8)).isEqualTo("{\"error\":\"request timeout\"}");
        } finally {
            res.release();
        }
        // the lingering close (HttpLingeringCloseTest): closed at its time bound at the latest
        ch.advanceTimeBy(PipelineLimits.DEFAULT_HTTP_LINGER_MS, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertThat(ch.isActive()).isFalse();
        assertThat(httpCalls).isEmpty();
    }

    @Test
    void shouldCloseAnIdleConnectionSilentlyAtTheRequestDeadline() {
        ch.advanceTimeBy(REQUEST_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertThat(ch.isActive()).isFalse();
        assertThat((Object) ch.readOutbound()).isNull();
    }

    @Test
    void shouldKeepAStreamedAnswerOpenPastTheRequestDeadline() {
        HttpRouter.HttpHandler events = (ctx, req) -> {
            req.release();
            HttpRouter.keepOpen(ctx.channel());
            DefaultHttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
            HttpUtil.setTransferEncodingChunked(head, true);
            ctx.writeAndFlush(head);
        };
        EmbeddedChannel sse = new EmbeddedChannel();
        sse.freezeTime();
        sse.pipeline().addLast(new BrokerChannelInitializer(broker, events, limits, null, null));
        sse.writeInbound(ascii("GET /events HTTP/1.1\r\nHost: x\r\n\r\n"));
        ByteBuf head = sse.readOutbound();
        assertThat(head.toString(StandardCharsets.US_ASCII)).startsWith("HTTP/1.1 200 OK");
        head.release();
        sse.advanceTimeBy(10 * REQUEST_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        sse.runScheduledPendingTasks();
        assertThat(sse.isActive()).isTrue();
        sse.close();
        assertThat(sse.finish()).isFalse();
    }

    @Test
    void shouldAnswer413WithJsonForOversizedBody() {
        ch.writeInbound(ascii("POST /hook/set-status HTTP/1.1\r\nHost: x\r\nContent-Length: " + (MAX_MESSAGE + 1)
                + "\r\n\r\n" + "x".repeat(MAX_MESSAGE + 1)));
        FullHttpResponse res = readHttpResponse();
        try {
            assertThat(res.status().code()).isEqualTo(413);
            assertThat(res.content().toString(StandardCharsets.UTF_8))
                    .isEqualTo("{\"ok\":false,\"error\":\"payload too large\"}");
        } finally {
            res.release();
        }
        assertThat(httpCalls).isEmpty();
    }

    @Test
    void shouldAnswerNoHelloAndBadRequestOnTextAndBinaryFrames() {
        upgrade();
        sendFrame(new TextWebSocketFrame("{\"type\":\"send\"}"));
        sendFrame(new BinaryWebSocketFrame(Unpooled.copiedBuffer("{\"type\":", StandardCharsets.UTF_8)));
        sendFrame(new TextWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {'{', '"', (byte) 0xC3, (byte) 0x28, '"', ':', '1', '}'})));
        List<String> texts = serverTexts();
        assertThat(texts).hasSize(3);
        assertThat(texts.get(0)).isEqualTo("{\"type\":\"error\",\"code\":\"no_hello\",\"message\":\"must send hello first\"}");
        assertThat(texts.get(1)).contains("\"code\":\"bad_request\"");
        assertThat(texts.get(2)).contains("\"code\":\"bad_request\"");
        assertThat(ch.isActive()).isTrue();
    }

    @Test
    void shouldAggregateFragmentedMessages() {
        upgrade();
        sendFrame(new TextWebSocketFrame(false, 0, "{\"type\":\"li"));
        sendFrame(new ContinuationWebSocketFrame(true, 0, "st_peers\",\"_reqId\":\"frag\"}"));
        List<String> texts = serverTexts();
        assertThat(texts).containsExactly(
                "{\"type\":\"error\",\"code\":\"no_hello\",\"message\":\"must send hello first\",\"_reqId\":\"frag\"}");
    }

    @Test
    void shouldAnswerPingWithPong() {
        upgrade();
        sendFrame(new PingWebSocketFrame(Unpooled.copiedBuffer("hi", StandardCharsets.UTF_8)));
        List<WebSocketFrame> frames = serverFrames();
        try {
            assertThat(frames).hasSize(1);
            assertThat(frames.get(0)).isInstanceOf(PongWebSocketFrame.class);
            assertThat(frames.get(0).content().toString(StandardCharsets.UTF_8)).isEqualTo("hi");
        } finally {
            frames.forEach(ReferenceCountUtil::release);
        }
    }

    @Test
    void shouldClose1009WithoutReasonWhenFrameTooBig() {
        upgrade();
        sendFrame(new TextWebSocketFrame("x".repeat(MAX_MESSAGE + 16384 + 1)));
        List<WebSocketFrame> frames = serverFrames();
        try {
            assertThat(frames).hasSize(1);
            CloseWebSocketFrame close = (CloseWebSocketFrame) frames.get(0);
            assertThat(close.statusCode()).isEqualTo(1009);
            assertThat(close.reasonText()).isEmpty();
        } finally {
            frames.forEach(ReferenceCountUtil::release);
        }
        // RFC 6455 §7: the socket stays open (reading and dropping the rest of the frame) for the peer's close; the
        // decoder lost the frame boundaries, so only the peer's TCP close or the handshake timeout ends it
        assertThat(ch.isActive()).isTrue();
        assertThat(ch.pipeline().get(HandlerNames.WS_DECODER)).isNull();
        assertThat(ch.pipeline().get(HandlerNames.WS_DISCARD)).isNotNull();
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[4096]));
        ch.advanceTimeBy(PipelineLimits.DEFAULT_CLOSE_HANDSHAKE_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertThat(ch.isActive()).isFalse();
        assertThat(serverFrames()).isEmpty();
    }

    @Test
    void shouldClose1009WhenFragmentsExceedLimit() {
        upgrade();
        sendFrame(new TextWebSocketFrame(false, 0, "x".repeat(MAX_MESSAGE + 10_000)));
        sendFrame(new ContinuationWebSocketFrame(true, 0, "y".repeat(10_000)));
        List<WebSocketFrame> frames = serverFrames();
        try {
            assertThat(frames).hasSize(1);
            assertThat(((CloseWebSocketFrame) frames.get(0)).statusCode()).isEqualTo(1009);
        } finally {
            frames.forEach(ReferenceCountUtil::release);
        }
    }

    @Test
    void shouldEchoCloseAndCloseChannel() {
        upgrade();
        sendFrame(new CloseWebSocketFrame(1000, "bye"));
        List<WebSocketFrame> frames = serverFrames();
        try {
            assertThat(((CloseWebSocketFrame) frames.get(0)).statusCode()).isEqualTo(1000);
        } finally {
            frames.forEach(ReferenceCountUtil::release);
        }
        assertThat(ch.isActive()).isFalse();
    }
}
