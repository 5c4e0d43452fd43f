package dev.claudemesh.broker.netty;

import java.util.Map;
import java.util.Properties;

/**
 * Netty system properties the broker's {@link Main} sets before any Netty class loads, each only where the operator
 * did not set it ({@code -D…} in {@code JAVA_OPTS} wins). Both were measured on the DM path (docs/BENCHMARKS.md,
 * issue 15's fifth sitting; docs/ARCHITECTURE.md, "Threads", has the why):
 * <ul>
 *   <li>{@code io.netty.recycler.maxCapacityPerThread=0}: no object recycling. Most of the broker's pooled buffers
 *   are created on one thread and released on another (a DM's payload on the mesh loop, freed on the writer thread;
 *   an ack built on the writer thread, freed on the socket's loop), and handing a recycled object back across threads
 *   cost more CPU than allocating a new one and letting the young generation collect it.</li>
 *   <li>{@code io.netty.leakDetection.samplingInterval=4096}: buffer-leak detection stays on (Netty's {@code SIMPLE}
 *   level), but records a stack trace for one buffer in 4096 instead of one in 128; at ~5 buffers per DM the default
 *   interval cost a few per cent of the broker's CPU in stack walks. A buffer type that leaks on every DM is still
 *   reported within seconds at load.</li>
 * </ul>
 * Tests do not go through {@link Main}: they keep Netty's defaults (and run with {@code paranoid} leak detection).
 */
public final class NettyDefaults {

    /** Property name → the broker's default. */
    static final Map<String, String> DEFAULTS = Map.of(
            "io.netty.recycler.maxCapacityPerThread", "0",
            "io.netty.leakDetection.samplingInterval", "4096");

    private NettyDefaults() {
    }

    /** Sets each of {@link #DEFAULTS} in {@code system} unless it is already there. */
    static void apply(Properties system) {
        DEFAULTS.forEach(system::putIfAbsent);
    }
}
