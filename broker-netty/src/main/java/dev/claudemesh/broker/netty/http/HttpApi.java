package dev.claudemesh.broker.netty.http;

import dev.claudemesh.broker.core.BrokerMetrics;
import dev.claudemesh.broker.core.Ids;
import dev.claudemesh.broker.core.envelope.JsonOut;
import dev.claudemesh.broker.core.mesh.HookIndex;
import dev.claudemesh.broker.core.mesh.HookResult;
import dev.claudemesh.broker.core.model.GroupRole;
import dev.claudemesh.broker.core.model.Member;
import dev.claudemesh.broker.core.model.Mesh;
import dev.claudemesh.broker.db.store.AdminRepository;
import dev.claudemesh.broker.db.store.DuplicateException;
import dev.claudemesh.broker.db.store.NotFoundException;
import dev.claudemesh.broker.netty.ServerContext;
import dev.claudemesh.broker.netty.pipeline.HttpRouter;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Supplier;

/**
 * The plain HTTP routes of PROTOCOL §6 and DESIGN "Membership administration": {@code GET /health},
 * {@code GET /metrics}, {@code POST /hook/set-status}, {@code POST /join} ({@link Enrolment}) and, when
 * {@code BROKER_ADMIN_TOKEN} is set, the {@code /admin/*} routes. Every answer is JSON (the metrics text excepted)
 * with {@code Access-Control-Allow-Origin: *}; {@code OPTIONS} on any path is a 204 preflight answer; an unknown path
 * is 404 {@code {"error":"not found"}} and a known path with the wrong method 405 {@code {"error":"method not allowed"}}.
 * Keep-alive is honoured: the connection is closed after the answer only when the request did not ask to keep it.
 *
 * <p>Threads: {@link #handle} runs on the channel's event loop. The request body is parsed there and the request
 * released before {@code handle} returns; database work (admin routes) then runs on {@link ServerContext#blocking()}
 * and hook statuses are applied on the lease's mesh loop, and the answer is written from whichever thread finishes
 * ({@code writeAndFlush} is thread-safe). Nothing here blocks an event loop. One instance serves every channel; it
 * holds only immutable and thread-safe state.</p>
 */
public final class HttpApi implements HttpRouter.HttpHandler {

    private static final Logger log = LoggerFactory.getLogger(HttpApi.class);

    private static final AsciiString JSON = AsciiString.cached("application/json");
    private static final AsciiString ALLOWED_METHODS = AsciiString.cached("GET, POST, OPTIONS");
    private static final AsciiString ALLOWED_HEADERS = AsciiString.cached("Authorization, Content-Type");
    private static final AsciiString PREFLIGHT_MAX_AGE_S = AsciiString.cached("86400");
    private static final String BEARER = "Bearer ";

    private static final byte[] NOT_FOUND = bytes("{\"error\":\"not found\"}");
    private static final byte[] METHOD_NOT_ALLOWED = bytes("{\"error\":\"method not allowed\"}");
    private static final byte[] INTERNAL_ERROR = bytes("{\"error\":\"internal error\"}");
    private static final byte[] DATABASE_UNAVAILABLE = bytes("{\"error\":\"database unavailable\"}");
    private static final byte[] SHUTTING_DOWN = bytes("{\"error\":\"shutting down\"}");
    private static final byte[] ADMIN_UNAUTHORIZED = bytes("{\"error\":\"unauthorized\"}");
    private static final byte[] OK_TRUE = bytes("{\"ok\":true}");

    private static final byte[] HOOK_UNAUTHORIZED = bytes("{\"ok\":false,\"error\":\"unauthorized\"}");
    private static final byte[] HOOK_BAD_JSON = bytes("{\"ok\":false,\"error\":\"bad json\"}");
    private static final byte[] HOOK_REQUIRED = bytes("{\"ok\":false,\"error\":\"cwd and status required\"}");
    private static final byte[] HOOK_BAD_STATUS =
            bytes("{\"ok\":false,\"error\":\"status must be idle, working or dnd\"}");
    private static final byte[] HOOK_BAD_PID = bytes("{\"ok\":false,\"error\":\"pid must be an integer\"}");
    private static final byte[] HOOK_RATE_LIMITED = bytes("{\"ok\":false,\"error\":\"rate limited\"}");
    private static final byte[] HOOK_INTERNAL_ERROR = bytes("{\"ok\":false,\"error\":\"internal error\"}");
    private static final byte[] HOOK_PENDING = bytes("{\"ok\":true,\"pending\":true}");

