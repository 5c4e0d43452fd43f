/**
 * Test support for the monitoring files under {@code deploy/}: reading the Grafana dashboard and the Prometheus
 * alert rules, extracting the metric names of their PromQL ({@link dev.claudemesh.broker.netty.monitoring.PromQl})
 * and matching them against a scrape of {@code /metrics}
 * ({@link dev.claudemesh.broker.netty.monitoring.Exposition}). Used by {@code it.MonitoringFilesIT}.
 */
package dev.claudemesh.broker.netty.monitoring;
