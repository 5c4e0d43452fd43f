package dev.claudemesh.broker.netty.pipeline;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.channels.ClosedChannelException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * The closing handshake of RFC 6455 §7 ({@link WebSocketCloseHandler}) on an {@link EmbeddedChannel} with frozen
 * time: frames in and out as objects, a stand-in decoder in front and a recording peer handler behind. Each test ends
 * with nothing left over.
 */
class WebSocketCloseHandlerTest {

    private static final long FLUSH_TIMEOUT_MS = 5_000;
    private static final long HANDSHAKE_TIMEOUT_MS = 2_000;

    /** What reached the peer handler: frames as text, exceptions by class. */
    private final List<String> peerSaw = new ArrayList<>();
    /** read() calls that reached the transport. */
    private int reads;
    private EmbeddedChannel ch;

    @BeforeEach
    void setUp() {
        ch = new EmbeddedChannel();
        ch.freezeTime();
        ch.pipeline().addLast(new ChannelOutboundHandlerAdapter() {
            @Override
            public void read(ChannelHandlerContext ctx) {
                reads++;
                ctx.read();
            }
        });
        ch.pipeline().addLast(HandlerNames.WS_DECODER, new ChannelInboundHandlerAdapter()); // stand-in: passes on
        ch.pipeline().addLast(HandlerNames.WS_CLOSE, new WebSocketCloseHandler(FLUSH_TIMEOUT_MS, HANDSHAKE_TIMEOUT_MS));
        ch.pipeline().addLast(HandlerNames.PEER, new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                peerSaw.add(msg instanceof TextWebSocketFrame t ? "TEXT:" + t.text() : String.valueOf(msg));
                io.netty.util.ReferenceCountUtil.release(msg);
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                peerSaw.add("EXCEPTION:" + cause.getClass().getSimpleName());
            }
        });
    }

    private WebSocketCloseHandler.State state() {
        return ((WebSocketCloseHandler) ch.pipeline().get(HandlerNames.WS_CLOSE)).state();
    }

    /** The next outbound frame, read and released; its close code, or -2 when it is not a close frame. */
    private int nextCloseCode() {
        Object out = ch.readOutbound();
        assertThat(out).as("an outbound frame").isNotNull();
        try {
            return out instanceof CloseWebSocketFrame c ? c.statusCode() : -2;
        } finally {
            io.netty.util.ReferenceCountUtil.release(out);
        }
    }

    private void advance(long ms) {
        ch.advanceTimeBy(ms, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
    }

    // ------------------------------------------------------------------------------------------ the broker closes

    @Test
    void shouldSendCloseThenDiscardInboundUntilThePeersCloseThenCloseTcp() {
        ch.writeInbound(new TextWebSocketFrame("before"));
        ch.writeAndFlush(new CloseWebSocketFrame(1008, "hello_timeout"));
        assertThat(nextCloseCode()).isEqualTo(1008);
        assertThat(state()).isEqualTo(WebSocketCloseHandler.State.CLOSE_SENT);
        assertThat(ch.isActive()).as("waits for the peer's close").isTrue();

        TextWebSocketFrame late = new TextWebSocketFrame("after");
        PingWebSocketFrame ping = new PingWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {1}));
        ch.writeInbound(late, ping);
        assertThat(late.refCnt()).as("dropped and released").isZero();
        assertThat(ping.refCnt()).isZero();
        assertThat(peerSaw).containsExactly("TEXT:before");

        CloseWebSocketFrame peerClose = new CloseWebSocketFrame(1008, null);
        ch.writeInbound(peerClose);
        assertThat(peerClose.refCnt()).isZero();
        assertThat(ch.isActive()).as("closed on the peer's close").isFalse();
        assertFalse(ch.finish());
    }

    @Test
    void shouldSendNothingAfterTheCloseFrame() {
        ch.writeAndFlush(new CloseWebSocketFrame(1000, "session_replaced"));
        TextWebSocketFrame push = new TextWebSocketFrame("{\"type\":\"push\"}");
        ChannelFuture f = ch.writeAndFlush(push);
        assertThat(f.cause()).isInstanceOf(ClosedChannelException.class);
        assertThat(push.refCnt()).isZero();
        ch.writeAndFlush(new CloseWebSocketFrame(1001, "shutting down"), ch.voidPromise()); // a second close: dropped
        assertThat(nextCloseCode()).isEqualTo(1000);
        assertThat((Object) ch.readOutbound()).isNull();
        advance(HANDSHAKE_TIMEOUT_MS);
        assertThat(ch.isActive()).isFalse();
        assertFalse(ch.finish());
    }

    @Test
    void shouldCloseTcpWhenThePeerDoesNotAnswerWithinTheHandshakeTimeout() {
        ch.writeAndFlush(new CloseWebSocketFrame(4002, "banned"));
        assertThat(nextCloseCode()).isEqualTo(4002);
        advance(HANDSHAKE_TIMEOUT_MS - 1);
        assertThat(ch.isActive()).isTrue();
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[100])); // not a frame: dropped all the same
        advance(1);
        assertThat(ch.isActive()).isFalse();
        assertThat(peerSaw).isEmpty();
        assertFalse(ch.finish());
    }

    @Test
    void shouldCloseAtOnceWhenThePeersCloseArrivesBeforeOursWentOut() {
        ch.write(new CloseWebSocketFrame(1001, "shutting down")); // not flushed yet
        ch.writeInbound(new CloseWebSocketFrame(1000, null));
        assertThat(ch.isActive()).as("our close frame is still to go").isTrue();
        ch.flush();
        assertThat(nextCloseCode()).isEqualTo(1001);
        assertThat(ch.isActive()).isFalse();
        assertFalse(ch.finish());
    }

    @Test
    void shouldGiveUpACloseFrameThatDoesNotGoOutWithinTheFlushTimeout() {
        ChannelFuture sent = ch.write(new CloseWebSocketFrame(1008, "slow_consumer")); // stuck: never flushed
        advance(FLUSH_TIMEOUT_MS - 1);
        assertThat(ch.isActive()).isTrue();
        advance(1);
        assertThat(ch.isActive()).isFalse();
        assertThat(sent.isSuccess()).as("the stuck frame was dropped").isFalse();
        assertFalse(ch.finish());
    }

    @Test
    void shouldReplaceAFailedDecoderByADiscarder() {
        ch.pipeline().fireExceptionCaught(new CorruptedWebSocketFrameException(WebSocketCloseStatus.MESSAGE_TOO_BIG,
                "too big"));
        assertThat(peerSaw).containsExactly("EXCEPTION:CorruptedWebSocketFrameException");
        ch.writeAndFlush(new CloseWebSocketFrame(1009, null));
        assertThat(nextCloseCode()).isEqualTo(1009);
        assertThat(ch.pipeline().get(HandlerNames.WS_DECODER)).isNull();
        assertThat(ch.pipeline().get(HandlerNames.WS_DISCARD)).isNotNull();
        ByteBuf rest = Unpooled.wrappedBuffer(new byte[65_536]); // the rest of the oversized frame
        ch.writeInbound(rest);
        assertThat(rest.refCnt()).isZero();
        advance(HANDSHAKE_TIMEOUT_MS);
        assertThat(ch.isActive()).isFalse();
        assertFalse(ch.finish());
    }

    @Test
    void shouldKeepReadingWhileClosingWhenReadingIsPaused() {
        ch.config().setAutoRead(false); // back-pressure from the writer
        int before = reads;
        ch.writeAndFlush(new CloseWebSocketFrame(1001, "shutting down"));
        assertThat(reads).as("a read requested on entering the handshake").isGreaterThan(before);
        int afterClose = reads;
        ch.writeInbound(new TextWebSocketFrame("late"));
        assertThat(reads).as("and after each dropped frame").isGreaterThan(afterClose);
        assertThat(nextCloseCode()).isEqualTo(1001);
        ch.writeInbound(new CloseWebSocketFrame(1001, null));
        assertThat(ch.isActive()).isFalse();
        assertFalse(ch.finish());
    }

    // ------------------------------------------------------------------------------------------ the peer closes

    @ParameterizedTest(name = "peer close {0} → answer {1}, then TCP closes")
    @CsvSource({"-1, 1000", "1000, 1000", "1001, 1001", "4999, 4999", "5000, 1002", "1005, 1002"})
    void shouldAnswerThePeersCloseAndCloseTcp(int code, int answer) {
        // built from bytes: Netty's constructors refuse the codes a peer must not send
        CloseWebSocketFrame close = new CloseWebSocketFrame(true, 0, code == -1 ? Unpooled.EMPTY_BUFFER
                : Unpooled.wrappedBuffer(new byte[] {(byte) (code >>> 8), (byte) code}));
        ch.writeInbound(close, new TextWebSocketFrame("after the close"));
        assertThat(nextCloseCode()).isEqualTo(answer);
        assertThat(ch.isActive()).isFalse();
        assertThat(peerSaw).isEmpty();
        assertFalse(ch.finish());
    }

    @Test
    void shouldDropTheBrokersOwnCloseWhileAnsweringThePeers() {
        List<Object> stuck = new ArrayList<>();
        ch.pipeline().addFirst(new ChannelOutboundHandlerAdapter() {
            @Override
            public void write(ChannelHandlerContext ctx, Object msg, io.netty.channel.ChannelPromise promise) {
                stuck.add(msg); // the transport does not take it: a peer that stopped reading
            }
        });
        ch.writeInbound(new CloseWebSocketFrame(1001, null));
        assertThat(state()).isEqualTo(WebSocketCloseHandler.State.CLOSE_RECEIVED);
        ChannelFuture ours = ch.writeAndFlush(new CloseWebSocketFrame(1000, "session_replaced"));
        assertThat(ours.cause()).isInstanceOf(ClosedChannelException.class);
        assertThat(stuck).hasSize(1);
        assertThat(((CloseWebSocketFrame) stuck.get(0)).statusCode()).isEqualTo(1001);
        advance(FLUSH_TIMEOUT_MS - 1);
        assertThat(ch.isActive()).isTrue();
        advance(1);
        assertThat(ch.isActive()).as("the answer did not go out in time").isFalse();
        stuck.forEach(io.netty.util.ReferenceCountUtil::release);
        assertFalse(ch.finish());
    }

    @Test
    void shouldRejectNonPositiveTimeouts() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new WebSocketCloseHandler(0, 1))
                .hasMessage("flushTimeoutMs: 0 (expected: > 0)");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new WebSocketCloseHandler(1, -1))
                .hasMessage("handshakeTimeoutMs: -1 (expected: > 0)");
        assertFalse(ch.finish());
    }
}