    private final ServerContext server;
    private final BrokerMetrics metrics;
    private final BrokerMetricsExporter exporter;
    /** {@code BROKER_HOOK_TOKEN} as UTF-8, or null when hooks are open. */
    private final byte[] hookToken;
    /** {@code BROKER_ADMIN_TOKEN} as UTF-8, or null when the admin API is off (every /admin path is 404). */
    private final byte[] adminToken;
    /** Null when the admin API is off or no database is configured (tests). */
    private final AdminRepository admin;
    /** {@code POST /join} and the admin invite routes (PROTOCOL §9). */
    private final Enrolment enrolment;

    /** Creates the routes over {@code server}; builds the metrics registry once. */
    public HttpApi(ServerContext server) {
        this.server = Objects.requireNonNull(server, "server");
        this.metrics = server.metrics();
        this.exporter = new BrokerMetricsExporter(server.metrics(), server.durable());
        this.hookToken = tokenBytes(server.config().hookToken());
        this.adminToken = tokenBytes(server.config().adminToken());
        this.admin = adminToken != null && server.dataSource() != null
                ? new AdminRepository(server.dataSource()) : null;
        this.enrolment = new Enrolment(server);
    }

    /** The metrics registry behind {@code GET /metrics}. */
    public BrokerMetricsExporter metricsExporter() {
        return exporter;
    }

    @Override
    public void handle(ChannelHandlerContext ctx, FullHttpRequest request) {
        Exchange x = new Exchange(ctx, request.protocolVersion(), HttpUtil.isKeepAlive(request));
        try {
            route(x, request);
        } catch (RuntimeException e) {
            log.error("http {} {} failed on channel {}", request.method(), pathOf(request.uri()), ctx.channel().id(), e);
            x.send(HttpResponseStatus.INTERNAL_SERVER_ERROR, INTERNAL_ERROR);
        } finally {
            request.release();
        }
    }

    private void route(Exchange x, FullHttpRequest req) {
        HttpMethod method = req.method();
        if (method.equals(HttpMethod.OPTIONS)) {
            x.preflight();
            return;
        }
        String path = pathOf(req.uri());
        switch (path) {
            case "/health" -> {
                if (x.requireMethod(method, HttpMethod.GET)) {
                    health(x);
                }
            }
            case "/metrics" -> {
                if (x.requireMethod(method, HttpMethod.GET)) {
                    x.send(HttpResponseStatus.OK, BrokerMetricsExporter.CONTENT_TYPE, exporter.scrape());
                }
            }
            case "/hook/set-status" -> {
                if (x.requireMethod(method, HttpMethod.POST)) {
                    hookSetStatus(x, req);
                }
            }
            case "/join" -> {
                if (x.requireMethod(method, HttpMethod.POST)) {
                    enrolment.join(x.ctx(), req, x::send);
                }
            }
            default -> {
                if (path.equals("/admin") || path.startsWith("/admin/")) {
                    admin(x, req, path);
                } else {
                    x.send(HttpResponseStatus.NOT_FOUND, NOT_FOUND);
                }
            }
        }
    }

    // ------------------------------------------------------------------------------------------ health

    private void health(Exchange x) {
        boolean up = server.durable().databaseHealthy();
        long uptimeS = Math.max(0, (server.clock().millis() - server.startedAtMs()) / 1000);
        JsonOut out = new JsonOut(160).beginObject()
                .field("status", up ? "ok" : "degraded")
                .field("db", up ? "up" : "down")
                .field("version", server.version())
                .field("gitSha", server.config().gitSha())
                .field("uptime", uptimeS)
                .endObject();
        x.send(up ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE, out.toBytes());
    }

    // ------------------------------------------------------------------------------------------ hook

