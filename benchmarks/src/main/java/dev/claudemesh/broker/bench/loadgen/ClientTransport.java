package dev.claudemesh.broker.bench.loadgen;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import dev.claudemesh.broker.core.envelope.BinaryWire;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.DefaultThreadFactory;

import java.net.InetSocketAddress;
import java.net.URI;
import java.util.concurrent.TimeUnit;

/**
 * The generator's WebSocket client: one event loop group (native epoll when available, NIO otherwise) and a
 * pipeline {@code httpCodec → httpAggregator → wsProtocol → wsAggregator → peer} per connection. The
 * {@code peer} handler owns the peer's lifecycle up to the {@code hello_ack} and then hands every text frame's
 * content to the run's {@link Events}. Close it once, after the run.
 */
final class ClientTransport implements AutoCloseable {

    /** Largest frame accepted from the server (a broker push is at most MAX_MESSAGE_BYTES plus its header). */
    static final int MAX_FRAME_BYTES = 1 << 20;

    /** What a run does with its peers' events. Called on the peer's event loop. */
    interface Events {
        /** The hello was acked (or, for the relay, the upgrade completed). */
        void ready(Peer p);

        /** The connection failed before it was ready ({@code why} says how). */
        void failed(Peer p, String why);

        /** A text frame after ready; {@code content} is released by the caller after the call. */
        void frame(Peer p, ByteBuf content);

        /** End of a read burst: flush what was written. */
        void readComplete(Peer p);

        /** The connection closed after it was ready. */
        void closed(Peer p);
    }

    final EventLoopGroup group;
    final boolean epoll;
    private final Bootstrap bootstrap;

    /** True when peers speak the binary subprotocol through a {@link ProtocolEdge}. */
    final boolean binary;

    ClientTransport(int threads) {
        this(threads, false);
    }

    ClientTransport(int threads, boolean binary) {
        this.binary = binary;
        this.epoll = Epoll.isAvailable();
        this.group = new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory("loadgen-loop", true),
                epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        this.bootstrap = new Bootstrap().group(group)
                .channel(epoll ? EpollSocketChannel.class : NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 30_000)
                // Above this the generator counts a send as not sent instead of queueing without bound.
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(4 << 20, 8 << 20));
    }

    /**
     * Opens {@code p}'s connection to {@code uri}: TCP, upgrade, then {@code hello} (null: ready at the upgrade).
     */
    ChannelFuture connect(URI uri, Peer p, String hello, Events events) {
        p.connectStartNanos = System.nanoTime();
        WebSocketClientProtocolConfig ws = WebSocketClientProtocolConfig.newBuilder()
                .webSocketUri(uri)
                .version(WebSocketVersion.V13)
                .allowExtensions(false)
                .maxFramePayloadLength(MAX_FRAME_BYTES)
                .handshakeTimeoutMillis(30_000)
                .dropPongFrames(true)
                .handleCloseFrames(false)
                .generateOriginHeader(false)
                .withUTF8Validator(false)
                .subprotocol(binary ? BinaryWire.SUBPROTOCOL : null)
                .build();
        Bootstrap b = bootstrap.clone().handler(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                ChannelPipeline pl = ch.pipeline();
                pl.addLast("httpCodec", new HttpClientCodec());
                pl.addLast("httpAggregator", new HttpObjectAggregator(8192));
                pl.addLast("wsProtocol", new WebSocketClientProtocolHandler(ws));
                pl.addLast("wsAggregator", new WebSocketFrameAggregator(MAX_FRAME_BYTES));
                if (binary) {
                    pl.addLast("protocolEdge", new ProtocolEdge());
                }
                pl.addLast("peer", new PeerHandler(p, hello, events));
            }
        });
        ChannelFuture f = b.connect(new InetSocketAddress(uri.getHost(), Options.port(uri)));
        p.channel = f.channel();
        f.addListener(done -> {
            if (!done.isSuccess()) {
                fail(p, events, "connect: " + done.cause());
            }
        });
        return f;
    }

    private static void fail(Peer p, Events events, String why) {
        if (p.state == Peer.CONNECTING) {
            p.state = Peer.FAILED;
            events.failed(p, why);
        }
    }

    /** Sends a close frame on every ready peer, then closes the sockets; waits up to {@code timeoutMs}. */
    static void closeAll(Iterable<Peer> peers, long timeoutMs) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        for (Peer p : peers) {
            Channel ch = p.channel;
            if (ch != null && ch.isActive()) {
                p.state = Peer.CLOSED;
                ch.writeAndFlush(new CloseWebSocketFrame(1000, "loadgen done")).addListener(f -> ch.close());
            }
        }
        for (Peer p : peers) {
            Channel ch = p.channel;
            if (ch != null) {
                long left = deadline - System.nanoTime();
                if (left <= 0 || !ch.closeFuture().awaitUninterruptibly(TimeUnit.NANOSECONDS.toMillis(left))) {
                    ch.close();
                }
            }
        }
    }

    @Override
    public void close() {
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    /** The per-connection handler: upgrade → hello → hello_ack, then frames to the run. Releases what it reads. */
    private static final class PeerHandler extends ChannelInboundHandlerAdapter {

        private final Peer peer;
        private final String hello;
        private final Events events;

        PeerHandler(Peer peer, String hello, Events events) {
            this.peer = peer;
            this.hello = hello;
            this.events = events;
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_COMPLETE) {
                if (hello == null) {
                    ready(ctx);
                } else {
                    ctx.writeAndFlush(new TextWebSocketFrame(hello), ctx.voidPromise());
                }
            } else if (evt == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_TIMEOUT) {
                fail(peer, events, "websocket handshake timeout");
                ctx.close();
            }
            super.userEventTriggered(ctx, evt);
        }

        private void ready(ChannelHandlerContext ctx) {
            if (peer.state == Peer.CONNECTING) {
                peer.readyNanos = System.nanoTime();
                peer.state = Peer.READY;
                events.ready(peer);
            }
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof CloseWebSocketFrame close) {
                    peer.closeReason = close.statusCode() + " " + close.reasonText();
                    ctx.close();
                    return;
                }
                if (!(msg instanceof TextWebSocketFrame || msg instanceof BinaryWebSocketFrame)) {
                    return;
                }
                ByteBuf content = ((WebSocketFrame) msg).content();
                if (peer.state == Peer.READY || peer.state == Peer.CLOSED) {
                    events.frame(peer, content);
                } else if (peer.state == Peer.CONNECTING) {
                    if (Wire.startsWith(content, Wire.HELLO_ACK)) {
                        ready(ctx);
                    } else if (Wire.startsWith(content, Wire.ERROR)) {
                        int at = Wire.after(content, Wire.MESSAGE_TEXT, content.readerIndex());
                        fail(peer, events, "hello rejected: " + Wire.text(content, at, 120));
                        ctx.close();
                    }
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            if (peer.unflushed) {
                events.readComplete(peer);
            }
            ctx.fireChannelReadComplete();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (peer.state == Peer.CONNECTING) {
                fail(peer, events, "closed before hello_ack" + (peer.closeReason == null ? "" : " (" + peer.closeReason + ")"));
            } else if (peer.state == Peer.READY) {
                peer.state = Peer.CLOSED;
                events.closed(peer);
            }
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            fail(peer, events, cause.toString());
            ctx.close();
        }
    }
}
