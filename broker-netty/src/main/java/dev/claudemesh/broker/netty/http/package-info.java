/**
 * The plain HTTP routes on the broker's port (PROTOCOL §6, DESIGN "Membership administration"):
 * {@link dev.claudemesh.broker.netty.http.HttpApi} answers {@code /health}, {@code /metrics},
 * {@code /hook/set-status} and {@code /admin/*}; {@link dev.claudemesh.broker.netty.http.Enrolment} adds invite-based
 * enrolment (PROTOCOL §9: the public {@code POST /join} and the admin invite routes);
 * {@link dev.claudemesh.broker.netty.http.BrokerMetricsExporter} turns the domain's counters into the Prometheus
 * text format. The WebSocket upgrade is handled before these
 * routes, by the pipeline's router. No JDBC runs on an event loop: admin work goes to the blocking executor.
 */
package dev.claudemesh.broker.netty.http;