    /**
     * PROTOCOL §6. Order: token (401), JSON (400), required fields (400), pid and status values (400), then the
     * per {@code pid:cwd} token bucket (429): the bucket needs pid and cwd, and a request refused as invalid does no
     * work, so it does not spend a token.
     */
    private void hookSetStatus(Exchange x, FullHttpRequest req) {
        metrics.hookRequestsTotal.increment();
        if (hookToken != null && !bearerMatches(req, hookToken)) {
            x.send(HttpResponseStatus.UNAUTHORIZED, HOOK_UNAUTHORIZED);
            return;
        }
        Map<String, Object> body;
        try {
            body = JsonBody.parseObject(req.content());
        } catch (JsonBody.BadJsonException e) {
            x.send(HttpResponseStatus.BAD_REQUEST, HOOK_BAD_JSON);
            return;
        }
        if (!(body.get("cwd") instanceof String cwd) || cwd.isEmpty()
                || !(body.get("status") instanceof String status) || status.isEmpty()) {
            x.send(HttpResponseStatus.BAD_REQUEST, HOOK_REQUIRED);
            return;
        }
        Long pid;
        try {
            pid = pidOf(body.get("pid"));
        } catch (IllegalArgumentException e) {
            x.send(HttpResponseStatus.BAD_REQUEST, HOOK_BAD_PID);
            return;
        }
        if (!"idle".equals(status) && !"working".equals(status) && !"dnd".equals(status)) {
            x.send(HttpResponseStatus.BAD_REQUEST, HOOK_BAD_STATUS);
            return;
        }
        HookIndex hooks = server.broker().hooks();
        if (!hooks.tryAcquire(pid + ":" + cwd)) {
            metrics.hookRequestsRateLimitedTotal.increment();
            x.send(HttpResponseStatus.TOO_MANY_REQUESTS, HOOK_RATE_LIMITED);
            return;
        }
        hooks.setStatus(cwd, pid, status).whenComplete((result, error) -> {
            if (error != null) {
                log.error("hook set-status failed", error);
                x.send(HttpResponseStatus.INTERNAL_SERVER_ERROR, HOOK_INTERNAL_ERROR);
            } else if (result instanceof HookResult.Applied applied) {
                x.send(HttpResponseStatus.OK,
                        bytes("{\"ok\":true,\"presence_id\":\"" + applied.presenceId() + "\"}"));
            } else {
                x.send(HttpResponseStatus.OK, HOOK_PENDING);
            }
        });
    }

    /**
     * The hook's {@code pid}: absent, null or "" → null; an integer or a string of one → its value. Anything else
     * (fractions, words, booleans) is refused rather than ignored, because a null pid would match another lease of
     * the same cwd.
     */
    static Long pidOf(Object v) {
        if (v == null) {
            return null;
        }
        if (v instanceof Long l) {
            return l;
        }
        if (v instanceof Double d && d == Math.rint(d) && Math.abs(d) < 0x1p53) {
            return d.longValue();
        }
        if (v instanceof String s) {
            String t = s.trim();
            if (t.isEmpty()) {
                return null;
            }
            try {
                return Long.parseLong(t);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("pid: not an integer");
            }
        }
        throw new IllegalArgumentException("pid: not an integer");
    }

    // ------------------------------------------------------------------------------------------ admin

    private void admin(Exchange x, FullHttpRequest req, String path) {
        if (adminToken == null) {
            x.send(HttpResponseStatus.NOT_FOUND, NOT_FOUND); // the admin API is off: it does not exist
            return;
        }
        if (!bearerMatches(req, adminToken)) {
            x.send(HttpResponseStatus.UNAUTHORIZED, ADMIN_UNAUTHORIZED);
            return;
        }
        // "/admin/meshes/{meshId}/members/{memberId}/revoke" → [admin, meshes, {meshId}, members, {memberId}, revoke]
        String[] seg = path.substring(1).split("/", -1);
        HttpMethod method = req.method();
        if (seg.length < 2 || !"meshes".equals(seg[1])) {
            x.send(HttpResponseStatus.NOT_FOUND, NOT_FOUND);
        } else if (seg.length == 2) {
            if (x.requireMethod(method, HttpMethod.POST)) {
                createMesh(x, req);
            }
        } else if (seg.length == 4 && "members".equals(seg[3])) {
            if (x.requireMethod(method, HttpMethod.POST)) {
                addMember(x, req, seg[2]);
            }
        } else if (seg.length == 6 && "members".equals(seg[3]) && "revoke".equals(seg[5])) {
            if (x.requireMethod(method, HttpMethod.POST)) {
                revokeMember(x, seg[2], seg[4]);
            }
        } else if (seg.length == 4 && "peers".equals(seg[3])) {
            if (x.requireMethod(method, HttpMethod.GET)) {
                peers(x, seg[2]);
            }
        } else if (seg.length == 4 && "invites".equals(seg[3])) {
            if (x.requireMethod(method, HttpMethod.POST)) {
                enrolment.createInvite(req, seg[2], x::send);
            }
        } else if (seg.length == 6 && "invites".equals(seg[3]) && "revoke".equals(seg[5])) {
            if (x.requireMethod(method, HttpMethod.POST)) {
                enrolment.revokeInvite(seg[2], seg[4], x::send);
            }
        } else if (seg.length == 5 && "audit".equals(seg[3]) && "verify".equals(seg[4])) {
            if (x.requireMethod(method, HttpMethod.GET)) {
                verifyAudit(x, seg[2]);
            }
        } else {
            x.send(HttpResponseStatus.NOT_FOUND, NOT_FOUND);
        }
    }

