package dev.claudemesh.broker.bench.loadgen;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.DefaultThreadFactory;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * The baseline every broker figure is compared with: a bare Netty WebSocket relay on the same machine, with the
 * broker's transport choices (epoll, pooled buffers, TCP_NODELAY, no UTF-8 validation, frame aggregation, one flush
 * per loop turn per socket, writes hopping to the target's loop) and nothing else: no authentication, no routing
 * state beyond "peer number → socket" (from {@code /ws?peer=N}), no JSON parsing, no database. A text frame that
 * starts with {@code {"to":N,} is forwarded as is (the same buffer) to peer N. Thread-safe; close once.
 */
final class RelayServer implements AutoCloseable {

    /** Peer numbers accepted in {@code ?peer=N}. */
    static final int MAX_PEERS = 1 << 20;

    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final Channel server;
    private final AtomicReferenceArray<Out> peers = new AtomicReferenceArray<>(MAX_PEERS);
    final LongAdder relayed = new LongAdder();
    final LongAdder dropped = new LongAdder();

    /** A peer's socket with its loop-confined flush flag (the broker's NettyPeerConnection, minus the domain). */
    private static final class Out {
        final Channel channel;
        final Runnable flushTask;
        boolean flushScheduled;

        Out(Channel channel) {
            this.channel = channel;
            this.flushTask = () -> {
                flushScheduled = false;
                channel.flush();
            };
        }

        void write(Object frame) {
            if (channel.eventLoop().inEventLoop()) {
                writeOnLoop(frame);
            } else {
                channel.eventLoop().execute(() -> writeOnLoop(frame));
            }
        }

        private void writeOnLoop(Object frame) {
            if (!channel.isActive()) {
                ReferenceCountUtil.release(frame);
                return;
            }
            channel.write(frame, channel.voidPromise());
            if (!flushScheduled) {
                flushScheduled = true;
                channel.eventLoop().execute(flushTask);
            }
        }
    }

    private RelayServer(int port, int threads) throws InterruptedException {
        boolean epoll = Epoll.isAvailable();
        boss = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("relay-accept"),
                epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        workers = new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory("relay-loop"),
                epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        Class<? extends ServerChannel> channelClass = epoll ? EpollServerSocketChannel.class
                : NioServerSocketChannel.class;
        WebSocketServerProtocolConfig ws = WebSocketServerProtocolConfig.newBuilder()
                .websocketPath("/ws")
                .checkStartsWith(true)
                .handleCloseFrames(true)
                .dropPongFrames(true)
                .decoderConfig(WebSocketDecoderConfig.newBuilder()
                        .maxFramePayloadLength(ClientTransport.MAX_FRAME_BYTES)
                        .allowExtensions(false)
                        .expectMaskedFrames(true)
                        .withUTF8Validator(false)
                        .build())
                .build();
        server = new ServerBootstrap().group(boss, workers).channel(channelClass)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(256 * 1024, 1024 * 1024))
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ChannelPipeline p = ch.pipeline();
                        p.addLast("httpCodec", new HttpServerCodec());
                        p.addLast("httpAggregator", new HttpObjectAggregator(8192));
                        p.addLast("wsProtocol", new WebSocketServerProtocolHandler(ws));
                        p.addLast("wsAggregator", new WebSocketFrameAggregator(ClientTransport.MAX_FRAME_BYTES));
                        p.addLast("relay", new RelayHandler());
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", port)).sync().channel();
    }

    /** Starts a relay on {@code 127.0.0.1:port} (0 = any free port) with {@code threads} event loops. */
    static RelayServer start(int port, int threads) throws InterruptedException {
        return new RelayServer(port, threads);
    }

    int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    @Override
    public void close() {
        server.close().awaitUninterruptibly();
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    /** Per connection: registers the peer number at the upgrade, then forwards frames. Owns what it reads. */
    private final class RelayHandler extends ChannelInboundHandlerAdapter {
        private int peer = -1;

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt instanceof WebSocketServerProtocolHandler.HandshakeComplete hc) {
                List<String> v = new QueryStringDecoder(hc.requestUri()).parameters().get("peer");
                int n = v == null || v.isEmpty() ? -1 : parse(v.get(0));
                if (n < 0 || n >= MAX_PEERS) {
                    ctx.close();
                    return;
                }
                peer = n;
                peers.set(n, new Out(ctx.channel()));
            }
            super.userEventTriggered(ctx, evt);
        }

        private static int parse(String s) {
            try {
                return Integer.parseInt(s);
            } catch (NumberFormatException e) {
                return -1;
            }
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof TextWebSocketFrame frame)) {
                ReferenceCountUtil.release(msg);
                return;
            }
            int to = target(frame.content());
            Out out = to < 0 ? null : peers.get(to);
            if (out == null) {
                dropped.increment();
                frame.release();
                return;
            }
            relayed.increment();
            out.write(frame);
        }

        /** N of a frame starting with {@code {"to":N,}, or -1. */
        private static int target(ByteBuf b) {
            if (!Wire.startsWith(b, Wire.RELAYED)) {
                return -1;
            }
            int v = 0;
            int i = b.readerIndex() + Wire.RELAYED.length;
            int end = Math.min(b.writerIndex(), i + 8);
            for (; i < end; i++) {
                byte c = b.getByte(i);
                if (c == ',') {
                    return v < MAX_PEERS ? v : -1;
                }
                if (c < '0' || c > '9') {
                    return -1;
                }
                v = v * 10 + (c - '0');
            }
            return -1;
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (peer >= 0) {
                Out o = peers.get(peer);
                if (o != null && o.channel == ctx.channel()) {
                    peers.compareAndSet(peer, o, null);
                }
            }
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
