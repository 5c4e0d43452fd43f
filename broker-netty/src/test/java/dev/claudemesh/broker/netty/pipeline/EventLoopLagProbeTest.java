package dev.claudemesh.broker.netty.pipeline;

import dev.claudemesh.broker.db.testing.Eventually;
import io.netty.channel.DefaultEventLoopGroup;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The event-loop lag probe on real loops: a loop held by a blocking task shows its growing lag at scrape time
 * (although its probe cannot run), the other loop does not, and once released the late run lands in the histogram.
 */
class EventLoopLagProbeTest {

    private static final long STALL_NANOS = TimeUnit.MILLISECONDS.toNanos(400);

    private final DefaultEventLoopGroup loops = new DefaultEventLoopGroup(2);
    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final CountDownLatch release = new CountDownLatch(1);

    @AfterEach
    void tearDown() {
        release.countDown();
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void shouldShowAStuckLoopAtScrapeTimeAndRecordItsDelayOnceItRuns() throws Exception {
        EventLoopLagProbe probe = EventLoopLagProbe.start(loops, registry);
        assertThat(scrape()).contains("broker_event_loop_lag_seconds{loop=\"0\"}")
                .contains("broker_event_loop_lag_seconds{loop=\"1\"}")
                .contains("# TYPE broker_event_loop_delay_seconds histogram");
        Eventually.await(Duration.ofSeconds(10), "both probes ran", () -> count("0") > 0 && count("1") > 0);

        loops.iterator().next().execute(() -> {
            try {
                release.await(30, TimeUnit.SECONDS); // blocks loop 0, as a blocking call in a handler would
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        Eventually.await(Duration.ofSeconds(10), "loop 0 overdue by the stall", () ->
                probe.lagNanos()[0] > STALL_NANOS);
        assertThat(probe.lagNanos()[1]).as("the other loop is on time").isLessThan(STALL_NANOS);
        assertThat(gauge("0")).isGreaterThan(0.4);
        long lateBefore = count("0") - bucket("0", "0.25");

        release.countDown();
        Eventually.await(Duration.ofSeconds(10), "the late run is in the histogram", () ->
                count("0") - bucket("0", "0.25") > lateBefore);
    }

    private String scrape() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            PrometheusTextFormatWriter.create().write(out, registry.scrape());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    private double gauge(String loop) {
        return value("broker_event_loop_lag_seconds\\{loop=\"" + loop + "\"\\}");
    }

    private long count(String loop) {
        return (long) value("broker_event_loop_delay_seconds_count\\{loop=\"" + loop + "\"\\}");
    }

    private long bucket(String loop, String le) {
        return (long) value("broker_event_loop_delay_seconds_bucket\\{loop=\"" + loop + "\",le=\""
                + Pattern.quote(le) + "\"\\}");
    }

    private double value(String series) {
        Matcher m = Pattern.compile("(?m)^" + series + " (\\S+)").matcher(scrape());
        assertThat(m.find()).as(series + " in\n" + scrape()).isTrue();
        return Double.parseDouble(m.group(1));
    }
}