    private void createMesh(Exchange x, FullHttpRequest req) {
        Map<String, Object> body = adminBody(x, req);
        if (body == null) {
            return;
        }
        if (!(body.get("name") instanceof String name) || name.isBlank()) {
            x.sendError(HttpResponseStatus.BAD_REQUEST, "name required");
            return;
        }
        if (!(body.get("slug") instanceof String slug) || slug.isEmpty()) {
            x.sendError(HttpResponseStatus.BAD_REQUEST, "slug required");
            return;
        }
        if (!AdminFormats.validSlug(slug)) {
            x.sendError(HttpResponseStatus.BAD_REQUEST,
                    "slug must be 1-64 characters of a-z, 0-9 and '-', starting with a letter or digit");
            return;
        }
        onBlocking(x, () -> {
            Mesh mesh = admin.createMesh(name, slug);
            enrolment.meshCreated(mesh.id()); // its owner key pair and root key (PROTOCOL §9)
            log.info("admin: mesh {} created (slug {})", mesh.id(), mesh.slug());
            return new Answer(HttpResponseStatus.CREATED, AdminFormats.meshJson(mesh));
        });
    }

    private void addMember(Exchange x, FullHttpRequest req, String meshId) {
        Map<String, Object> body = adminBody(x, req);
        if (body == null) {
            return;
        }
        Object rawPubkey = body.get("pubkey");
        String pubkey = rawPubkey instanceof String s ? AdminFormats.canonicalPubkey(s) : null;
        if (pubkey == null) {
            x.sendError(HttpResponseStatus.BAD_REQUEST, "pubkey must be 64 hex chars (32 bytes)");
            return;
        }
        if (!(body.get("displayName") instanceof String displayName) || displayName.isBlank()) {
            x.sendError(HttpResponseStatus.BAD_REQUEST, "displayName required");
            return;
        }
        Object rawRoleTag = body.get("roleTag");
        if (rawRoleTag != null && !(rawRoleTag instanceof String)) {
            x.sendError(HttpResponseStatus.BAD_REQUEST, "roleTag must be a string");
            return;
        }
        String roleTag = (String) rawRoleTag;
        List<GroupRole> groups;
        Map<String, List<String>> grants;
        try {
            groups = groupsOf(body.get("defaultGroups"));
            grants = grantsOf(body.get("peerGrants"));
        } catch (IllegalArgumentException e) {
            x.sendError(HttpResponseStatus.BAD_REQUEST, e.getMessage());
            return;
        }
        if (!Ids.isId(meshId)) {
            x.sendError(HttpResponseStatus.NOT_FOUND, "mesh not found");
            return;
        }
        onBlocking(x, () -> {
            Member m = admin.addMember(meshId, pubkey, displayName, roleTag, groups, grants);
            server.broker().memberAdded(meshId, m.pubkey());
            log.info("admin: member {} added to mesh {}", m.id(), meshId);
            return new Answer(HttpResponseStatus.CREATED, AdminFormats.memberJson(m));
        });
    }

    private void revokeMember(Exchange x, String meshId, String memberId) {
        if (!Ids.isId(meshId) || !Ids.isId(memberId)) {
            x.sendError(HttpResponseStatus.NOT_FOUND, "member not found");
            return;
        }
        onBlocking(x, () -> {
            Optional<Member> revoked = admin.revokeMember(meshId, memberId);
            if (revoked.isEmpty()) {
                return Answer.error(HttpResponseStatus.NOT_FOUND, "member not found");
            }
            // after the commit: a reconnect now fails with `revoked`, and live sockets close 4002 banned
            server.broker().revoked(meshId, memberId, revoked.get().pubkey());
            log.info("admin: member {} of mesh {} revoked", memberId, meshId);
            return new Answer(HttpResponseStatus.OK, OK_TRUE);
        });
    }

