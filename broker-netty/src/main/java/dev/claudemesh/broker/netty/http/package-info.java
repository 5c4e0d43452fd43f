/**
 * The plain HTTP routes on the broker's port (PROTOCOL §6 and §9, DESIGN "Membership administration").
 * {@link dev.claudemesh.broker.netty.http.HttpApi} dispatches every request that is not a WebSocket upgrade through a
 * {@link dev.claudemesh.broker.netty.http.RouteTable} (method + path template → handler, guarded areas); the
 * broker's routes are listed in one place, {@code BrokerRoutes}, and handled by one class per area
 * ({@code HealthRoutes}, {@code HookRoutes}, {@code JoinApi}, {@code AdminRoutes}, {@code InviteAdmin}). A handler
 * sees one {@link dev.claudemesh.broker.netty.http.HttpExchange}, runs its database work through
 * {@link dev.claudemesh.broker.netty.http.BlockingCalls} (one failure classifier, no JDBC on an event loop) and
 * checks tokens with {@link dev.claudemesh.broker.netty.http.BearerAuth}.
 * {@link dev.claudemesh.broker.netty.http.BrokerMetricsExporter} turns the domain's counters into the Prometheus text
 * format. The WebSocket upgrade is handled before these routes, by the pipeline's router.
 */
package dev.claudemesh.broker.netty.http;
