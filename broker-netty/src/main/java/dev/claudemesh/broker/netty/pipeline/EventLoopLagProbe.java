package dev.claudemesh.broker.netty.pipeline;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.EventExecutorGroup;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * How late each event loop runs what it was asked to run: a tiny task on every loop, repeated with a fixed delay of
 * {@link #INTERVAL_MS}, compares when it runs with when it was due. A loop busy with a long handler, a blocking call
 * or a GC pause runs it late; that delay is what every socket of the loop waits too. Exported on {@code /metrics}:
 * <ul>
 *   <li>{@code broker_event_loop_lag_seconds{loop}} (gauge): the delay of the last run, or, when a run is overdue
 *       now, how overdue it is — so a loop that is stuck shows at the next scrape, although its probe cannot
 *       run;</li>
 *   <li>{@code broker_event_loop_delay_seconds{loop}} (histogram): every measured delay, for percentiles.</li>
 * </ul>
 * Cost: one reused scheduled task per loop, ten runs a second, each a clock read, two volatile writes and a histogram
 * observation; nothing per message.
 *
 * <p>Thread-safety: each probe's fields are written by its loop only and read by scrapes on any thread
 * (volatile).</p>
 */
public final class EventLoopLagProbe {

    /** How often each loop is probed; a stall shorter than this may fall between two runs. */
    public static final long INTERVAL_MS = 100;
    private static final long INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(INTERVAL_MS);
    private static final double NANOS_PER_SECOND = 1_000_000_000.0;

    private final List<Probe> probes;

    private EventLoopLagProbe(List<Probe> probes) {
        this.probes = probes;
    }

    /**
     * Starts a probe on every executor of {@code loops} and registers both series on {@code registry}. The probes
     * end with their loops.
     */
    public static EventLoopLagProbe start(EventExecutorGroup loops, PrometheusRegistry registry) {
        Objects.requireNonNull(loops, "loops");
        Objects.requireNonNull(registry, "registry");
        Histogram delays = Histogram.builder()
                .name("broker_event_loop_delay_seconds")
                .help("Delay between when a probe task was due on an event loop and when it ran (every "
                        + INTERVAL_MS + " ms per loop)")
                .labelNames("loop")
                .classicOnly()
                .classicUpperBounds(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)
                .register(registry);
        List<Probe> probes = new ArrayList<>();
        int index = 0;
        for (EventExecutor loop : loops) {
            String label = Integer.toString(index++);
            probes.add(new Probe(label, delays.labelValues(label)));
        }
        GaugeWithCallback.builder()
                .name("broker_event_loop_lag_seconds")
                .help("How late an event loop ran its last probe task, or how overdue the next one is now")
                .labelNames("loop")
                .callback(cb -> {
                    long now = System.nanoTime();
                    for (Probe p : probes) {
                        cb.call(p.lagNanos(now) / NANOS_PER_SECOND, p.label);
                    }
                })
                .register(registry);
        index = 0;
        for (EventExecutor loop : loops) {
            probes.get(index++).start(loop);
        }
        return new EventLoopLagProbe(List.copyOf(probes));
    }

    /** The current lag of each loop in nanoseconds, by loop index (what the gauge exports). */
    public long[] lagNanos() {
        long now = System.nanoTime();
        long[] out = new long[probes.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = probes.get(i).lagNanos(now);
        }
        return out;
    }

    private static final class Probe implements Runnable {
        final String label;
        private final DistributionDataPoint delays;
        private volatile long dueNanos;
        private volatile long lastLagNanos;

        Probe(String label, DistributionDataPoint delays) {
            this.label = label;
            this.delays = delays;
        }

        void start(EventExecutor loop) {
            dueNanos = System.nanoTime() + INTERVAL_NANOS;
            // fixed delay: the next run is due INTERVAL after this one ends, which is when run() sets dueNanos
            loop.scheduleWithFixedDelay(this, INTERVAL_MS, INTERVAL_MS, TimeUnit.MILLISECONDS);
        }

        @Override
        public void run() {
            long now = System.nanoTime();
            long lag = Math.max(0, now - dueNanos);
            lastLagNanos = lag;
            delays.observe(lag / NANOS_PER_SECOND);
            dueNanos = now + INTERVAL_NANOS;
        }

        long lagNanos(long now) {
            return Math.max(lastLagNanos, now - dueNanos);
        }
    }
}
