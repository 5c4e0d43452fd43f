package dev.claudemesh.broker.netty.pipeline;

import dev.claudemesh.broker.core.envelope.BinaryTranscoder;
import dev.claudemesh.broker.core.envelope.WireFormat;
import dev.claudemesh.broker.core.port.Fanout;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.local.LocalAddress;
import io.netty.channel.local.LocalChannel;
import io.netty.channel.local.LocalIoHandler;
import io.netty.channel.local.LocalServerChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link NettyFanout} over real channels on several event loops (the local transport): every recipient gets its frame
 * once, a connection's frames keep their order around a fan-out (plain sends before and after it, from the same
 * loop), each channel is flushed once per batch and once for fan-outs queued together, the slow-consumer cap and the
 * binary conversion hold inside a batch.
 */
class NettyFanoutTest {

    private static final int LOOPS = 3;
    private static final int CLIENTS = 7;

    /** One server-side channel (wrapped in a connection by the test), its client and what the client read. */
    private record Pair(Channel child, Channel client, BlockingQueue<String> received, AtomicInteger flushes) {
    }

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(LOOPS, LocalIoHandler.newFactory());
    private final BlockingQueue<Channel> accepted = new LinkedBlockingQueue<>();
    private final List<Pair> pairs = new ArrayList<>();
    private Channel server;
    private EventLoop home;
    private EventLoopMeshLoop meshLoop;

