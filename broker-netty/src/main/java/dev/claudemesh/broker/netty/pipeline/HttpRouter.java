package dev.claudemesh.broker.netty.pipeline;

import dev.claudemesh.broker.core.envelope.BinaryWire;
import dev.claudemesh.broker.core.envelope.WireFormat;
import dev.claudemesh.broker.core.mesh.Broker;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakeException;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakerFactory;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.AttributeKey;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Routes one HTTP request: an upgrade to exactly {@code /ws} (query string ignored) becomes a WebSocket — the
 * HTTP handlers leave the pipeline and the frame handlers take their place — and everything else goes to the
 * {@link HttpHandler}. An upgrade to any other path gets 404 and no 101 (PROTOCOL §2). One per channel; runs on
 * the channel's loop.
 */
public final class HttpRouter extends SimpleChannelInboundHandler<FullHttpRequest> {

    /** Answers plain HTTP requests (health, metrics, hooks, admin, join). Takes ownership of the request. */
    public interface HttpHandler {
        void handle(ChannelHandlerContext ctx, FullHttpRequest request);
    }

    private static final Logger log = LoggerFactory.getLogger(HttpRouter.class);

    private final Broker broker;
    private final HttpHandler http;
    private final PipelineLimits limits;

    public HttpRouter(Broker broker, HttpHandler http, PipelineLimits limits) {
        this.broker = broker;
        this.http = http;
        this.limits = limits;
    }

    /** Set on a channel whose answer is a stream (server-sent events): the request deadline no longer applies. */
    private static final AttributeKey<Boolean> STREAMING = AttributeKey.valueOf(HttpRouter.class, "streaming");

    private io.netty.util.concurrent.ScheduledFuture<?> requestDeadline;
    /** The channel's lingering close; null on a channel built without it (tests of single handlers). */
    private HttpLingeringClose linger;

    /**
     * Exempts {@code channel} from the request deadline: its answer is a stream that stays open (server-sent
     * events), not a slow request. Any thread.
     */
    public static void keepOpen(Channel channel) {
        channel.attr(STREAMING).set(Boolean.TRUE);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        linger = ctx.pipeline().get(HttpLingeringClose.class);
        armDeadline(ctx);
    }

    /**
     * Slow or idle HTTP clients (slowloris) are closed when no complete request arrives in time: a request under way
     * gets 408 (RFC 9110 §15.5.9) and the lingering close; an idle connection is closed without a word (a 408 there
     * would answer a request the client never sent, RFC 9112 §9.5).
     */
    private void armDeadline(ChannelHandlerContext ctx) {
        if (requestDeadline != null) {
            requestDeadline.cancel(false);
        }
        requestDeadline = ctx.executor().schedule(() -> {
            if (!ctx.channel().isActive() || ctx.channel().attr(STREAMING).get() != null) {
                return;
            }
            if (linger != null && linger.closing()) {
                return; // a lingering connection ends at the lingering's own bounds
            }
            if (linger != null && linger.requestStarted()) {
                sendPlain(ctx, HttpResponseStatus.REQUEST_TIMEOUT, "{\"error\":\"request timeout\"}");
            } else {
                ctx.close();
            }
        }, limits.httpRequestTimeoutMs(), java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (requestDeadline != null) {
            requestDeadline.cancel(false);
        }
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
        if (linger != null) {
            if (linger.closing()) {
                return; // decoded from bytes that came with an answer that ends the connection: not served
            }
            linger.requestComplete();
        }
        armDeadline(ctx);
        if (!req.decoderResult().isSuccess()) {
            // the codec refused the request (smuggling-prone framing, oversized head, bad syntax); answer and close
            Throwable cause = req.decoderResult().cause();
            if (cause instanceof TooLongHttpHeaderException) {
                sendPlain(ctx, HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "{\"error\":\"headers too large\"}");
            } else if (cause instanceof TooLongHttpLineException) {
                sendPlain(ctx, HttpResponseStatus.REQUEST_URI_TOO_LONG, "{\"error\":\"request line too long\"}");
            } else {
                sendPlain(ctx, HttpResponseStatus.BAD_REQUEST, "{\"error\":\"bad request\"}");
            }
            return;
        }
        String uri = req.uri();
        int q = uri.indexOf('?');
        String path = q >= 0 ? uri.substring(0, q) : uri;
        // Only a WebSocket upgrade counts; other upgrade offers (e.g. h2c from HTTP clients) are ignored and the
        // request is served as plain HTTP/1.1.
        boolean wsUpgrade = "websocket".equalsIgnoreCase(req.headers().get(HttpHeaderNames.UPGRADE))
                && req.headers().containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true);
        if (wsUpgrade) {
            if (!"/ws".equals(path) || req.method() != HttpMethod.GET) {
                sendPlain(ctx, HttpResponseStatus.NOT_FOUND, "{\"error\":\"not found\"}");
                return;
            }
            upgrade(ctx, req);
            return;
        }
        http.handle(ctx, req.retain());
    }

