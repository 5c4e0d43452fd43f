package dev.claudemesh.broker.netty.http;

import dev.claudemesh.broker.netty.pipeline.HttpRouter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.AsciiString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.SocketAddress;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One HTTP request and its answer: method, path, path parameters, query, headers and JSON body in; the answer out,
 * with the CORS header of PROTOCOL §6, a content length and keep-alive handled here (the connection is closed after
 * the answer when the request did not ask to keep it).
 *
 * <p>Threads: created and routed on the channel's event loop. The body ({@link #body()}, {@link #bodyJson()}) may be
 * read only there and only until the {@link RouteHandler} returns (the request is then released); everything else,
 * and the answer, may be used from any thread ({@code writeAndFlush} is thread-safe). Exactly one answer per request:
 * a second is dropped and logged.</p>
 */
public final class HttpExchange {

    private static final Logger log = LoggerFactory.getLogger(HttpExchange.class);
    private static final AsciiString PREFLIGHT_ALLOWED_HEADERS = AsciiString.cached(
            "Authorization, Content-Type, X-Member-Id, X-Member-Timestamp, X-Member-Signature");
    private static final AsciiString PREFLIGHT_MAX_AGE_S = AsciiString.cached("86400");

    private final ChannelHandlerContext ctx;
    private final FullHttpRequest request;
    private final HttpMethod method;
    private final String path;
    private final HttpVersion version;
    private final boolean keepAlive;
    private final AtomicBoolean answered = new AtomicBoolean();
    private Map<String, String> params = Map.of();
    /** Decoded on first use; volatile, so that a handler may read the query from the thread that answers. */
    private volatile Map<String, List<String>> query;

    HttpExchange(ChannelHandlerContext ctx, FullHttpRequest request) {
        this.ctx = Objects.requireNonNull(ctx, "ctx");
        this.request = Objects.requireNonNull(request, "request");
        this.method = request.method();
        this.path = pathOf(request.uri());
        this.version = request.protocolVersion();
        this.keepAlive = HttpUtil.isKeepAlive(request);
    }

    /** The request path: the URI without query and fragment, not decoded. */
    static String pathOf(String uri) {
        int q = uri.indexOf('?');
        int h = uri.indexOf('#');
        int end = q >= 0 ? q : uri.length();
        if (h >= 0 && h < end) {
            end = h;
        }
        return uri.substring(0, end);
    }

    void params(Map<String, String> params) {
        this.params = params;
    }

    // ------------------------------------------------------------------------------------------ request

    public HttpMethod method() {
        return method;
    }

    public String path() {
        return path;
    }

    /**
     * The value of the route template's {@code {name}} segment, as sent (not percent-decoded; it may be empty, so
     * handlers validate ids themselves).
     *
     * @throws IllegalArgumentException when the route's template has no such parameter (a bug in the route)
     */
    public String param(String name) {
        String v = params.get(name);
        if (v == null) {
            throw new IllegalArgumentException("param: " + name + " (expected one of " + params.keySet() + ")");
        }
        return v;
    }