    @BeforeEach
    void setUp() throws InterruptedException {
        LocalAddress address = new LocalAddress("fanout-" + UUID.randomUUID());
        server = new ServerBootstrap().group(group).channel(LocalServerChannel.class)
                .childHandler(new ChannelInitializer<LocalChannel>() {
                    @Override
                    protected void initChannel(LocalChannel ch) {
                        accepted.add(ch);
                    }
                }).bind(address).sync().channel();
        for (int i = 0; i < CLIENTS; i++) {
            BlockingQueue<String> received = new LinkedBlockingQueue<>();
            Channel client = new Bootstrap().group(group).channel(LocalChannel.class)
                    .handler(new SimpleChannelInboundHandler<WebSocketFrame>() {
                        @Override
                        protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame f) {
                            received.add(f instanceof TextWebSocketFrame t ? t.text()
                                    : f instanceof CloseWebSocketFrame c ? "close " + c.statusCode()
                                    : "binary " + HexFormat.of().formatHex(ByteBufUtil.getBytes(f.content())));
                        }
                    }).connect(address).sync().channel();
            Channel child = accepted.poll(10, TimeUnit.SECONDS);
            assertThat(child).as("accepted channel " + i).isNotNull();
            AtomicInteger flushes = new AtomicInteger();
            child.pipeline().addLast(new ChannelOutboundHandlerAdapter() {
                @Override
                public void flush(ChannelHandlerContext ctx) {
                    flushes.incrementAndGet();
                    ctx.flush();
                }
            });
            pairs.add(new Pair(child, client, received, flushes));
        }
        home = pairs.get(0).child.eventLoop();
        meshLoop = new EventLoopMeshLoop(home);
        Set<EventLoop> loops = new HashSet<>();
        pairs.forEach(p -> loops.add(p.child.eventLoop()));
        // the test means something only when recipients sit on the calling loop and on others
        assertThat(loops).contains(home).hasSizeGreaterThan(1);
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        for (Pair p : pairs) {
            p.client.close().sync();
        }
        server.close().sync();
        group.shutdownGracefully(0, 5, TimeUnit.SECONDS).sync();
    }

    private static byte[] json(String text) {
        return ("{\"type\":\"t\",\"n\":\"" + text + "\"}").getBytes(StandardCharsets.UTF_8);
    }

    private static String text(String n) {
        return new String(json(n), StandardCharsets.UTF_8);
    }

    private static List<String> take(BlockingQueue<String> q, int n) throws InterruptedException {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String s = q.poll(10, TimeUnit.SECONDS);
            assertThat(s).as("frame " + i + " of " + n + " after " + out).isNotNull();
            out.add(s);
        }
        return out;
    }

    private List<NettyPeerConnection> connections(long maxPendingBytes) {
        List<NettyPeerConnection> conns = new ArrayList<>();
        pairs.forEach(p -> conns.add(new NettyPeerConnection(p.child, maxPendingBytes)));
        return conns;
    }

    @Test
    void shouldDeliverEachFanoutOnceAndInOrderWithThePlainSendsAroundIt() throws Exception {
        List<NettyPeerConnection> conns = connections(1 << 20);
        int rounds = 40;
        home.submit(() -> {
            for (int r = 0; r < rounds; r++) {
                for (NettyPeerConnection c : conns) {
                    c.send(json("before-" + r));
                }
                Fanout out = meshLoop.fanout();
                for (NettyPeerConnection c : conns) {
                    out.send(c, json("fanout-" + r));
                }
                out.finish();
                for (NettyPeerConnection c : conns) {
                    c.send(json("after-" + r));
                }
            }
            for (NettyPeerConnection c : conns) {
                c.send(json("end"));
            }
        }).sync();
        List<String> expected = new ArrayList<>();
        for (int r = 0; r < rounds; r++) {
            expected.add(text("before-" + r));
            expected.add(text("fanout-" + r));
            expected.add(text("after-" + r));
        }
        expected.add(text("end")); // nothing more than the expected frames came before it
        for (Pair p : pairs) {
            assertThat(take(p.received, expected.size())).containsExactlyElementsOf(expected);
        }
    }

    @Test
    void shouldFlushEachChannelOncePerBatch() throws Exception {
        List<NettyPeerConnection> conns = connections(1 << 20);
        int[] before = pairs.stream().mapToInt(p -> p.flushes.get()).toArray();
        home.submit(() -> {
            Fanout out = meshLoop.fanout();
            for (NettyPeerConnection c : conns) {
                out.send(c, json("one"));
                out.sendEncoded(c, json("two"));
            }
            out.finish();
        }).sync();
        assertEveryChannelGotOneAndTwoInOneFlush(before);
    }

    @Test
    void shouldShareOneFlushPerChannelAmongTheFanoutsQueuedTogether() throws Exception {
        List<NettyPeerConnection> conns = connections(1 << 20);
        int[] before = pairs.stream().mapToInt(p -> p.flushes.get()).toArray();
        // the other loops wait until both fan-outs are queued on them (as a busy loop would)
        CountDownLatch queued = new CountDownLatch(1);
        Set<EventLoop> others = new HashSet<>();
        pairs.forEach(p -> others.add(p.child.eventLoop()));
        others.remove(home);
        for (EventLoop other : others) {
            other.execute(() -> {
                try {
                    queued.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        }
        home.submit(() -> {
            for (String n : List.of("one", "two")) {
                Fanout out = meshLoop.fanout();
                for (NettyPeerConnection c : conns) {
                    out.send(c, json(n));
                }
                out.finish();
            }
            queued.countDown();
        }).sync();
        assertEveryChannelGotOneAndTwoInOneFlush(before);
    }

    @Test
    void shouldCloseASlowConsumerInsideABatchAndServeTheOthers() throws Exception {
        LongAdder slowCloses = new LongAdder();
        NettyPeerConnection slow = new NettyPeerConnection(pairs.get(1).child, 8, slowCloses);
        NettyPeerConnection fine = new NettyPeerConnection(pairs.get(2).child, 1 << 20, slowCloses);
        home.submit(() -> {
            Fanout out = meshLoop.fanout();
            out.send(slow, json("first"));
            out.send(fine, json("first"));
            out.send(slow, json("second")); // the first is still unflushed: over the 8-byte cap
            out.send(fine, json("second"));
            out.finish();
        }).sync();
        assertThat(take(pairs.get(1).received, 2)).containsExactly(text("first"), "close 1008");
        assertThat(take(pairs.get(2).received, 2)).containsExactly(text("first"), text("second"));
        assertThat(slowCloses.sum()).isEqualTo(1);
        assertThat(slow.isOpen()).isFalse();
    }

    @Test
    void shouldConvertJsonForABinaryConnectionAndSkipAClosingOne() throws Exception {
        NettyPeerConnection binary = new NettyPeerConnection(pairs.get(1).child, 1 << 20, new LongAdder(),
                WireFormat.BINARY);
        NettyPeerConnection text = new NettyPeerConnection(pairs.get(2).child, 1 << 20);
        NettyPeerConnection closing = new NettyPeerConnection(pairs.get(3).child, 1 << 20);
        home.submit(() -> {
            closing.close(1000, "bye");
            Fanout out = meshLoop.fanout();
            out.send(binary, json("x"));
            out.send(text, json("x"));
            out.send(closing, json("x"));
            out.finish();
            text.send(json("end"));
            // past the connection, straight to its channel: the frame after everything the connection wrote
            pairs.get(3).child.writeAndFlush(new TextWebSocketFrame("sentinel"));
        }).sync();
        assertThat(take(pairs.get(1).received, 1))
                .containsExactly("binary " + HexFormat.of().formatHex(BinaryTranscoder.toBinary(json("x"))));
        assertThat(take(pairs.get(2).received, 2)).containsExactly(text("x"), text("end"));
        assertThat(take(pairs.get(3).received, 2)).containsExactly("close 1000", "sentinel");
    }

    /** Each channel received "one" then "two", and (they arrived, so the flush that sent them ran) one flush only. */
    private void assertEveryChannelGotOneAndTwoInOneFlush(int[] flushesBefore) throws Exception {
        for (int i = 0; i < pairs.size(); i++) {
            Pair p = pairs.get(i);
            assertThat(take(p.received, 2)).containsExactly(text("one"), text("two"));
            assertThat(p.flushes.get() - flushesBefore[i]).as("flushes of channel " + i).isEqualTo(1);
        }
    }
}
