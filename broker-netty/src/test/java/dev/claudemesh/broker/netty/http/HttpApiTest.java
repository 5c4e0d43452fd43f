package dev.claudemesh.broker.netty.http;

import dev.claudemesh.broker.core.BrokerMetrics;
import dev.claudemesh.broker.core.Clock;
import dev.claudemesh.broker.core.mesh.Broker;
import dev.claudemesh.broker.core.testing.FakeDurableLog;
import dev.claudemesh.broker.core.model.GroupRole;
import dev.claudemesh.broker.core.model.Member;
import dev.claudemesh.broker.core.port.DurableOp;
import dev.claudemesh.broker.core.port.MemberDirectory;
import dev.claudemesh.broker.db.store.MembershipAdmin;
import dev.claudemesh.broker.db.store.AuditOutbox;
import dev.claudemesh.broker.db.store.MemberProfiles;
import dev.claudemesh.broker.netty.BrokerConfig;
import dev.claudemesh.broker.netty.ServerContext;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.Test;

import javax.sql.DataSource;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link HttpApi} on an {@link EmbeddedChannel}, for every path that needs no database. The blocking executor runs
 * inline and the clock is manual, so each answer is written before {@code writeInbound} returns.
 */
class HttpApiTest {

    private static final String KEY = "a".repeat(64);
    private static final String MESH_ID = "M".repeat(32);

    /** A response, copied and released. */
    record Reply(int status, String body, HttpHeaders headers) { }

    private static final MemberDirectory NO_MEMBERS = new MemberDirectory() {
        @Override
        public CompletableFuture<Optional<Member>> findByPubkey(String meshId, String pubkey) {
            return CompletableFuture.completedFuture(Optional.empty());
        }

        @Override
        public void invalidate(String meshId, String pubkey) {
        }
    };

    /** A pool whose every connection attempt fails, as when PostgreSQL is down. */
    private static final DataSource DOWN = (DataSource) Proxy.newProxyInstance(HttpApiTest.class.getClassLoader(),
            new Class<?>[] {DataSource.class}, (proxy, method, args) -> {
                if (method.getName().equals("toString")) {
                    return "down";
                }
                throw new SQLException("connection refused");
            });

    private final AtomicLong nowMs = new AtomicLong(1_000_000);
    private final Clock clock = nowMs::get;
    private final FakeDurableLog durable = withBacklog(3);
    private final BrokerMetrics metrics = new BrokerMetrics();

    /** A writer with {@code n} uncommitted ops (the writer queue gauge must report them). */
    private static FakeDurableLog withBacklog(int n) {
        FakeDurableLog log = new FakeDurableLog();
        for (int i = 0; i < n; i++) {
            log.submit(new DurableOp.MarkDelivered("mesh", "m" + i, 0));
        }
        return log;
    }

    private HttpApi api(Map<String, String> env) {
        Map<String, String> all = new HashMap<>(env);
        all.putIfAbsent("GIT_SHA", "abc123");
        BrokerConfig config = BrokerConfig.load(all, List.of());
        Broker broker = new Broker(config.settings(), clock, meshId -> {
            throw new AssertionError("no mesh loop expected");
        }, NO_MEMBERS, durable, metrics);
        ServerContext ctx = new ServerContext(config, broker, durable, Runnable::run, () -> 7900, clock,
                nowMs.get() - 5_000, "0.1.0-test", metrics);
        HttpApi.Stores stores = new HttpApi.Stores(new MembershipAdmin(DOWN, null, MembershipAdmin.VIA_ADMIN_API,
                nowMs::get, MembershipAdmin.Listener.NONE), new AuditOutbox(DOWN), new MemberProfiles(DOWN),
                ApiStores.of(DOWN));
        return HttpApi.create(ctx, stores, new BrokerMetricsExporter(metrics, durable));
    }

