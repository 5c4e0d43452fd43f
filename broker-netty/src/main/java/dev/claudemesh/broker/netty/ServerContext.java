package dev.claudemesh.broker.netty;

import dev.claudemesh.broker.core.BrokerMetrics;
import dev.claudemesh.broker.core.Clock;
import dev.claudemesh.broker.core.mesh.Broker;
import dev.claudemesh.broker.core.port.DurableLog;

import java.util.concurrent.Executor;
import java.util.function.IntSupplier;

/**
 * What the HTTP routes need from the running server. Immutable; every member is thread-safe.
 *
 * @param config       the validated configuration
 * @param broker       the domain
 * @param durable      the batched writer (health, writer gauges)
 * @param blocking     executor for blocking work (JDBC); never run JDBC on an event loop
 * @param boundPort    the port actually bound (config port may be 0)
 * @param clock        time source
 * @param startedAtMs  process start, for {@code uptime}
 * @param version      broker version string
 * @param metrics      the domain counters
 */
public record ServerContext(BrokerConfig config, Broker broker, DurableLog durable, Executor blocking,
                            IntSupplier boundPort, Clock clock, long startedAtMs, String version,
                            BrokerMetrics metrics) {
}
