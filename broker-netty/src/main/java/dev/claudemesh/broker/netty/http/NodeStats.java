package dev.claudemesh.broker.netty.http;

import dev.claudemesh.broker.core.BrokerMetrics;
import dev.claudemesh.broker.core.envelope.JsonOut;
import dev.claudemesh.broker.core.port.WriterStats;
import dev.claudemesh.broker.netty.ServerContext;
import io.netty.handler.codec.http.HttpResponseStatus;

import java.util.Objects;
import java.util.concurrent.atomic.LongAdder;

/**
 * {@code GET /admin/node} (admin API, the console's node view): the broker's own figures as one JSON object, read from
 * the objects {@code /metrics} reads ({@link BrokerMetrics}, the writer's {@link WriterStats}), not counted twice:
 * <pre>{@code {"version","gitSha","startedAt","uptimeS","database":"up"|"down","connections","meshesInMemory",
 *  "queueDepth","messagesRoutedTotal","pushesTotal","messagesRoutedPerSec","pushesPerSec","rateWindowMs",
 *  "writer":{"backlog","lastBatchSize","lastCommitLatencyMicros","committedOps","committedBatches",
 *  "failedAttempts"}}}</pre>
 * The rates are over the interval since the previous sample, a sample being taken by a request at least
 * {@link #MIN_WINDOW_MS} after the last one (the first is taken at startup); requests closer together get the last
 * rates. Event loop; nothing blocks. Thread-safe.
 */
final class NodeStats {

    /** Shortest interval a rate is computed over. */
    static final long MIN_WINDOW_MS = 1_000;

    private final ServerContext server;
    private long sampleAtMs;
    private long sampleRouted;
    private long samplePushes;
    private long routedPerSec;
    private long pushesPerSec;
    private long windowMs;

    NodeStats(ServerContext server) {
        this.server = Objects.requireNonNull(server, "server");
        this.sampleAtMs = server.clock().millis();
        this.sampleRouted = routed(server.metrics());
        this.samplePushes = server.metrics().pushesTotal.sum();
    }

    private static long routed(BrokerMetrics m) {
        long n = 0;
        for (LongAdder a : m.messagesRouted().values()) {
            n += a.sum();
        }
        return n;
    }

    void node(HttpExchange x) {
        BrokerMetrics m = server.metrics();
        long now = server.clock().millis();
        long routed = routed(m);
        long pushes = m.pushesTotal.sum();
        long rRate;
        long pRate;
        long window;
        synchronized (this) {
            long elapsed = now - sampleAtMs;
            if (elapsed >= MIN_WINDOW_MS) {
                routedPerSec = Math.round((routed - sampleRouted) * 1000.0 / elapsed);
                pushesPerSec = Math.round((pushes - samplePushes) * 1000.0 / elapsed);
                windowMs = elapsed;
                sampleAtMs = now;
                sampleRouted = routed;
                samplePushes = pushes;
            }
            rRate = routedPerSec;
            pRate = pushesPerSec;
            window = windowMs;
        }
        WriterStats w = server.durable().stats();
        boolean up = server.durable().databaseHealthy();
        JsonOut o = new JsonOut(512).beginObject()
                .field("version", server.version())
                .field("gitSha", server.config().gitSha())
                .field("startedAt", dev.claudemesh.broker.core.audit.AuditChain.isoMillis(server.startedAtMs()))
                .field("uptimeS", Math.max(0, (now - server.startedAtMs()) / 1000))
                .field("database", up ? "up" : "down")
                .field("connections", m.connectionsActive.get())
                .field("meshesInMemory", server.broker().meshesInMemory())
                .field("queueDepth", m.queueDepth.get())
                .field("messagesRoutedTotal", routed)
                .field("pushesTotal", pushes)
                .field("messagesRoutedPerSec", rRate)
                .field("pushesPerSec", pRate)
                .field("rateWindowMs", window)
                .name("writer").beginObject()
                .field("backlog", w.backlog())
                .field("lastBatchSize", w.lastBatchSize())
                .field("lastCommitLatencyMicros", w.lastCommitLatencyMicros())
                .field("committedOps", w.committedOps())
                .field("committedBatches", w.committedBatches())
                .field("failedAttempts", w.failedAttempts())
                .endObject().endObject();
        x.send(HttpResponseStatus.OK, o.toBytes());
    }
}