    private void peers(Exchange x, String meshId) {
        if (!Ids.isId(meshId)) {
            x.sendError(HttpResponseStatus.NOT_FOUND, "mesh not found");
            return;
        }
        onBlockingAsync(x, () -> {
            if (admin.findMesh(meshId).isEmpty()) {
                return CompletableFuture.completedFuture(Answer.error(HttpResponseStatus.NOT_FOUND, "mesh not found"));
            }
            return server.broker().peersJson(meshId).thenApply(json -> new Answer(HttpResponseStatus.OK, json));
        });
    }

    private void verifyAudit(Exchange x, String meshId) {
        if (!Ids.isId(meshId)) {
            x.sendError(HttpResponseStatus.NOT_FOUND, "mesh not found");
            return;
        }
        onBlocking(x, () -> {
            if (admin.findMesh(meshId).isEmpty()) {
                return Answer.error(HttpResponseStatus.NOT_FOUND, "mesh not found");
            }
            return new Answer(HttpResponseStatus.OK, AdminFormats.verificationJson(admin.verifyAudit(meshId)));
        });
    }

    /** The admin body as a JSON object, or null after answering 400. */
    private static Map<String, Object> adminBody(Exchange x, FullHttpRequest req) {
        try {
            return JsonBody.parseObject(req.content());
        } catch (JsonBody.BadJsonException e) {
            x.sendError(HttpResponseStatus.BAD_REQUEST, "bad json: body must be one JSON object");
            return null;
        }
    }

    /** {@code defaultGroups}: absent/null → none; else an array of {@code {"name", "role"?}}. */
    static List<GroupRole> groupsOf(Object v) {
        if (v == null) {
            return List.of();
        }
        String expected = "defaultGroups must be an array of {\"name\":\"…\",\"role\":\"…\"?}";
        if (!(v instanceof List<?> list)) {
            throw new IllegalArgumentException(expected);
        }
        List<GroupRole> out = new ArrayList<>(list.size());
        for (Object o : list) {
            if (!(o instanceof Map<?, ?> g) || !(g.get("name") instanceof String name) || name.isBlank()) {
                throw new IllegalArgumentException(expected);
            }
            Object role = g.get("role");
            if (role != null && !(role instanceof String)) {
                throw new IllegalArgumentException(expected);
            }
            out.add(new GroupRole(name, (String) role));
        }
        return out;
    }