    private static EmbeddedChannel channel(HttpApi api) {
        return new EmbeddedChannel(new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                api.handle(ctx, (FullHttpRequest) msg); // ownership passes to the api, as from HttpRouter
            }
        });
    }

    private static FullHttpRequest request(HttpMethod method, String uri, String body, String... headers) {
        FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, uri,
                Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
        req.headers().set(HttpHeaderNames.CONTENT_LENGTH, req.content().readableBytes());
        for (int i = 0; i < headers.length; i += 2) {
            req.headers().set(headers[i], headers[i + 1]);
        }
        return req;
    }

    /** Sends one request on a fresh channel, returns the answer and checks nothing is left over. */
    private static Reply call(HttpApi api, FullHttpRequest req) {
        EmbeddedChannel ch = channel(api);
        Reply reply = exchange(ch, req);
        assertThat(ch.finish()).isFalse();
        return reply;
    }

    private static Reply exchange(EmbeddedChannel ch, FullHttpRequest req) {
        assertThat(req.refCnt()).isEqualTo(1);
        ch.writeInbound(req);
        assertThat(req.refCnt()).as("the api releases the request").isZero();
        FullHttpResponse res = ch.readOutbound();
        assertThat(res).as("an answer").isNotNull();
        try {
            assertThat(res.headers().get(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN)).isEqualTo("*");
            return new Reply(res.status().code(), res.content().toString(StandardCharsets.UTF_8),
                    res.headers().copy());
        } finally {
            res.release();
        }
    }

    private static Reply post(HttpApi api, String uri, String body, String... headers) {
        return call(api, request(HttpMethod.POST, uri, body, headers));
    }

    private static Reply get(HttpApi api, String uri, String... headers) {
        return call(api, request(HttpMethod.GET, uri, "", headers));
    }

    // ------------------------------------------------------------------------------------------ routing

    @Test
    void shouldAnswer404ForUnknownPath() {
        Reply r = get(api(Map.of()), "/nope?x=1");
        assertThat(r.status()).isEqualTo(404);
        assertThat(r.body()).isEqualTo("{\"error\":\"not found\"}");
        assertThat(r.headers().get(HttpHeaderNames.CONTENT_TYPE)).isEqualTo("application/json");
    }

    @Test
    void shouldAnswerPreflightOnAnyPathWith204() {
        Reply r = call(api(Map.of()), request(HttpMethod.OPTIONS, "/anything/at/all", ""));
        assertThat(r.status()).isEqualTo(204);
        assertThat(r.body()).isEmpty();
        assertThat(r.headers().get(HttpHeaderNames.ACCESS_CONTROL_ALLOW_METHODS)).isEqualTo("GET, POST, PATCH, DELETE, OPTIONS");
        assertThat(r.headers().get(HttpHeaderNames.ACCESS_CONTROL_ALLOW_HEADERS))
                .isEqualTo("Authorization, Content-Type, X-Member-Id, X-Member-Timestamp, X-Member-Signature");
    }

    @Test
    void shouldAnswer405ForWrongMethodOnKnownPath() {
        HttpApi api = api(Map.of());
        Reply health = post(api, "/health", "");
        assertThat(health.status()).isEqualTo(405);
        assertThat(health.body()).isEqualTo("{\"error\":\"method not allowed\"}");
        assertThat(health.headers().get(HttpHeaderNames.ALLOW)).isEqualTo("GET, OPTIONS");
        assertThat(get(api, "/hook/set-status").status()).isEqualTo(405);
        assertThat(call(api, request(HttpMethod.DELETE, "/metrics", "")).status()).isEqualTo(405);
    }

    @Test
    void shouldKeepConnectionOpenForKeepAliveRequests() {
        HttpApi api = api(Map.of());
        EmbeddedChannel ch = channel(api);
        Reply first = exchange(ch, request(HttpMethod.GET, "/health", ""));
        assertThat(first.status()).isEqualTo(200);
        assertThat(first.headers().contains(HttpHeaderNames.CONNECTION)).isFalse();
        assertThat(first.headers().getInt(HttpHeaderNames.CONTENT_LENGTH)).isEqualTo(first.body().length());
        assertThat(ch.isOpen()).isTrue();
        Reply second = exchange(ch, request(HttpMethod.GET, "/nope", "", "connection", "close"));
        assertThat(second.status()).isEqualTo(404);
        assertThat(second.headers().get(HttpHeaderNames.CONNECTION)).isEqualTo(HttpHeaderValues.CLOSE.toString());
        assertThat(ch.isOpen()).isFalse();
        assertThat(ch.finish()).isFalse();
    }

    @Test
    void shouldAnswerHttp10KeepAliveExplicitly() {
        HttpApi api = api(Map.of());
        EmbeddedChannel ch = channel(api);
        FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_0, HttpMethod.GET, "/health");
        req.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        Reply r = exchange(ch, req);
        assertThat(r.headers().get(HttpHeaderNames.CONNECTION)).isEqualTo("keep-alive");
        assertThat(ch.isOpen()).isTrue();
        assertThat(ch.finish()).isFalse();
    }

    // ------------------------------------------------------------------------------------------ health, metrics

    @Test
    void shouldReportHealthyWithVersionAndUptime() {
        Reply r = get(api(Map.of()), "/health");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).isEqualTo(
                "{\"status\":\"ok\",\"db\":\"up\",\"version\":\"0.1.0-test\",\"gitSha\":\"abc123\",\"uptime\":5}");
    }

    @Test
    void shouldReport503WhenDatabaseIsDown() {
        HttpApi api = api(Map.of());
        durable.healthy = false;
        Reply r = get(api, "/health");
        assertThat(r.status()).isEqualTo(503);
        assertThat(r.body()).isEqualTo("{\"status\":\"degraded\",\"db\":\"down\",\"version\":\"0.1.0-test\","
                + "\"gitSha\":\"abc123\",\"uptime\":5}");
    }

    @Test
    void shouldExposePrometheusTextWithExactNames() {
        HttpApi api = api(Map.of());
        metrics.connectionsTotal.add(2);
        metrics.connectionRejected("capacity");
        metrics.messageRouted("now");
        metrics.hookRequestsRateLimitedTotal.increment();
        Reply r = get(api, "/metrics");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.headers().get(HttpHeaderNames.CONTENT_TYPE)).isEqualTo("text/plain; version=0.0.4; charset=utf-8");
        List<String> lines = r.body().lines().toList();
        for (String counter : List.of("broker_connections_total", "broker_connections_rejected_total",
                "broker_messages_routed_total", "broker_messages_rejected_total",
                "broker_messages_dropped_by_grant_total", "broker_ttl_sweeps_total", "broker_hook_requests_total",
                "broker_hook_requests_rate_limited_total", "broker_pushes_total", "broker_redeliveries_total")) {
            assertThat(lines).contains("# TYPE " + counter + " counter");
        }
        for (String gauge : List.of("broker_connections_active", "broker_queue_depth", "broker_db_healthy",
                "broker_writer_queue_depth")) {
            assertThat(lines).contains("# TYPE " + gauge + " gauge");
        }
        assertThat(lines).contains(
                "broker_connections_total 2.0",
                "broker_connections_rejected_total{reason=\"capacity\"} 1.0",
                "broker_connections_rejected_total{reason=\"bad_signature\"} 0.0",
                "broker_messages_routed_total{priority=\"now\"} 1.0",
                "broker_messages_routed_total{priority=\"low\"} 0.0",
                "broker_messages_rejected_total{reason=\"rate_limit\"} 0.0",
                "broker_messages_dropped_by_grant_total{cap=\"dm\"} 0.0",
                "broker_hook_requests_rate_limited_total 1.0",
                "broker_db_healthy 1.0",
                "broker_writer_queue_depth 3.0");
        assertThat(lines).anyMatch(l -> l.startsWith("jvm_memory_used_bytes"));
    }

    // ------------------------------------------------------------------------------------------ hook

    @Test
    void shouldRequireHookBearerTokenWhenConfigured() {
        HttpApi api = api(Map.of("BROKER_HOOK_TOKEN", "s3cret"));
        String body = "{\"cwd\":\"/w\",\"pid\":5150,\"status\":\"working\"}";
        for (String[] headers : List.of(new String[0], new String[] {"authorization", "Bearer nope"},
                new String[] {"authorization", "s3cret"}, new String[] {"authorization", "Bearer s3cret2"})) {
            Reply r = post(api, "/hook/set-status", body, headers);
            assertThat(r.status()).isEqualTo(401);
            assertThat(r.body()).isEqualTo("{\"ok\":false,\"error\":\"unauthorized\"}");
        }
        Reply ok = post(api, "/hook/set-status", body, "authorization", "Bearer s3cret");
        assertThat(ok.status()).isEqualTo(200);
        assertThat(ok.body()).isEqualTo("{\"ok\":true,\"pending\":true}");
        assertThat(metrics.hookRequestsTotal.sum()).isEqualTo(5);
    }

    @Test
    void shouldRejectBadHookJson() {
        HttpApi api = api(Map.of());
        for (String body : List.of("", "{", "[]", "\"x\"", "{\"cwd\":\"/w\"} trailing", "{\"cwd\":}")) {
            Reply r = post(api, "/hook/set-status", body);
            assertThat(r.status()).as(body).isEqualTo(400);
            assertThat(r.body()).isEqualTo("{\"ok\":false,\"error\":\"bad json\"}");
        }
    }

    @Test
    void shouldRequireCwdAndStatus() {
        HttpApi api = api(Map.of());
        for (String body : List.of("{}", "{\"cwd\":\"/w\"}", "{\"status\":\"idle\"}", "{\"cwd\":\"\",\"status\":\"idle\"}",
                "{\"cwd\":\"/w\",\"status\":\"\"}", "{\"cwd\":7,\"status\":\"idle\"}", "{\"cwd\":\"/w\",\"status\":null}")) {
            Reply r = post(api, "/hook/set-status", body);
            assertThat(r.status()).as(body).isEqualTo(400);
            assertThat(r.body()).isEqualTo("{\"ok\":false,\"error\":\"cwd and status required\"}");
        }
    }

    @Test
    void shouldRejectUnknownStatusAndBadPid() {
        HttpApi api = api(Map.of());
        Reply status = post(api, "/hook/set-status", "{\"cwd\":\"/w\",\"pid\":1,\"status\":\"busy\"}");
        assertThat(status.status()).isEqualTo(400);
        assertThat(status.body()).isEqualTo("{\"ok\":false,\"error\":\"status must be idle, working or dnd\"}");
        Reply pid = post(api, "/hook/set-status", "{\"cwd\":\"/w\",\"pid\":\"abc\",\"status\":\"idle\"}");
        assertThat(pid.status()).isEqualTo(400);
        assertThat(pid.body()).isEqualTo("{\"ok\":false,\"error\":\"pid must be an integer\"}");
    }

    @Test
    void shouldAcceptPidAsNumberStringOrMissing() {
        HttpApi api = api(Map.of());
        for (String body : List.of("{\"cwd\":\"/a\",\"pid\":5150,\"status\":\"idle\"}",
                "{\"cwd\":\"/b\",\"pid\":\"5150\",\"status\":\"dnd\",\"session_id\":\"s\"}",
                "{\"cwd\":\"/c\",\"status\":\"working\"}")) {
            Reply r = post(api, "/hook/set-status", body);
            assertThat(r.status()).as(body).isEqualTo(200);
            assertThat(r.body()).isEqualTo("{\"ok\":true,\"pending\":true}");
        }
    }

    @Test
    void shouldRateLimitHooksPerPidAndCwd() {
        HttpApi api = api(Map.of("HOOK_RATE_LIMIT_PER_MIN", "1"));
        String body = "{\"cwd\":\"/w\",\"pid\":42,\"status\":\"working\"}";
        assertThat(post(api, "/hook/set-status", body).status()).isEqualTo(200);
        Reply limited = post(api, "/hook/set-status", body);
        assertThat(limited.status()).isEqualTo(429);
        assertThat(limited.body()).isEqualTo("{\"ok\":false,\"error\":\"rate limited\"}");
        // another pid:cwd has its own bucket; invalid requests spend no token
        assertThat(post(api, "/hook/set-status", "{\"cwd\":\"/w\",\"pid\":43,\"status\":\"bad\"}").status())
                .isEqualTo(400);
        assertThat(post(api, "/hook/set-status", "{\"cwd\":\"/w\",\"pid\":43,\"status\":\"idle\"}").status())
                .isEqualTo(200);
        assertThat(metrics.hookRequestsTotal.sum()).isEqualTo(4);
        assertThat(metrics.hookRequestsRateLimitedTotal.sum()).isEqualTo(1);
        nowMs.addAndGet(60_000);
        assertThat(post(api, "/hook/set-status", body).status()).isEqualTo(200);
    }

    // ------------------------------------------------------------------------------------------ admin

    @Test
    void shouldHideAdminRoutesWhenNoAdminToken() {
        HttpApi api = api(Map.of());
        for (Reply r : List.of(post(api, "/admin/meshes", "{\"name\":\"a\",\"slug\":\"a\"}",
                        "authorization", "Bearer x"),
                get(api, "/admin/meshes/" + MESH_ID + "/peers"), get(api, "/admin"))) {
            assertThat(r.status()).isEqualTo(404);
            assertThat(r.body()).isEqualTo("{\"error\":\"not found\"}");
        }
    }

    @Test
    void shouldRequireAdminBearerToken() {
        HttpApi api = api(Map.of("BROKER_ADMIN_TOKEN", "adm"));
        for (String[] headers : List.of(new String[0], new String[] {"authorization", "Bearer wrong"},
                new String[] {"authorization", "Basic adm"})) {
            Reply r = post(api, "/admin/meshes", "{\"name\":\"a\",\"slug\":\"a\"}", headers);
            assertThat(r.status()).isEqualTo(401);
            assertThat(r.body()).isEqualTo("{\"error\":\"unauthorized\"}");
        }
        // unknown admin paths are not revealed before authentication either
        assertThat(get(api, "/admin/whatever").status()).isEqualTo(401);
    }

    @Test
    void theConsoleShouldExistOnlyWithAnAdminToken() {
        for (String path : new String[] {"/console", "/console/", "/console/app.js"}) {
            Reply r = get(api(Map.of()), path);
            assertThat(r.status()).as(path).isEqualTo(404);
            assertThat(r.body()).isEqualTo("{\"error\":\"not found\"}");
        }
        HttpApi api = api(Map.of("BROKER_ADMIN_TOKEN", "adm"));
        Reply redirect = get(api, "/console");
        assertThat(redirect.status()).isEqualTo(301);
        assertThat(redirect.headers().get(HttpHeaderNames.LOCATION)).isEqualTo("/console/");
        Reply index = get(api, "/console/");
        assertThat(index.status()).isEqualTo(200);
        assertThat(index.headers().get(HttpHeaderNames.CONTENT_TYPE)).isEqualTo("text/html; charset=utf-8");
        assertThat(index.body()).contains("<script type=\"module\" src=\"app.js\"></script>");
        assertThat(index.headers().get(HttpHeaderNames.CACHE_CONTROL)).isEqualTo("no-cache");
        assertThat(index.headers().get("X-Content-Type-Options")).isEqualTo("nosniff");
        assertThat(index.headers().get(HttpHeaderNames.CONTENT_SECURITY_POLICY)).isEqualTo(ConsoleRoutes.CSP)
                .contains("script-src 'self'").contains("frame-ancestors 'none'");
        String etag = index.headers().get(HttpHeaderNames.ETAG);
        assertThat(etag).matches("\"[0-9a-f]{24}\"");
        Reply again = get(api, "/console/", "If-None-Match", etag);
        assertThat(again.status()).isEqualTo(304);
        assertThat(again.body()).isEmpty();
        assertThat(get(api, "/console/api.js").headers().get(HttpHeaderNames.CONTENT_TYPE))
                .isEqualTo("text/javascript; charset=utf-8");
        assertThat(get(api, "/console/vendor/qrcode.js").body()).contains("Copyright (c) 2009 Kazuhiko Arase")
                .contains("export default qrcode;");
        for (String bad : new String[] {"/console/..%2Fapp.js", "/console/%2e%2e", "/console/vendor/..",
                "/console/index.HTML", "/console/.hidden.js", "/console/a/b/c.js", "/console/missing.css"}) {
            assertThat(get(api, bad).status()).as(bad).isEqualTo(404);
        }
        // the files need no token, the admin API still does
        assertThat(get(api, "/admin/node").status()).isEqualTo(401);
    }

    @Test
    void shouldRouteAdminPathsAndMethods() {
        HttpApi api = api(Map.of("BROKER_ADMIN_TOKEN", "adm"));
        String[] auth = {"authorization", "bearer adm"};
        assertThat(get(api, "/admin/whatever", auth).status()).isEqualTo(404);
        assertThat(get(api, "/admin/meshes/" + MESH_ID + "/nothing", auth).status()).isEqualTo(404);
        Reply wrong = call(api, request(HttpMethod.PUT, "/admin/meshes", "", auth));
        assertThat(wrong.status()).isEqualTo(405);
        assertThat(wrong.headers().get(HttpHeaderNames.ALLOW)).isEqualTo("GET, POST, OPTIONS");
        assertThat(post(api, "/admin/meshes/" + MESH_ID, "", auth).headers().get(HttpHeaderNames.ALLOW))
                .isEqualTo("GET, DELETE, OPTIONS");
        assertThat(post(api, "/admin/meshes/" + MESH_ID + "/peers", "", auth).status()).isEqualTo(405);
        assertThat(post(api, "/admin/meshes/" + MESH_ID + "/audit/verify", "", auth).status()).isEqualTo(405);
        assertThat(call(api, request(HttpMethod.PUT, "/admin/meshes/" + MESH_ID + "/members", "", auth)).status())
                .isEqualTo(405);
        Reply badId = get(api, "/admin/meshes/short/peers", auth);
        assertThat(badId.status()).isEqualTo(404);
        assertThat(badId.body()).isEqualTo("{\"error\":\"mesh not found\"}");
        Reply badMember = post(api, "/admin/meshes/" + MESH_ID + "/members/x/revoke", "", auth);
        assertThat(badMember.status()).isEqualTo(404);
        assertThat(badMember.body()).isEqualTo("{\"error\":\"member not found\"}");
    }

    @Test
    void shouldValidateAdminBodiesBeforeTouchingTheDatabase() {
        HttpApi api = api(Map.of("BROKER_ADMIN_TOKEN", "adm"));
        String[] auth = {"authorization", "Bearer adm"};
        String members = "/admin/meshes/" + MESH_ID + "/members";
        Map<String, String> mesh = Map.of(
                "{", "bad json: body must be one JSON object",
                "{\"slug\":\"conf\"}", "name required",
                "{\"name\":\"conf\"}", "slug required",
                "{\"name\":\"conf\",\"slug\":\"Conf Room\"}",
                "slug must be 1-64 characters of a-z, 0-9 and '-', starting with a letter or digit");
        mesh.forEach((body, error) -> {
            Reply r = post(api, "/admin/meshes", body, auth);
            assertThat(r.status()).as(body).isEqualTo(400);
            assertThat(r.body()).isEqualTo("{\"error\":\"" + error + "\"}");
        });
        Map<String, String> member = Map.of(
                "{\"pubkey\":\"xyz\",\"displayName\":\"a\"}", "pubkey must be 64 hex chars (32 bytes)",
                "{\"pubkey\":\"" + KEY + "\"}", "displayName required",
                "{\"pubkey\":\"" + KEY + "\",\"displayName\":\"a\",\"roleTag\":1}", "roleTag must be a string",
                "{\"pubkey\":\"" + KEY + "\",\"displayName\":\"a\",\"defaultGroups\":[{\"role\":\"x\"}]}",
                "defaultGroups must be an array of {\\\"name\\\":\\\"…\\\",\\\"role\\\":\\\"…\\\"?}",
                "{\"pubkey\":\"" + KEY + "\",\"displayName\":\"a\",\"peerGrants\":{\"k\":[\"dm\"]}}",
                "peerGrants must be an object {\\\"<64 hex member pubkey>\\\":[\\\"dm\\\",\\\"broadcast\\\",…]}");
        member.forEach((body, error) -> {
            Reply r = post(api, members, body, auth);
            assertThat(r.status()).as(body).isEqualTo(400);
            assertThat(r.body()).isEqualTo("{\"error\":\"" + error + "\"}");
        });
    }

    @Test
    void shouldAnswer503WhenTheDatabaseIsUnreachable() {
        HttpApi api = api(Map.of("BROKER_ADMIN_TOKEN", "adm"));
        String[] auth = {"authorization", "Bearer adm"};
        Reply create = post(api, "/admin/meshes", "{\"name\":\"conf\",\"slug\":\"conf\"}", auth);
        assertThat(create.status()).isEqualTo(503);
        assertThat(create.body()).isEqualTo("{\"error\":\"database unavailable\"}");
        assertThat(get(api, "/admin/meshes/" + MESH_ID + "/peers", auth).status()).isEqualTo(503);
        assertThat(get(api, "/admin/meshes/" + MESH_ID + "/audit/verify", auth).status()).isEqualTo(503);
    }

    // ------------------------------------------------------------------------------------------ helpers

    @Test
    void shouldParsePidLeniently() {
        assertThat(HookRoutes.pidOf(null)).isNull();
        assertThat(HookRoutes.pidOf("")).isNull();
        assertThat(HookRoutes.pidOf(5150L)).isEqualTo(5150L);
        assertThat(HookRoutes.pidOf(" 42 ")).isEqualTo(42L);
        assertThat(HookRoutes.pidOf(7.0)).isEqualTo(7L);
        assertThatThrownBy(() -> HookRoutes.pidOf(7.5)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> HookRoutes.pidOf(Boolean.TRUE)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> HookRoutes.pidOf(new java.math.BigInteger("99999999999999999999")))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldReadGroupsAndGrants() {
        assertThat(AdminRoutes.groupsOf(null)).isEmpty();
        assertThat(AdminRoutes.groupsOf(List.of(Map.of("name", "be", "role", "lead"), Map.of("name", "fe"))))
                .containsExactly(new GroupRole("be", "lead"), new GroupRole("fe", null));
        assertThat(AdminRoutes.grantsOf(Map.of(KEY.toUpperCase(), List.of("dm"))))
                .isEqualTo(Map.of(KEY, List.of("dm")));
        assertThatThrownBy(() -> AdminRoutes.grantsOf(Map.of(KEY, List.of(1))))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
