package dev.claudemesh.broker.netty.pipeline;

import dev.claudemesh.broker.core.BrokerMetrics;
import dev.claudemesh.broker.core.BrokerSettings;
import dev.claudemesh.broker.core.envelope.BinaryClientCodec;
import dev.claudemesh.broker.core.envelope.JsonOut;
import dev.claudemesh.broker.core.mesh.Broker;
import dev.claudemesh.broker.core.testing.FakeDirectory;
import dev.claudemesh.broker.core.testing.FakeDurableLog;
import dev.claudemesh.broker.core.testing.ManualClock;
import dev.claudemesh.broker.core.testing.ManualLoop;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket08FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static dev.claudemesh.broker.netty.pipeline.WebSocketConformanceTest.frame;
import static dev.claudemesh.broker.netty.pipeline.WebSocketConformanceTest.text;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The binary subprotocol's decoder path ({@code docs/BINARY-PROTOCOL.md}) through the real pipeline, keyed like
 * {@link WebSocketConformanceTest} after the Autobahn groups that carry binary messages (1.2 binary payload lengths,
 * 5 fragmentation, 9 limits), plus the negotiation and the encoding errors: a malformed binary frame or a text frame
 * on a binary connection gets {@code bad_request} and the socket stays open. The probe is a binary
 * {@code list_peers} with a {@code reqId}, which an unauthenticated socket answers {@code no_hello} echoing it.
 */
class BinaryWebSocketConformanceTest {

    private static final int MAX_MESSAGE = 65_536;
    private static final int FRAME_LIMIT = MAX_MESSAGE + 16_384;
    private static final int CONT = 0x0;
    private static final int BINARY = 0x2;

    private EmbeddedChannel ch;
    private EmbeddedChannel clientDecoder;

    @BeforeEach
    void setUp() {
        ManualClock clock = new ManualClock(1_700_000_000_000L);
        Broker broker = new Broker(BrokerSettings.defaults(), clock, new ManualLoop(clock), new FakeDirectory(),
                new FakeDurableLog(), new BrokerMetrics());
        PipelineLimits limits = new PipelineLimits(FRAME_LIMIT, MAX_MESSAGE, 16 * 1024, 30_000, 30_000, 75_000,
                10_000, 1 << 20).withCloseTimeouts(5_000, 2_000);
        HttpRouter.HttpHandler http = (ctx, req) -> {
            req.release();
            HttpRouter.sendPlain(ctx, HttpResponseStatus.OK, "{}");
        };
        ch = new EmbeddedChannel(new BrokerChannelInitializer(broker, http, limits, null, null));
        ch.freezeTime();
        clientDecoder = new EmbeddedChannel(new WebSocket08FrameDecoder(false, false, 1 << 20));
    }

    @AfterEach
    void tearDown() {
        boolean leftOver = ch.finish() | clientDecoder.finish();
        ch.releaseInbound();
        ch.releaseOutbound();
        clientDecoder.releaseInbound();
        assertThat(leftOver).as("messages left over").isFalse();
    }

    /** Upgrades with {@code protocols} offered (null: no header); the selected subprotocol, or null. */
    private String upgrade(String protocols) {
        ch.writeInbound(Unpooled.copiedBuffer("GET /ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
                + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                + (protocols == null ? "" : "Sec-WebSocket-Protocol: " + protocols + "\r\n") + "\r\n",
                StandardCharsets.US_ASCII));
        EmbeddedChannel client = new EmbeddedChannel(new HttpClientCodec(), new HttpObjectAggregator(1 << 16));
        ByteBuf out;
        while ((out = ch.readOutbound()) != null) {
            client.writeInbound(out);
        }
        FullHttpResponse res = client.readInbound();
        try {
            assertThat(res.status()).isEqualTo(HttpResponseStatus.SWITCHING_PROTOCOLS);
            return res.headers().get(HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL);
        } finally {
            res.release();
            assertThat(client.finish()).isFalse();
        }
    }

    private void feed(byte[] bytes) {
        if (ch.isActive()) {
            ch.writeInbound(Unpooled.copiedBuffer(bytes));
        }
        ch.runPendingTasks();
    }

    /** The server's frames since the last call: BIN:&lt;the frame as JSON&gt;, TEXT:…, CLOSE:code. */
    private List<String> received() {
        ch.runPendingTasks();
        ByteBuf b;
        while ((b = ch.readOutbound()) != null) {
            clientDecoder.writeInbound(b);
        }
        List<String> out = new ArrayList<>();
        WebSocketFrame f;
        while ((f = clientDecoder.readInbound()) != null) {
            try {
                if (f instanceof BinaryWebSocketFrame) {
                    out.add("BIN:" + new JsonOut().value(BinaryClientCodec.decode(ByteBufUtil.getBytes(f.content()))));
                } else if (f instanceof TextWebSocketFrame t) {
                    out.add("TEXT:" + t.text());
                } else if (f instanceof CloseWebSocketFrame c) {
                    out.add("CLOSE:" + c.statusCode());
                } else {
                    out.add("OTHER:" + f);
                }
            } finally {
                ReferenceCountUtil.release(f);
            }
        }
        return out;
    }

