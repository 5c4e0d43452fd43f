package dev.claudemesh.broker.netty.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * {@link RouteTable} on its own, and through {@link HttpApi} on an {@link EmbeddedChannel} for what a new route
 * gets for free: parameters, query, 404/405, guarded areas, the preflight's method list, and a streamed answer.
 */
class RouteTableTest {

    private static final RouteHandler NOOP = x -> { };

    private final List<String> calls = new ArrayList<>();

    private RouteHandler recording(String name) {
        return x -> {
            calls.add(name + " " + x.method() + " " + x.path());
            x.send(HttpResponseStatus.OK, "{}".getBytes(StandardCharsets.UTF_8));
        };
    }

    // ------------------------------------------------------------------------------------------ resolve

    @Test
    void shouldResolveTemplatesWithParameters() {
        RouteTable t = RouteTable.builder()
                .get("/api/v1/meshes/{meshId}/peers/{peerId}", NOOP)
                .post("/api/v1/meshes/{meshId}/peers/{peerId}", NOOP)
                .build();
        RouteTable.Found f = (RouteTable.Found) t.resolve(HttpMethod.GET, "/api/v1/meshes/M1/peers/p2");
        assertThat(f.params()).isEqualTo(Map.of("meshId", "M1", "peerId", "p2"));
        assertThat(t.resolve(HttpMethod.GET, "/api/v1/meshes/M1/peers")).isInstanceOf(RouteTable.NotFound.class);
        assertThat(t.resolve(HttpMethod.GET, "/api/v1/meshes/M1/peers/p2/x")).isInstanceOf(RouteTable.NotFound.class);
        assertThat(t.resolve(HttpMethod.GET, "/api/v1/meshes/M1/peers/p2/")).isInstanceOf(RouteTable.NotFound.class);
        assertThat(t.resolve(HttpMethod.GET, "api/v1/meshes/M1/peers/p2")).isInstanceOf(RouteTable.NotFound.class);
        assertThat(((RouteTable.MethodNotAllowed) t.resolve(HttpMethod.DELETE, "/api/v1/meshes/M1/peers/p2"))
                .allowed()).isEqualTo("GET, POST");
        // a parameter matches one segment as sent, even an empty one: handlers validate ids
        assertThat(((RouteTable.Found) t.resolve(HttpMethod.GET, "/api/v1/meshes//peers/p2")).params())
                .containsEntry("meshId", "");
    }

    @Test
    void shouldPreferLiteralSegmentsOverParameters() {
        RouteHandler byId = x -> { };
        RouteHandler me = x -> { };
        RouteTable t = RouteTable.builder()
                .get("/api/v1/peers/{peerId}", byId)
                .get("/api/v1/peers/me", me)
                .post("/api/v1/peers/{peerId}", byId)
                .build();
        assertThat(((RouteTable.Found) t.resolve(HttpMethod.GET, "/api/v1/peers/me")).handler()).isSameAs(me);
        assertThat(((RouteTable.Found) t.resolve(HttpMethod.GET, "/api/v1/peers/p1")).handler()).isSameAs(byId);
        // the literal route owns its path: a method only the parameter route has is 405 there
        assertThat(t.resolve(HttpMethod.POST, "/api/v1/peers/me")).isInstanceOf(RouteTable.MethodNotAllowed.class);
    }

    @Test
    void shouldGuardTheInnermostArea() {
        Guard outer = x -> true;
        Guard inner = x -> false;
        RouteTable t = RouteTable.builder().area("/api", outer).area("/api/v1/admin", inner).get("/x", NOOP).build();
        assertThat(t.guardFor("/api")).isSameAs(outer);
        assertThat(t.guardFor("/api/v1/peers")).isSameAs(outer);
        assertThat(t.guardFor("/api/v1/admin")).isSameAs(inner);
        assertThat(t.guardFor("/api/v1/admin/meshes")).isSameAs(inner);
        assertThat(t.guardFor("/apix")).isNull();
        assertThat(t.guardFor("/x")).isNull();
    }

    @Test
    void shouldListEveryMethodForThePreflight() {
        RouteTable t = RouteTable.builder().delete("/a", NOOP).post("/b", NOOP).get("/c", NOOP).put("/a", NOOP)
                .build();
        assertThat(t.allMethods()).isEqualTo("GET, POST, PUT, DELETE, OPTIONS");
    }

    @Test
    void shouldRefuseAmbiguousOrMalformedRoutes() {
        assertThatThrownBy(() -> RouteTable.builder().get("/a/{id}", NOOP).get("/a/{id}", NOOP))
                .hasMessage("route: GET /a/{id} (registered twice)");
        assertThatThrownBy(() -> RouteTable.builder().get("/a/{id}", NOOP).post("/a/{name}", NOOP))
                .hasMessage("template: /a/{name} (same shape as /a/{id}: use one spelling)");
        assertThatThrownBy(() -> RouteTable.builder().get("a", NOOP))
                .hasMessage("template: a (expected: a path starting with /)");
        assertThatThrownBy(() -> RouteTable.builder().get("/a/{id}/{id}", NOOP))
                .hasMessage("template: /a/{id}/{id} (parameter {id} twice)");
        assertThatThrownBy(() -> RouteTable.builder().get("/a/x{id}", NOOP))
                .hasMessage("template: /a/x{id} (expected {name} segments)");
        assertThatThrownBy(() -> RouteTable.builder().route(HttpMethod.OPTIONS, "/a", NOOP))
                .hasMessage("method: OPTIONS (expected: another; preflight is built in)");
        assertThatThrownBy(() -> RouteTable.builder().area("/a/", x -> true))
                .hasMessage("prefix: /a/ (expected: /name, no trailing /)");
        assertThatThrownBy(() -> RouteTable.builder().area("/a", x -> true).area("/a", x -> true))
                .hasMessage("prefix: /a (guarded twice)");
    }

