/**
 * The end-to-end load generator ({@code loadgen.jar}, main class {@link dev.claudemesh.broker.bench.loadgen.LoadGen}):
 * provisioning ({@code Topology}), the Netty WebSocket client ({@code ClientTransport}, {@code Connector}), the
 * message scenarios with per-message accounting ({@code TrafficRun}, {@code MessageTable}, {@code Wire}), broker
 * resource probes ({@code BrokerProbe}), the report ({@code Report}), the bare relay baseline ({@code RelayServer})
 * and the flight-recording summary ({@code JfrSummary}). See docs/BENCHMARKS.md.
 */
package dev.claudemesh.broker.bench.loadgen;