    private static byte[] probe(String reqId) {
        return BinaryClientCodec.encode("{\"type\":\"list_peers\",\"_reqId\":\"" + reqId + "\"}");
    }

    private static String noHello(String reqId) {
        return "BIN:{\"type\":\"error\",\"code\":\"no_hello\",\"message\":\"must send hello first\",\"_reqId\":\""
                + reqId + "\"}";
    }

    private static String badRequest(String message) {
        return "BIN:{\"type\":\"error\",\"code\":\"bad_request\",\"message\":\"" + message + "\"}";
    }

    @Test
    void shouldSelectTheBinarySubprotocolWhenOffered() {
        assertThat(upgrade("claudemesh.json, claudemesh.bin.1")).isEqualTo("claudemesh.bin.1");
        feed(frame(true, 0, BINARY, probe("r1")));
        assertThat(received()).containsExactly(noHello("r1"));
    }

    @Test
    void shouldStayJsonWithoutTheOffer() {
        assertThat(upgrade(null)).isNull();
        feed(text("{\"type\":\"list_peers\",\"_reqId\":\"j1\"}"));
        assertThat(received()).containsExactly("TEXT:{\"type\":\"error\",\"code\":\"no_hello\","
                + "\"message\":\"must send hello first\",\"_reqId\":\"j1\"}");
    }

    @Test
    void shouldStayJsonWhenOnlyOtherSubprotocolsAreOffered() {
        assertThat(upgrade("chat")).isNull();
        feed(text("{\"type\":\"list_peers\",\"_reqId\":\"j2\"}"));
        assertThat(received()).hasSize(1).first().asString().startsWith("TEXT:");
    }

    @Test
    void shouldAnswerATextFrameOnABinaryConnectionAndStayOpen() {
        upgrade("claudemesh.bin.1");
        feed(text("{\"type\":\"list_peers\",\"_reqId\":\"t\"}"));
        assertThat(received()).containsExactly(badRequest("text frame on a claudemesh.bin.1 connection"));
        feed(frame(true, 0, BINARY, probe("after")));
        assertThat(received()).containsExactly(noHello("after"));
    }

    @DisplayName("1.2.x: binary messages of every length encoding reach the decoder")
    @ParameterizedTest
    @ValueSource(ints = {1, 120, 125, 126, 127, 128, 65_535, 65_536, 70_000})
    void shouldDecodeBinaryMessagesOfEveryLength(int reqIdLength) {
        upgrade("claudemesh.bin.1");
        String reqId = "r".repeat(reqIdLength);
        feed(frame(true, 0, BINARY, probe(reqId)));
        assertThat(received()).containsExactly(noHello(reqId));
    }

    @DisplayName("1.2.1: an empty binary message is a truncated frame")
    @Test
    void shouldAnswerAnEmptyBinaryMessage() {
        upgrade("claudemesh.bin.1");
        feed(frame(true, 0, BINARY, new byte[0]));
        assertThat(received()).containsExactly(badRequest("binary: truncated header"));
    }

    @DisplayName("5.x: a fragmented binary message is aggregated, also sent in chops")
    @Test
    void shouldAggregateFragmentedBinaryMessages() {
        upgrade("claudemesh.bin.1");
        byte[] p = probe("frag");
        byte[] all = concat(frame(false, 0, BINARY, Arrays.copyOfRange(p, 0, 3)),
                frame(false, 0, CONT, Arrays.copyOfRange(p, 3, 7)), frame(true, 0, CONT,
                        Arrays.copyOfRange(p, 7, p.length)));
        for (int i = 0; i < all.length; i++) {
            feed(new byte[] {all[i]});
        }
        assertThat(received()).containsExactly(noHello("frag"));
    }

    @DisplayName("9.x: a binary message over the frame limit closes 1009")
    @Test
    void shouldClose1009ForABinaryMessageOverTheLimit() {
        upgrade("claudemesh.bin.1");
        feed(frame(true, 0, BINARY, new byte[FRAME_LIMIT + 1]));
        assertThat(received()).containsExactly("CLOSE:1009");
        ch.close();
    }

    @Test
    void shouldAnswerMalformedBinaryFramesAndStayOpen() {
        upgrade("claudemesh.bin.1");
        feed(frame(true, 0, BINARY, new byte[] {2, 5, 0, 0}));
        feed(frame(true, 0, BINARY, new byte[] {1, 0x42, 0, 0}));
        feed(frame(true, 0, BINARY, new byte[] {1, 5, (byte) 0x80, 0, 9, 'x'}));
        byte[] longer = concat(probe("x"), new byte[] {0});
        feed(frame(true, 0, BINARY, longer));
        assertThat(received()).containsExactly(badRequest("binary: unsupported version 2"),
                badRequest("binary: unknown type 0x42"), badRequest("binary: length of reqId beyond the frame"),
                "BIN:{\"type\":\"error\",\"code\":\"bad_request\",\"message\":\"binary: 1 bytes after the last field\","
                        + "\"_reqId\":\"x\"}");
        feed(frame(true, 0, BINARY, probe("still")));
        assertThat(received()).containsExactly(noHello("still"));
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}
