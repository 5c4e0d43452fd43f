package dev.claudemesh.broker.netty.http;

import dev.claudemesh.broker.db.store.AuditOutbox;
import dev.claudemesh.broker.db.store.MemberProfiles;
import dev.claudemesh.broker.db.store.MembershipAdmin;
import dev.claudemesh.broker.netty.ServerContext;
import dev.claudemesh.broker.netty.pipeline.HttpRouter;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Objects;
import java.util.function.Consumer;

/**
 * The plain HTTP side of the broker's port: dispatches every request that is not a WebSocket upgrade through a
 * {@link RouteTable} (the broker's is {@link BrokerRoutes}). In order: {@code OPTIONS} on any path → 204 CORS
 * preflight; the guard of the path's area (the admin token for {@code /admin}); then the route — an unknown path is
 * 404 {@code {"error":"not found"}}, a known path with another method 405 {@code {"error":"method not allowed"}}
 * with {@code Allow}. A handler that throws is answered 500 {@code {"error":"internal error"}} and logged once.
 *
 * <p>Threads: {@link #handle} runs on the channel's event loop and releases the request before it returns; handlers
 * answer from whichever thread finishes their work. Nothing here blocks. One instance serves every channel; it holds
 * only immutable and thread-safe state.</p>
 */
public final class HttpApi implements HttpRouter.HttpHandler {

    private static final Logger log = LoggerFactory.getLogger(HttpApi.class);

    /**
     * The stores the routes use, built once by the wiring over the server's database.
     *
     * @param membership  meshes, members, invites, audit verification: the one administration service, shared with
     *                    the jar's subcommands (the routes give it the listener that tells the running broker)
     * @param auditOutbox enrolment audit events waiting for the durable writer
     * @param memberProfiles the member profile API's roster, edits and mesh policy (PROTOCOL-MESH §3.6)
     * @param api         the stores of the REST API under {@code /api/v1} (PROTOCOL-MESH §8.10)
     * @param wired       given the membership service with the running broker's listener, once built, for the
     *                    other users of that service (a member's ban over the WebSocket)
     */
    public record Stores(MembershipAdmin membership, AuditOutbox auditOutbox, MemberProfiles memberProfiles,
                         ApiStores api, Consumer<MembershipAdmin> wired) {
        public Stores {
            Objects.requireNonNull(membership, "membership");
            Objects.requireNonNull(auditOutbox, "auditOutbox");
            Objects.requireNonNull(memberProfiles, "memberProfiles");
            Objects.requireNonNull(api, "api");
            Objects.requireNonNull(wired, "wired");
        }

        /** Stores whose wired membership service nobody else uses. */
        public Stores(MembershipAdmin membership, AuditOutbox auditOutbox, MemberProfiles memberProfiles,
                      ApiStores api) {
            this(membership, auditOutbox, memberProfiles, api, m -> {
            });
        }
    }

    private final RouteTable routes;

    /** Serves {@code routes}. */
    public HttpApi(RouteTable routes) {
        this.routes = Objects.requireNonNull(routes, "routes");
    }

    /**
     * The broker's routes ({@link BrokerRoutes}) over {@code server} and {@code stores}; schedules the enrolment
     * startup work (audit events left by the jar, owner keys of older meshes) on the server's blocking pool.
     */
    public static HttpApi create(ServerContext server, Stores stores, BrokerMetricsExporter metricsExporter) {
        return new HttpApi(BrokerRoutes.table(server, stores, metricsExporter));
    }

    @Override
    public void handle(ChannelHandlerContext ctx, FullHttpRequest request) {
        HttpExchange x = new HttpExchange(ctx, request);
        try {
            dispatch(x);
        } catch (RuntimeException e) {
            log.error("http {} {} failed on channel {}", x.method(), x.path(), ctx.channel().id(), e);
            x.send(ErrorBody.PLAIN.answer(HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal error"));
        } finally {
            request.release();
        }
    }

    private void dispatch(HttpExchange x) {
        if (x.method().equals(HttpMethod.OPTIONS)) {
            x.preflight(routes.allMethods());
            return;
        }
        Guard guard = routes.guardFor(x.path());
        if (guard != null && !guard.admit(x)) {
            return;
        }
        RouteTable.Resolution r = routes.resolve(x.method(), x.path());
        if (r instanceof RouteTable.Found found) {
            x.params(found.params());
            found.handler().handle(x);
        } else if (r instanceof RouteTable.MethodNotAllowed notAllowed) {
            x.methodNotAllowed(notAllowed.allowed());
        } else {
            x.sendError(HttpResponseStatus.NOT_FOUND, "not found");
        }
    }
}
