package dev.claudemesh.broker.netty.pipeline;

import dev.claudemesh.broker.core.port.Fanout;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.local.LocalAddress;
import io.netty.channel.local.LocalChannel;
import io.netty.channel.local.LocalIoHandler;
import io.netty.channel.local.LocalServerChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameEncoder;
import io.netty.util.ReferenceCountUtil;

import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The cost of a fan-out through {@link NettyPeerConnection}s, one frame at a time ({@code direct}, the path before
 * fan-out batching) or through {@link NettyFanout} ({@code batched}: one array for all recipients, so the frame is
 * encoded once and shared, {@link SharedFrame}; {@code batched-unshared}: an equal array per recipient, so each goes
 * through Netty's frame encoder, the batched path before sharing), without the broker's routing: one loop of the
 * group plays the mesh loop and writes {@code --per-task} fan-outs per task to {@code --recipients} server-side
 * channels spread over the group's loops; clients on the same loops count the bytes. Prints pushes/s and the process
 * CPU per push. Not a test: run it by hand, the modes alternately in one sitting (docs/BENCHMARKS.md, "Fan-out probe").
 *
 * <pre>
 * ./mvnw -B -o -q -pl broker-core,broker-db,broker-netty -am package -DskipTests
 * java --sun-misc-unsafe-memory-access=allow -cp broker-netty/target/test-classes:broker-netty/target/classes:\
 *     broker-core/target/classes:broker-netty/target/claudemesh-broker.jar \
 *     dev.claudemesh.broker.netty.pipeline.FanoutProbe --mode batched --transport nio --recipients 99 --loops 2
 * </pre>
 */
public final class FanoutProbe {

    private static final int PAYLOAD = 256;
    /** A server frame of {@link #PAYLOAD} bytes on the wire: 2-byte header, 2-byte length, no mask. */
    private static final int WIRE = PAYLOAD + 4;
    private static final int DIRECT = 0;
    private static final int BATCHED = 1;
    private static final int BATCHED_UNSHARED = 2;

    private FanoutProbe() {
    }

    public static void main(String[] args) throws Exception {
        String mode = "batched";
        String transport = "nio";
        int recipients = 99;
        int loops = 2;
        int perTask = 8;
        long fanouts = 200_000;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--mode" -> mode = args[i + 1];
                case "--transport" -> transport = args[i + 1];
                case "--recipients" -> recipients = Integer.parseInt(args[i + 1]);
                case "--loops" -> loops = Integer.parseInt(args[i + 1]);
                case "--per-task" -> perTask = Integer.parseInt(args[i + 1]);
                case "--fanouts" -> fanouts = Long.parseLong(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        int kind = switch (mode) {
            case "direct" -> DIRECT;
            case "batched" -> BATCHED;
            case "batched-unshared" -> BATCHED_UNSHARED;
            default -> throw new IllegalArgumentException(
                    "--mode: " + mode + " (expected: direct, batched or batched-unshared)");
        };
        boolean local = switch (transport) {
            case "local" -> true;
            case "nio" -> false;
            default -> throw new IllegalArgumentException("--transport: " + transport + " (expected: local or nio)");
        };
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(loops,
                local ? LocalIoHandler.newFactory() : NioIoHandler.newFactory());
        try {
            run(group, local, kind, recipients, perTask, fanouts, mode + "/" + transport);
        } finally {
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).sync();
        }
    }

    private static void run(EventLoopGroup group, boolean local, int kind, int recipients, int perTask,
                            long fanouts, String label) throws Exception {
        BlockingQueue<Channel> accepted = new LinkedBlockingQueue<>();
        ChannelInitializer<Channel> child = new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.pipeline().addLast(new WebSocket13FrameEncoder(false));
                accepted.add(ch);
            }
        };
        AtomicLong receivedBytes = new AtomicLong();
        ChannelInboundHandlerAdapter counter = new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                receivedBytes.addAndGet(((ByteBuf) msg).readableBytes());
                ReferenceCountUtil.release(msg);
            }

            @Override
            public boolean isSharable() {
                return true;
            }
        };
        Channel server;
        Object address;
        if (local) {
            LocalAddress a = new LocalAddress("fanout-probe");
            server = new ServerBootstrap().group(group).channel(LocalServerChannel.class).childHandler(child)
                    .bind(a).sync().channel();
            address = a;
        } else {
            server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class).childHandler(child)
                    .childOption(ChannelOption.TCP_NODELAY, true).bind(new InetSocketAddress("127.0.0.1", 0))
                    .sync().channel();
            address = server.localAddress();
        }
        List<Channel> clients = new ArrayList<>();
        List<NettyPeerConnection> conns = new ArrayList<>();
        for (int i = 0; i < recipients; i++) {
            Bootstrap b = new Bootstrap().group(group).handler(counter);
            b = local ? b.channel(LocalChannel.class) : b.channel(NioSocketChannel.class)
                    .option(ChannelOption.TCP_NODELAY, true);
            clients.add(b.connect((java.net.SocketAddress) address).sync().channel());
            Channel ch = accepted.poll(10, TimeUnit.SECONDS);
            if (ch == null) {
                throw new IllegalStateException("no accepted channel for client " + i);
            }
            conns.add(new NettyPeerConnection(ch, 64L << 20));
        }
        EventLoop home = group.next();
        EventLoopMeshLoop meshLoop = new EventLoopMeshLoop(home);
        byte[] frame = new byte[PAYLOAD];
        Arrays.fill(frame, (byte) 'x');
        NettyPeerConnection[] to = conns.toArray(new NettyPeerConnection[0]);
        byte[][] own = new byte[recipients][]; // equal bytes, distinct arrays: nothing is recognised as shared
        for (int i = 0; i < recipients; i++) {
            own[i] = kind == BATCHED_UNSHARED ? frame.clone() : frame;
        }
        Runnable task = () -> {
            for (int k = 0; k < perTask; k++) {
                if (kind != DIRECT) {
                    Fanout out = meshLoop.fanout();
                    for (int i = 0; i < to.length; i++) {
                        out.sendEncoded(to[i], own[i]);
                    }
                    out.finish();
                } else {
                    for (NettyPeerConnection c : to) {
                        c.sendEncoded(frame);
                    }
                }
            }
        };
        long warmupTasks = Math.max(1, fanouts / perTask / 5);
        drive(home, task, warmupTasks, perTask, recipients, receivedBytes, 0);
        long cpu0 = processCpuNs();
        long t0 = System.nanoTime();
        long tasks = Math.max(1, fanouts / perTask);
        drive(home, task, tasks, perTask, recipients, receivedBytes, warmupTasks);
        long wallNs = System.nanoTime() - t0;
        long cpuNs = processCpuNs() - cpu0;
        long pushes = tasks * perTask * recipients;
        System.out.printf(Locale.ROOT, "%s recipients=%d loops=%d perTask=%d pushes=%d pushes/s=%.0f cpuNsPerPush=%.1f%n",
                label, recipients, group instanceof MultiThreadIoEventLoopGroup g ? g.executorCount() : -1, perTask,
                pushes, pushes * 1e9 / wallNs, (double) cpuNs / pushes);
        for (Channel c : clients) {
            c.close().sync();
        }
        server.close().sync();
    }

    /** Submits {@code tasks} tasks, at most 64 ahead of what the clients received, and waits for all of it. */
    private static void drive(EventLoop home, Runnable task, long tasks, int perTask, int recipients,
                              AtomicLong receivedBytes, long tasksBefore) {
        long bytesPerTask = (long) perTask * recipients * WIRE;
        long base = tasksBefore * bytesPerTask;
        for (long submitted = 0; submitted < tasks; submitted++) {
            while ((submitted - (receivedBytes.get() - base) / bytesPerTask) > 64) {
                LockSupport.parkNanos(20_000);
            }
            home.execute(task);
        }
        while (receivedBytes.get() - base < tasks * bytesPerTask) {
            LockSupport.parkNanos(20_000);
        }
    }

    private static long processCpuNs() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }
}