    // ------------------------------------------------------------------------------------------ through HttpApi

    private static FullHttpRequest request(HttpMethod method, String uri, String... headers) {
        FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, uri, Unpooled.buffer(0));
        for (int i = 0; i < headers.length; i += 2) {
            req.headers().set(headers[i], headers[i + 1]);
        }
        return req;
    }

    private static EmbeddedChannel channel(HttpApi api) {
        return new EmbeddedChannel(new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                api.handle(ctx, (FullHttpRequest) msg);
            }
        });
    }

    /** One request on a fresh channel: status and body; checks nothing else was written or is left over. */
    private static String call(HttpApi api, FullHttpRequest req) {
        EmbeddedChannel ch = channel(api);
        ch.writeInbound(req);
        assertThat(req.refCnt()).isZero();
        FullHttpResponse res = ch.readOutbound();
        try {
            assertThat(res.headers().get(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN)).isEqualTo("*");
            return res.status().code() + " " + res.content().toString(StandardCharsets.UTF_8);
        } finally {
            res.release();
            assertFalse(ch.finish());
        }
    }

    @Test
    void shouldGiveANewRouteParametersQueryAndGuardInOneLineEach() {
        AtomicReference<String> seen = new AtomicReference<>();
        BearerAuth apiKey = BearerAuth.of("k3y", BearerAuth.Unset.HIDDEN, ErrorBody.PLAIN);
        HttpApi api = new HttpApi(RouteTable.builder()
                .area("/api/v1", apiKey)
                .get("/api/v1/meshes/{meshId}/state", x -> {
                    seen.set(x.param("meshId") + "|" + x.query("key") + "|" + x.query("none"));
                    x.send(HttpResponseStatus.OK, "{\"ok\":true}".getBytes(StandardCharsets.UTF_8));
                })
                .build());
        assertThat(call(api, request(HttpMethod.GET, "/api/v1/meshes/M7/state?key=a%20b",
                "authorization", "Bearer k3y"))).isEqualTo("200 {\"ok\":true}");
        assertThat(seen.get()).isEqualTo("M7|a b|null");
        assertThat(call(api, request(HttpMethod.GET, "/api/v1/meshes/M7/state"))).isEqualTo(
                "401 {\"error\":\"unauthorized\"}");
        assertThat(call(api, request(HttpMethod.GET, "/api/v1/nothing", "authorization", "Bearer k3y")))
                .isEqualTo("404 {\"error\":\"not found\"}");
        assertThat(call(api, request(HttpMethod.POST, "/api/v1/meshes/M7/state", "authorization", "Bearer k3y")))
                .isEqualTo("405 {\"error\":\"method not allowed\"}");
    }

    @Test
    void shouldAnswer500OnceWhenAHandlerThrowsAfterAnswering() {
        HttpApi api = new HttpApi(RouteTable.builder()
                .get("/boom", x -> {
                    throw new IllegalStateException("bug");
                })
                .get("/twice", x -> {
                    x.sendError(HttpResponseStatus.CONFLICT, "first");
                    x.sendError(HttpResponseStatus.OK, "second"); // dropped
                    throw new IllegalStateException("bug after the answer"); // no second answer either
                })
                .build());
        assertThat(call(api, request(HttpMethod.GET, "/boom"))).isEqualTo("500 {\"error\":\"internal error\"}");
        assertThat(call(api, request(HttpMethod.GET, "/twice"))).isEqualTo("409 {\"error\":\"first\"}");
    }

    @Test
    void shouldStreamAnAnswerThatStaysOpen() {
        AtomicReference<ResponseStream> stream = new AtomicReference<>();
        HttpApi api = new HttpApi(RouteTable.builder()
                .get("/events", x -> stream.set(x.stream(HttpResponseStatus.OK, "text/event-stream")))
                .build());
        EmbeddedChannel ch = channel(api);
        ch.writeInbound(request(HttpMethod.GET, "/events"));
        HttpResponse head = ch.readOutbound();
        assertThat(head).isNotInstanceOf(FullHttpResponse.class);
        assertThat(head.status().code()).isEqualTo(200);
        assertThat(head.headers().get(HttpHeaderNames.CONTENT_TYPE)).isEqualTo("text/event-stream");
        assertThat(HttpUtil.isTransferEncodingChunked(head)).isTrue();
        assertThat(head.headers().get(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN)).isEqualTo("*");

        stream.get().write("data: one\n\n".getBytes(StandardCharsets.UTF_8));
        stream.get().write("data: two\n\n".getBytes(StandardCharsets.UTF_8));
        StringBuilder body = new StringBuilder();
        for (int i = 0; i < 2; i++) {
            HttpContent chunk = ch.readOutbound();
            body.append(chunk.content().toString(StandardCharsets.UTF_8));
            chunk.release();
        }
        assertThat(body).hasToString("data: one\n\ndata: two\n\n");
        assertThat(ch.isActive()).isTrue();

        stream.get().end();
        Object last = ch.readOutbound();
        assertThat(last).isInstanceOf(LastHttpContent.class);
        ReferenceCountUtil.release(last);
        assertThat(ch.isActive()).isFalse();
        assertThat(stream.get().closeFuture().isDone()).isTrue();
        stream.get().write("data: late\n\n".getBytes(StandardCharsets.UTF_8)); // ignored
        assertFalse(ch.finish());
    }
}
