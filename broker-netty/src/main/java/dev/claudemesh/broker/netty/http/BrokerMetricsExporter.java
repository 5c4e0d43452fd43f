package dev.claudemesh.broker.netty.http;

import dev.claudemesh.broker.core.BrokerMetrics;
import dev.claudemesh.broker.core.port.DurableLog;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * The {@code GET /metrics} registry (PROTOCOL §6): callback collectors that read the domain's {@link BrokerMetrics}
 * adders and the writer's state at scrape time, plus the JVM collectors. Nothing is copied on the hot path; the
 * domain only increments its adders.
 *
 * <p>Labelled counters always list the label values the broker can produce (at zero until used), so that their
 * {@code # HELP}/{@code # TYPE} lines and series exist before the first event: dashboards and {@code rate()} need
 * no special case. Values the domain adds beyond those lists appear too.</p>
 *
 * <p>Thread-safe: {@link #scrape()} may run on any thread, concurrently. Prometheus client 1.x registers counter
 * names without {@code _total} and appends it on exposition, so the scraped names are exactly the ones below.</p>
 */
public final class BrokerMetricsExporter {

    /** Content type of {@link #scrape()}: Prometheus text format 0.0.4. */
    public static final String CONTENT_TYPE = PrometheusTextFormatWriter.CONTENT_TYPE;

    /** Hello rejection codes of PROTOCOL §3 (plus {@code hello_timeout}). */
    static final List<String> CONNECTION_REJECT_REASONS = List.of("bad_session_pubkey", "bad_parent_pubkey",
            "attestation_mismatch", "capacity", "timestamp_skew", "malformed", "expired", "ttl_too_long",
            "bad_signature", "revoked", "unauthorized", "member_id_mismatch", "parent_member_id_mismatch",
            "session_pubkey_in_use");
    /** Send priorities of PROTOCOL §4.1, and {@code stream} for stream publishes (PROTOCOL-MESH §12). */
    static final List<String> PRIORITIES = List.of("now", "next", "low", "stream");
    /** Failed-send reasons the domain counts (core.mesh.SendRejection). */
    static final List<String> MESSAGE_REJECT_REASONS = List.of("rate_limit", "payload_too_large", "invalid",
            "no_peer", "grants", "forbidden", "internal_error");
    /** Capabilities whose absence drops a recipient (PROTOCOL §4.2). */
    static final List<String> GRANT_CAPS = List.of("dm", "broadcast");

    private static final double MICROS_PER_SECOND = 1_000_000.0;

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();

    /**
     * Registers the broker's collectors and the JVM's on a private registry.
     *
     * @param metrics the domain counters
     * @param durable the writer, whose {@link DurableLog#stats()} are exported
     */
    public BrokerMetricsExporter(BrokerMetrics metrics, DurableLog durable) {
        Objects.requireNonNull(metrics, "metrics");
        Objects.requireNonNull(durable, "durable");

        counter("broker_connections_total", "WebSocket connections accepted", metrics.connectionsTotal::sum);
        labelledCounter("broker_connections_rejected_total", "Hellos rejected, by error code", "reason",
                CONNECTION_REJECT_REASONS, metrics.connectionsRejected());
        gauge("broker_connections_active", "Open WebSocket connections", metrics.connectionsActive::get);
        labelledCounter("broker_messages_routed_total", "Sends accepted for routing, by priority", "priority",
                PRIORITIES, metrics.messagesRouted());
        labelledCounter("broker_messages_rejected_total", "Sends answered with a failed ack, by reason", "reason",
                MESSAGE_REJECT_REASONS, metrics.messagesRejected());
        labelledCounter("broker_messages_dropped_by_grant_total",
                "Recipients skipped because the sender lacked a capability", "cap", GRANT_CAPS,
                metrics.droppedByGrant());
        gauge("broker_queue_depth", "Undelivered DMs held in memory", metrics.queueDepth::get);
        gauge("broker_dm_payload_buffers", "DM payloads held in pooled off-heap buffers (not yet acked or committed)",
                metrics.payloadBuffers::sum);
        counter("broker_ttl_sweeps_total", "Status TTL sweeps run", metrics.ttlSweepsTotal::sum);
        counter("broker_hook_requests_total", "POST /hook/set-status requests", metrics.hookRequestsTotal::sum);
        counter("broker_hook_requests_rate_limited_total", "Hook requests answered 429",
                metrics.hookRequestsRateLimitedTotal::sum);
        counter("broker_pushes_total", "Pushes written to peers", metrics.pushesTotal::sum);
        counter("broker_redeliveries_total", "DM pushes repeated after the redelivery timeout",
                metrics.redeliveriesTotal::sum);
        counter("broker_slow_consumer_closes_total",
                "Sockets closed 1008 slow_consumer (BROKER_MAX_PENDING_BYTES_PER_SOCKET queued for a peer that does "
                        + "not read)",
                metrics.slowConsumerCloses::sum);
        labelledCounter("broker_requests_total", "Frames handed to a registered handler, by message type", "type",
                List.of(), metrics.requests());
        CounterWithCallback.builder()
                .name("broker_request_errors_total")
                .help("Requests answered with an error frame, by message type and error code")
                .labelNames("type", "code")
                .callback(cb -> new TreeMap<>(metrics.requestErrors()).forEach((type, byCode) ->
                        new TreeMap<>(byCode).forEach((code, n) -> cb.call(n.sum(), type, code))))
                .register(registry);
        labelledCounter("broker_messages_unknown_total",
                "Frames of a type no handler serves, by type (a PROTOCOL-MESH type, else other)", "type",
                List.of("other"), metrics.messagesUnknown());
        counter("broker_stream_frames_dropped_total",
                "stream_data frames dropped because a subscriber's bounded buffer was full (oldest first)",
                metrics.streamFramesDropped::sum);
        gauge("broker_stream_buffered_bytes", "stream_data bytes held for subscribers that have not taken them yet",
                metrics.streamBufferedBytes::get);
        gauge("broker_stream_subscriptions", "Live stream subscriptions", metrics.streamSubscriptions::get);
        gauge("broker_db_healthy", "1 when the last attempt to reach the database succeeded, else 0",
                () -> durable.databaseHealthy() ? 1 : 0);
        gauge("broker_writer_queue_depth", "Durable ops waiting for the batched writer",
                () -> durable.stats().backlog());
        writerMetrics(durable);
        JvmMetrics.builder().register(registry);
    }

    private void writerMetrics(DurableLog durable) {
        gauge("broker_writer_batch_size", "Ops in the last committed batch (the largest of the writers' last)",
                () -> durable.stats().lastBatchSize());
        GaugeWithCallback.builder()
                .name("broker_writer_commit_latency_seconds")
                .help("Wall time of the last committed transaction (the longest of the writers' last)")
                .callback(cb -> cb.call(durable.stats().lastCommitLatencyMicros() / MICROS_PER_SECOND))
                .register(registry);
        counter("broker_writer_committed_ops_total", "Durable ops committed", () -> durable.stats().committedOps());
        counter("broker_writer_committed_batches_total", "Writer transactions committed",
                () -> durable.stats().committedBatches());
        counter("broker_writer_failed_attempts_total", "Writer transactions rolled back and retried",
                () -> durable.stats().failedAttempts());
    }

    /** The registry, for tests and for adding collectors. */
    public PrometheusRegistry registry() {
        return registry;
    }

    /** One scrape in the Prometheus text format ({@link #CONTENT_TYPE}), UTF-8. */
    public byte[] scrape() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(16 * 1024);
        try {
            writer.write(out, registry.scrape());
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a ByteArrayOutputStream does not throw
        }
        return out.toByteArray();
    }

    private void counter(String name, String help, LongSupplier value) {
        CounterWithCallback.builder()
                .name(name)
                .help(help)
                .callback(cb -> cb.call(value.getAsLong()))
                .register(registry);
    }

    private void gauge(String name, String help, LongSupplier value) {
        GaugeWithCallback.builder()
                .name(name)
                .help(help)
                .callback(cb -> cb.call(value.getAsLong()))
                .register(registry);
    }

    private void labelledCounter(String name, String help, String label, List<String> known,
                                 Map<String, LongAdder> byValue) {
        CounterWithCallback.builder()
                .name(name)
                .help(help)
                .labelNames(label)
                .callback(cb -> {
                    // sorted so that series keep their order between scrapes
                    TreeSet<String> values = new TreeSet<>(known);
                    values.addAll(byValue.keySet());
                    for (String v : values) {
                        LongAdder a = byValue.get(v);
                        cb.call(a == null ? 0 : a.sum(), v);
                    }
                })
                .register(registry);
    }
}