    /**
     * {@code peerGrants}: absent/null → defaults for everyone; else {@code {"<64 hex sender member key>": ["dm",
     * …]}}. Keys are lowercased like every stored key, so that they match the sender's key when routing.
     */
    static Map<String, List<String>> grantsOf(Object v) {
        if (v == null) {
            return Map.of();
        }
        String expected = "peerGrants must be an object {\"<64 hex member pubkey>\":[\"dm\",\"broadcast\",…]}";
        if (!(v instanceof Map<?, ?> map)) {
            throw new IllegalArgumentException(expected);
        }
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            String key = AdminFormats.canonicalPubkey((String) e.getKey());
            if (key == null || !(e.getValue() instanceof List<?> caps)) {
                throw new IllegalArgumentException(expected);
            }
            List<String> list = new ArrayList<>(caps.size());
            for (Object c : caps) {
                if (!(c instanceof String s) || s.isEmpty()) {
                    throw new IllegalArgumentException(expected);
                }
                list.add(s);
            }
            out.put(key, List.copyOf(list));
        }
        return out;
    }

    private void onBlocking(Exchange x, Supplier<Answer> work) {
        onBlockingAsync(x, () -> CompletableFuture.completedFuture(work.get()));
    }

    /**
     * Runs {@code work} (JDBC) on the blocking executor and writes its answer from wherever it completes. Expected
     * refusals of the repository map to 404/409/400; a database failure to 503; anything else to 500, logged once.
     */
    private void onBlockingAsync(Exchange x, Supplier<CompletableFuture<Answer>> work) {
        if (admin == null) {
            x.send(HttpResponseStatus.SERVICE_UNAVAILABLE, DATABASE_UNAVAILABLE);
            return;
        }
        try {
            server.blocking().execute(() -> {
                CompletableFuture<Answer> answer;
                try {
                    answer = work.get();
                } catch (RuntimeException e) {
                    answer = CompletableFuture.failedFuture(e);
                }
                answer.whenComplete((a, error) -> x.send(error == null ? a : failure(error)));
            });
        } catch (RejectedExecutionException e) {
            x.send(HttpResponseStatus.SERVICE_UNAVAILABLE, SHUTTING_DOWN);
        }
    }

    private Answer failure(Throwable error) {
        Throwable e = error;
        while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        if (e instanceof NotFoundException) {
            return Answer.error(HttpResponseStatus.NOT_FOUND, e.getMessage());
        }
        if (e instanceof DuplicateException) {
            return Answer.error(HttpResponseStatus.CONFLICT, e.getMessage());
        }
        if (e instanceof IllegalArgumentException) {
            return Answer.error(HttpResponseStatus.BAD_REQUEST, e.getMessage());
        }
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof SQLException) {
                // the driver's first line only: no bind values, no secrets (broker-db's logging rule)
                log.warn("admin: database unavailable: {}", firstLine(c.getMessage()));
                return new Answer(HttpResponseStatus.SERVICE_UNAVAILABLE, DATABASE_UNAVAILABLE);
            }
        }
        log.error("admin operation failed", e);
        return new Answer(HttpResponseStatus.INTERNAL_SERVER_ERROR, INTERNAL_ERROR);
    }

    // ------------------------------------------------------------------------------------------ helpers

    /** True when the request carries {@code Authorization: Bearer <token>}; compares in constant time. */
    private static boolean bearerMatches(FullHttpRequest req, byte[] token) {
        String auth = req.headers().get(HttpHeaderNames.AUTHORIZATION);
        if (auth == null || auth.length() < BEARER.length()
                || !auth.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return false;
        }
        byte[] given = auth.substring(BEARER.length()).trim().getBytes(StandardCharsets.UTF_8);
        return MessageDigest.isEqual(given, token);
    }

    private static byte[] tokenBytes(String token) {
        return token == null || token.isEmpty() ? null : token.getBytes(StandardCharsets.UTF_8);
    }

    static String pathOf(String uri) {
        int q = uri.indexOf('?');
        int h = uri.indexOf('#');
        int end = q >= 0 ? q : uri.length();
        if (h >= 0 && h < end) {
            end = h;
        }
        return uri.substring(0, end);
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl >= 0 ? s.substring(0, nl) : s;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** A status and a JSON body, computed off the event loop. */
    private record Answer(HttpResponseStatus status, byte[] body) {
        Answer(HttpResponseStatus status, String json) {
            this(status, bytes(json));
        }

        static Answer error(HttpResponseStatus status, String message) {
            return new Answer(status, AdminFormats.errorJson(message));
        }
    }

    /**
     * What is needed to answer a request after it was released: the channel context, the request's HTTP version and
     * whether to keep the connection open. Safe to use from any thread.
     */
    private record Exchange(ChannelHandlerContext ctx, HttpVersion version, boolean keepAlive) {

        void send(Answer a) {
            send(a.status(), a.body());
        }

        void send(HttpResponseStatus status, byte[] json) {
            send(status, JSON, json);
        }

        void sendError(HttpResponseStatus status, String message) {
            send(status, bytes(AdminFormats.errorJson(message)));
        }

        void send(HttpResponseStatus status, CharSequence contentType, byte[] body) {
            FullHttpResponse res = new DefaultFullHttpResponse(version, status, Unpooled.wrappedBuffer(body));
            res.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
            write(res);
        }

        /** 405 naming the allowed method, unless {@code method} is {@code allowed}; true when it is. */
        boolean requireMethod(HttpMethod method, HttpMethod allowed) {
            if (method.equals(allowed)) {
                return true;
            }
            FullHttpResponse res = new DefaultFullHttpResponse(version, HttpResponseStatus.METHOD_NOT_ALLOWED,
                    Unpooled.wrappedBuffer(METHOD_NOT_ALLOWED));
            res.headers().set(HttpHeaderNames.CONTENT_TYPE, JSON);
            res.headers().set(HttpHeaderNames.ALLOW, allowed.asciiName() + ", OPTIONS");
            write(res);
            return false;
        }

        void preflight() {
            FullHttpResponse res = new DefaultFullHttpResponse(version, HttpResponseStatus.NO_CONTENT,
                    Unpooled.EMPTY_BUFFER);
            res.headers().set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_METHODS, ALLOWED_METHODS);
            res.headers().set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_HEADERS, ALLOWED_HEADERS);
            res.headers().set(HttpHeaderNames.ACCESS_CONTROL_MAX_AGE, PREFLIGHT_MAX_AGE_S);
            write(res);
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
}