    private void upgrade(ChannelHandlerContext ctx, FullHttpRequest req) {
        boolean tls = ctx.pipeline().get(SslHandler.class) != null;
        String url = (tls ? "wss://" : "ws://") + req.headers().get(HttpHeaderNames.HOST, "localhost") + "/ws";
        WebSocketDecoderConfig decoderConfig = WebSocketDecoderConfig.newBuilder()
                .maxFramePayloadLength(limits.maxFrameBytes())
                .allowExtensions(false)
                .allowMaskMismatch(false)
                .expectMaskedFrames(true)
                // UTF-8 is validated by the JSON decoder (bad input gets bad_request); skipping Netty's pass saves a
                // quarter of a relay's CPU per message.
                .withUTF8Validator(false)
                .closeOnProtocolViolation(false)
                .build();
        // the binary subprotocol when the client offers it (docs/BINARY-PROTOCOL.md); no header and JSON otherwise
        WebSocketServerHandshakerFactory factory =
                new WebSocketServerHandshakerFactory(url, BinaryWire.SUBPROTOCOL, decoderConfig);
        WebSocketServerHandshaker handshaker = factory.newHandshaker(req);
        if (handshaker == null) {
            WebSocketServerHandshakerFactory.sendUnsupportedVersionResponse(ctx.channel());
            return;
        }
        ChannelPipeline p = ctx.pipeline();
        try {
            handshaker.handshake(ctx.channel(), req).addListener(f -> {
                if (!f.isSuccess()) {
                    ctx.close();
                }
            });
        } catch (WebSocketServerHandshakeException e) {
            // e.g. no Sec-WebSocket-Key: the client's error, not ours (no ERROR log); thrown before any pipeline change
            sendPlain(ctx, HttpResponseStatus.BAD_REQUEST, "{\"error\":\"bad request\"}");
            return;
        }
        // the handshaker replaced the HTTP codec with the WebSocket decoder/encoder; keep frames whole, and close
        // the way RFC 6455 §7 says
        p.addBefore(ctx.name(), HandlerNames.WS_AGGREGATOR, new WebSocketFrameAggregator(limits.maxFrameBytes()));
        p.addBefore(ctx.name(), HandlerNames.WS_CLOSE,
                new WebSocketCloseHandler(limits.closeFlushTimeoutMs(), limits.closeHandshakeTimeoutMs()));
        if (p.get(HandlerNames.HTTP_LINGER) != null) {
            p.remove(HandlerNames.HTTP_LINGER); // WebSocketCloseHandler closes from now on
        }
        WireFormat format = BinaryWire.SUBPROTOCOL.equals(handshaker.selectedSubprotocol())
                ? WireFormat.BINARY : WireFormat.JSON;
        p.replace(this, HandlerNames.PEER, new PeerFrameHandler(broker, limits.pingMs(), limits.staleMs(),
                limits.helloTimeoutMs(), limits.maxPendingBytesPerSocket(), format));
        if (p.get(HandlerNames.HTTP_AGGREGATOR) != null) {
            p.remove(HandlerNames.HTTP_AGGREGATOR);
        }
    }

    /**
     * Errors before a request is routed (STYLE habit 11). TLS failures (a plaintext or untrusting client on the TLS
     * port) and I/O errors are the client's doing: DEBUG, and without the exception message, which for a plaintext
     * request holds its bytes, Authorization header included. Anything else is logged once at ERROR. Either way the
     * connection is closed.
     */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Throwable c = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
        // SSLException (NotSslRecordException, handshake failures) included; a client gone mid-body (e.g. closed by
        // the request deadline) makes the aggregator raise PrematureChannelClosureException: the client's doing too
        if (c instanceof IOException || c instanceof PrematureChannelClosureException) {
            log.debug("http channel {} closed: {}", ctx.channel().id(), c.getClass().getSimpleName());
        } else {
            log.error("http channel {} unexpected error, closing", ctx.channel().id(), cause);
        }
        ctx.close();
    }

    /**
     * Writes a JSON response with CORS and {@code Connection: close}, and ends the connection the lingering way
     * ({@link HttpLingeringClose}): the answers of the pipeline itself (413, 400, 414, 431, 408, an upgrade's 404) often
     * go out while the request is still arriving. On the loop.
     */
    public static void sendPlain(ChannelHandlerContext ctx, HttpResponseStatus status, String json) {
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.copiedBuffer(json, StandardCharsets.UTF_8));
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
        res.headers().set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, "*");
        HttpUtil.setContentLength(res, res.content().readableBytes());
        res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        HttpLingeringClose.answerAndClose(ctx, res);
    }
}
