package dev.claudemesh.broker.netty.pipeline;

import dev.claudemesh.broker.core.envelope.BinaryTranscoder;
import dev.claudemesh.broker.core.envelope.WireFormat;
import dev.claudemesh.broker.core.port.Fanout;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.local.LocalAddress;
import io.netty.channel.local.LocalChannel;
import io.netty.channel.local.LocalIoHandler;
import io.netty.channel.local.LocalServerChannel;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameEncoder;
import io.netty.util.concurrent.EventExecutor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
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
 * binary conversion hold inside a batch. The server channels carry Netty's frame encoder and the clients decode the
 * bytes with Netty's decoder, so a frame encoded once for several recipients ({@link SharedFrame}) is checked on the
 * wire, and its reference count is checked to reach zero.
 */
class NettyFanoutTest {

    private static final int LOOPS = 3;
    private static final int CLIENTS = 7;

    /**
     * One server-side channel (wrapped in a connection by the test), its client, what the client read, and the shared
     * frames ({@link SharedFrame}) written to the channel, each with the buffer it was derived from.
     */
    private record Pair(Channel child, Channel client, BlockingQueue<String> received, AtomicInteger flushes,
                        Queue<ByteBuf> sharedWrites, Queue<ByteBuf> sharedRoots) {
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
                        // the broker's frame encoder: TextWebSocketFrames are encoded, shared frames pass it as bytes
                        ch.pipeline().addLast(new WebSocket13FrameEncoder(false));
                        accepted.add(ch);
                    }
                }).bind(address).sync().channel();
        for (int i = 0; i < CLIENTS; i++) {
            BlockingQueue<String> received = new LinkedBlockingQueue<>();
            Channel client = new Bootstrap().group(group).channel(LocalChannel.class)
                    .handler(new ClientFrameReader(received)).connect(address).sync().channel();
            Channel child = accepted.poll(10, TimeUnit.SECONDS);
            assertThat(child).as("accepted channel " + i).isNotNull();
            AtomicInteger flushes = new AtomicInteger();
            Queue<ByteBuf> sharedWrites = new ConcurrentLinkedQueue<>();
            Queue<ByteBuf> sharedRoots = new ConcurrentLinkedQueue<>();
            child.pipeline().addLast(new ChannelOutboundHandlerAdapter() {
                @Override
                public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                    if (msg instanceof ByteBuf b) { // before the encoder, only a shared frame is a plain buffer
                        sharedWrites.add(b);
                        sharedRoots.add(root(b));
                    }
                    ctx.write(msg, promise);
                }

                @Override
                public void flush(ChannelHandlerContext ctx) {
                    flushes.incrementAndGet();
                    ctx.flush();
                }
            });
            pairs.add(new Pair(child, client, received, flushes, sharedWrites, sharedRoots));
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
                byte[] shared = json("fanout-" + r); // even rounds: one array for all, encoded once (SharedFrame)
                for (NettyPeerConnection c : conns) {
                    out.send(c, r % 2 == 0 ? shared : json("fanout-" + r));
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
        // the first recipient of an array takes the ordinary path, the others the shared frame of the even rounds
        assertThat(pairs.get(0).sharedWrites).isEmpty();
        pairs.subList(1, CLIENTS).forEach(p -> assertThat(p.sharedWrites).hasSize(rounds / 2));
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

    @Test
    void shouldEncodeAFrameOnceForAllItsRecipientsWithEveryHeaderLength() throws Exception {
        List<NettyPeerConnection> conns = connections(1 << 20);
        // payload lengths with a 7-bit, a 16-bit and a 64-bit length field
        List<String> names = List.of("s", "m".repeat(300), "l".repeat(70_000));
        home.submit(() -> {
            for (String n : names) {
                byte[] payload = json(n);
                Fanout out = meshLoop.fanout();
                for (NettyPeerConnection c : conns) {
                    out.send(c, payload);
                }
                out.finish();
            }
        }).sync();
        for (Pair p : pairs) {
            assertThat(take(p.received, 3)).containsExactly(text(names.get(0)), text(names.get(1)), text(names.get(2)));
        }
        settle();
        assertThat(pairs.get(0).sharedWrites).as("the first recipient: the ordinary path").isEmpty();
        pairs.subList(1, CLIENTS).forEach(p -> assertThat(p.sharedWrites).hasSize(3));
        assertThat(distinctRoots()).as("one encoding per payload").hasSize(3);
        assertEverySharedFrameReleased();
    }

    @Test
    void shouldShareOneEncodingPerWireFormat() throws Exception {
        List<NettyPeerConnection> conns = new ArrayList<>();
        for (int i = 0; i < CLIENTS; i++) {
            conns.add(new NettyPeerConnection(pairs.get(i).child, 1 << 20, new LongAdder(),
                    i < 3 ? WireFormat.BINARY : WireFormat.JSON));
        }
        byte[] payload = json("both");
        byte[] binary = BinaryTranscoder.toBinary(json("pre-encoded"));
        byte[] textFrame = json("pre-encoded");
        home.submit(() -> {
            Fanout out = meshLoop.fanout();
            for (NettyPeerConnection c : conns) {
                out.send(c, payload); // converted once for the binary ones
            }
            out.finish();
            out = meshLoop.fanout();
            for (NettyPeerConnection c : conns) { // as a multicast does: each encoding built once by the core
                out.sendEncoded(c, c.format() == WireFormat.BINARY ? binary : textFrame);
            }
            out.finish();
        }).sync();
        for (int i = 0; i < CLIENTS; i++) {
            List<String> expected = i < 3
                    ? List.of("binary " + HexFormat.of().formatHex(BinaryTranscoder.toBinary(payload)),
                    "binary " + HexFormat.of().formatHex(binary))
                    : List.of(text("both"), text("pre-encoded"));
            assertThat(take(pairs.get(i).received, 2)).as("client " + i).containsExactlyElementsOf(expected);
        }
        settle();
        for (int i = 0; i < CLIENTS; i++) {
            assertThat(pairs.get(i).sharedWrites).as("client " + i).hasSize(i == 0 || i == 3 ? 0 : 2);
        }
        assertThat(distinctRoots()).as("per fan-out, one binary and one text encoding").hasSize(4);
        assertEverySharedFrameReleased();
    }

    @Test
    void shouldCountASharedFrameAgainstTheSlowConsumerCapAndReleaseItWhenDropped() throws Exception {
        LongAdder slowCloses = new LongAdder();
        NettyPeerConnection fine = new NettyPeerConnection(pairs.get(1).child, 1 << 20, slowCloses);
        NettyPeerConnection slow = new NettyPeerConnection(pairs.get(2).child, 8, slowCloses);
        NettyPeerConnection other = new NettyPeerConnection(pairs.get(3).child, 1 << 20, slowCloses);
        byte[] first = json("first");
        byte[] second = json("second");
        home.submit(() -> {
            Fanout out = meshLoop.fanout();
            out.send(fine, first);
            out.send(slow, first); // shared, written: nothing pending yet
            out.send(fine, second);
            out.send(slow, second); // shared, dropped: the first is still unflushed, over the 8-byte cap
            out.send(other, second); // the same shared frame
            out.finish();
        }).sync();
        assertThat(take(pairs.get(1).received, 2)).containsExactly(text("first"), text("second"));
        assertThat(take(pairs.get(2).received, 2)).containsExactly(text("first"), "close 1008");
        assertThat(take(pairs.get(3).received, 1)).containsExactly(text("second"));
        settle();
        assertThat(slowCloses.sum()).isEqualTo(1);
        assertThat(pairs.get(2).sharedWrites).hasSize(1);
        assertThat(pairs.get(3).sharedWrites).hasSize(1);
        // the frame the slow consumer did not get shares its reference count with other's: zero only if both let go
        assertEverySharedFrameReleased();
    }

    @Test
    void shouldReleaseTheSharedFrameOfAClosedChannel() throws Exception {
        List<NettyPeerConnection> conns = connections(1 << 20);
        Pair gone = pairs.get(2);
        gone.client.close().sync();
        gone.child.closeFuture().sync();
        byte[] payload = json("after-close");
        home.submit(() -> {
            Fanout out = meshLoop.fanout();
            for (NettyPeerConnection c : conns) {
                out.send(c, payload);
            }
            out.finish();
            conns.forEach(c -> c.send(json("end")));
        }).sync();
        for (Pair p : pairs) {
            if (p != gone) {
                assertThat(take(p.received, 2)).containsExactly(text("after-close"), text("end"));
            }
        }
        settle();
        assertThat(gone.received).isEmpty();
        assertThat(gone.sharedWrites).isEmpty();
        assertThat(distinctRoots()).hasSize(1);
        assertEverySharedFrameReleased(); // the closed channel's reference included
    }

    /** Runs a no-op on every loop: what the loops were doing when the clients got their frames (releases) is done. */
    private void settle() throws InterruptedException {
        for (EventExecutor e : group) {
            e.submit(() -> { }).sync();
        }
    }

    /** The buffers the shared frames written were derived from, each once. */
    private Set<ByteBuf> distinctRoots() {
        Set<ByteBuf> roots = Collections.newSetFromMap(new IdentityHashMap<>());
        pairs.forEach(p -> roots.addAll(p.sharedRoots));
        return roots;
    }

    private void assertEverySharedFrameReleased() {
        for (Pair p : pairs) {
            assertThat(p.sharedWrites).allSatisfy(b -> assertThat(b.refCnt()).as("refCnt").isZero());
        }
    }

    private static ByteBuf root(ByteBuf b) {
        ByteBuf r = b;
        while (r.unwrap() != null) {
            r = r.unwrap();
        }
        return r;
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
