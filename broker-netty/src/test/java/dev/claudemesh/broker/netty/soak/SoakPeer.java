package dev.claudemesh.broker.netty.soak;

import dev.claudemesh.broker.core.crypto.Ed25519;
import dev.claudemesh.broker.core.testing.Identities;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;

import java.net.InetSocketAddress;
import java.net.URI;
import java.util.concurrent.CompletableFuture;

/**
 * One simulated session of the soak: a Netty WebSocket client that connects, sends a {@code session_hello} with its
 * stable session key (so a reconnect reattaches its lease), reports acks and pushes to the {@link SoakLedger}, and
 * answers every DM push with a {@code client_ack}. State fields are written on the channel's loop and read by the
 * driver thread (volatile). Reconnect with {@link #connect} after {@link #disconnect}.
 */
final class SoakPeer {

    final int index;
    final int meshIndex;
    final Identities.MemberKeys member;
    final Ed25519.KeyPair sessionKeys;
    private final SoakLedger ledger;
    private volatile Channel channel;
    private volatile boolean ready;
    /** Set by {@link #disconnect}: a close from here on is ours, not the broker's. */
    private volatile boolean closing;

    SoakPeer(int index, int meshIndex, Identities.MemberKeys member, SoakLedger ledger) {
        this.index = index;
        this.meshIndex = meshIndex;
        this.member = member;
        this.sessionKeys = Ed25519.generate();
        this.ledger = ledger;
    }

    String key() {
        return sessionKeys.publicKeyHex();
    }

    boolean ready() {
        return ready;
    }

    boolean connected() {
        Channel c = channel;
        return c != null && c.isActive();
    }

    /**
     * Connects from {@code local} to {@code remote} (several loopback source addresses spread the ephemeral ports)
     * and sends the hello; the future completes on hello_ack (true) or on an error, a close or a failed connect.
     */
    CompletableFuture<Boolean> connect(Bootstrap base, InetSocketAddress remote, InetSocketAddress local, URI uri) {
        CompletableFuture<Boolean> done = new CompletableFuture<>();
        ready = false;
        closing = false;
        Bootstrap b = base.clone().handler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
                ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(16 * 1024),
                        new WebSocketClientProtocolHandler(WebSocketClientProtocolConfig.newBuilder()
                                .webSocketUri(uri).maxFramePayloadLength(1 << 20).handleCloseFrames(false)
                                .handshakeTimeoutMillis(30_000).build()),
                        new WebSocketFrameAggregator(1 << 20), new Handler(done));
            }
        });
        ChannelFuture f = b.connect(remote, local);
        channel = f.channel();
        f.addListener((ChannelFutureListener) cf -> {
            if (!cf.isSuccess()) {
                ledger.connectFailures.increment();
                done.complete(false);
            }
        });
        return done;
    }

    void send(String json) {
        Channel c = channel;
        if (c != null && c.isActive()) {
            c.writeAndFlush(new TextWebSocketFrame(json), c.voidPromise());
        }
    }

    /** Polite close (close frame 1000) or an abrupt one (TCP close without a close frame). */
    void disconnect(boolean polite) {
        Channel c = channel;
        ready = false;
        closing = true;
        if (c == null) {
            return;
        }
        if (polite && c.isActive()) {
            c.writeAndFlush(new CloseWebSocketFrame(1000, "bye")).addListener(ChannelFutureListener.CLOSE);
        } else {
            c.close();
        }
    }

    /** Waits for the socket to be closed (bounded by the caller's patience). */
    void awaitClosed(long timeoutMs) {
        Channel c = channel;
        if (c != null) {
            c.closeFuture().awaitUninterruptibly(timeoutMs);
        }
    }

    /**
     * One connection's handler. It completes its own connection's hello future and touches the peer's state only
     * while its channel is the peer's current one: the previous socket's late close must not mark a new one down.
     */
    private final class Handler extends SimpleChannelInboundHandler<WebSocketFrame> {
        private final CompletableFuture<Boolean> helloDone;

        Handler(CompletableFuture<Boolean> helloDone) {
            this.helloDone = helloDone;
        }

        private boolean current(ChannelHandlerContext ctx) {
            return ctx.channel() == channel;
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_COMPLETE) {
                ctx.writeAndFlush(new TextWebSocketFrame(Identities.sessionHello(member, sessionKeys,
                        "soak-" + index, System.currentTimeMillis(), 3_600_000, "soak" + index, null)));
            } else if (evt == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_TIMEOUT) {
                helloDone.complete(false);
            }
            super.userEventTriggered(ctx, evt);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame msg) {
            if (msg instanceof CloseWebSocketFrame close) {
                // the broker closed this socket: counted unless it is the answer to our own close
                if (!closing && current(ctx)) {
                    ledger.error("close:" + close.statusCode() + ":" + close.reasonText());
                }
                ctx.close();
                return;
            }
            if (!(msg instanceof TextWebSocketFrame frame)) {
                return;
            }
            String text = frame.text();
            String type = SoakLedger.field(text, "type");
            if ("ack".equals(type)) {
                ledger.onAck(text);
            } else if ("push".equals(type)) {
                if (text.contains("\"subtype\":\"system\"")) {
                    ledger.systemPushes.increment();
                } else if (text.contains("\"senderMemberPubkey\"")) {
                    ledger.multicastPushes.increment();
                } else {
                    ledger.onDmPush(key(), text);
                    String cid = SoakLedger.field(text, "client_message_id");
                    ctx.writeAndFlush(new TextWebSocketFrame("{\"type\":\"client_ack\",\"clientMessageId\":\"" + cid
                            + "\",\"brokerMessageId\":\"" + SoakLedger.field(text, "messageId") + "\"}"),
                            ctx.voidPromise());
                }
            } else if ("hello_ack".equals(type)) {
                if (current(ctx)) {
                    ready = true;
                }
                helloDone.complete(true);
            } else if ("error".equals(type)) {
                ledger.error(SoakLedger.field(text, "code"));
                helloDone.complete(false);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            if (current(ctx)) {
                ready = false;
            }
            helloDone.complete(false);
            super.channelInactive(ctx);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ledger.error(cause.getClass().getSimpleName());
            ctx.close();
        }
    }
}
