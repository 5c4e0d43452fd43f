package dev.claudemesh.broker.netty.http;

import dev.claudemesh.broker.core.envelope.JsonOut;
import dev.claudemesh.broker.netty.ServerContext;
import io.netty.handler.codec.http.HttpResponseStatus;

import java.util.Objects;

/**
 * {@code GET /health} and {@code GET /metrics} (PROTOCOL §6). Event loop; nothing blocks (health reads the writer's
 * last known database state, metrics read adders). Thread-safe.
 */
final class HealthRoutes {

    private final ServerContext server;
    private final BrokerMetricsExporter exporter;

    HealthRoutes(ServerContext server, BrokerMetricsExporter exporter) {
        this.server = Objects.requireNonNull(server, "server");
        this.exporter = Objects.requireNonNull(exporter, "exporter");
    }

    /** 200 {@code {"status":"ok","db":"up",…}}, or 503 {@code "degraded"}/{@code "down"} while the database is. */
    void health(HttpExchange x) {
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

    /** The Prometheus text. */
    void metrics(HttpExchange x) {
        x.send(HttpResponseStatus.OK, BrokerMetricsExporter.CONTENT_TYPE, exporter.scrape());
    }
}