    /** The first value of query parameter {@code name} (decoded), or null. Any thread. */
    public String query(String name) {
        Map<String, List<String>> q = query;
        if (q == null) {
            q = new QueryStringDecoder(request.uri()).parameters();
            query = q;
        }
        List<String> values = q.get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    /** A request header, or null. */
    public String header(CharSequence name) {
        return request.headers().get(name);
    }

    public HttpHeaders headers() {
        return request.headers();
    }

    /** The client's address (the TCP peer's). */
    public SocketAddress remoteAddress() {
        return ctx.channel().remoteAddress();
    }

    /** The body, without moving its indexes. Event loop only, before the handler returns. */
    public ByteBuf body() {
        return request.content();
    }

    /**
     * The body as one JSON object ({@link JsonBody}). Event loop only, before the handler returns.
     *
     * @throws JsonBody.BadJsonException when it is empty or not exactly one well-formed JSON object
     */
    public Map<String, Object> bodyJson() throws JsonBody.BadJsonException {
        return JsonBody.parseObject(request.content());
    }

    /** The channel's context, for a handler that keeps the connection (a stream). */
    public ChannelHandlerContext ctx() {
        return ctx;
    }

    // ------------------------------------------------------------------------------------------ answer

    public void send(Answer a) {
        send(a.status(), a.contentType(), a.body());
    }

    /** {@code status} with a UTF-8 JSON body. */
    public void send(HttpResponseStatus status, byte[] json) {
        send(status, Answer.JSON, json);
    }

    /** {@code status} with {@code {"error":"<message>"}}. */
    public void sendError(HttpResponseStatus status, String message) {
        send(ErrorBody.PLAIN.answer(status, message));
    }

    public void send(HttpResponseStatus status, CharSequence contentType, byte[] body) {
        send(status, contentType, body, null);
    }

    /** {@code status} with {@code body} and the headers of {@code extra} (nullable) too, e.g. caching headers. */
    public void send(HttpResponseStatus status, CharSequence contentType, byte[] body, HttpHeaders extra) {
        if (!claim()) {
            return;
        }
        FullHttpResponse res = new DefaultFullHttpResponse(version, status, Unpooled.wrappedBuffer(body));
        if (extra != null) {
            res.headers().set(extra);
        }
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        write(res);
    }

    /** 405 {@code {"error":"method not allowed"}} with {@code Allow: <allowed>, OPTIONS}. */
    void methodNotAllowed(String allowed) {
        if (!claim()) {
            return;
        }
        FullHttpResponse res = new DefaultFullHttpResponse(version, HttpResponseStatus.METHOD_NOT_ALLOWED,
                Unpooled.wrappedBuffer(ErrorBody.PLAIN.render("method not allowed")));
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, Answer.JSON);
        res.headers().set(HttpHeaderNames.ALLOW, allowed + ", OPTIONS");
        write(res);
    }

    /** The CORS preflight answer: 204 with the methods and headers the routes accept. */
    void preflight(CharSequence allowedMethods) {
        if (!claim()) {
            return;
        }
        FullHttpResponse res = new DefaultFullHttpResponse(version, HttpResponseStatus.NO_CONTENT,
                Unpooled.EMPTY_BUFFER);
        res.headers().set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_METHODS, allowedMethods);
        res.headers().set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_HEADERS, PREFLIGHT_ALLOWED_HEADERS);
        res.headers().set(HttpHeaderNames.ACCESS_CONTROL_MAX_AGE, PREFLIGHT_MAX_AGE_S);
        write(res);
    }

    /**
     * Starts an answer whose body is written later, piece by piece (server-sent events): the head goes out now
     * (chunked on HTTP/1.1), the connection is exempt from the request deadline, and it is closed when the stream
     * ends. The stream may be written from any thread.
     */
    public ResponseStream stream(HttpResponseStatus status, CharSequence contentType) {
        if (!claim()) {
            throw new IllegalStateException("stream: " + method + " " + path + " was answered already");
        }
        HttpResponse res = new DefaultHttpResponse(version, status);
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        res.headers().set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_CACHE);
        res.headers().set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, "*");
        if (version.equals(HttpVersion.HTTP_1_1)) {
            HttpUtil.setTransferEncodingChunked(res, true);
        } else {
            res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE); // the close ends the body
        }
        HttpRouter.keepOpen(ctx.channel());
        ctx.writeAndFlush(res);
        return new ResponseStream(ctx.channel());
    }

    /** True the first time; a second answer is a bug in a route, logged and dropped. */
    private boolean claim() {
        if (answered.compareAndSet(false, true)) {
            return true;
        }
        log.warn("http {} {}: a second answer was dropped", method, path);
        return false;
    }

    private void write(FullHttpResponse res) {
        res.headers().set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, "*");
        if (res.status().code() != HttpResponseStatus.NO_CONTENT.code()) {
            HttpUtil.setContentLength(res, res.content().readableBytes());
        }
        if (!keepAlive) {
            res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (!version.isKeepAliveDefault()) {
            res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
        ChannelFuture f = ctx.writeAndFlush(res);
        if (!keepAlive) {
            f.addListener(ChannelFutureListener.CLOSE);
        }
    }
}
