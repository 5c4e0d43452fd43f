package dev.claudemesh.broker.netty.monitoring;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The metric-name extractor and the check built on it: names come out of the shapes the dashboard and the alerts use
 * (and nothing else: no labels, functions, keywords, durations, Grafana variables or strings), suffixes count only
 * where the family's type has them, and an expression naming a metric the broker does not export is reported.
 */
class PromQlTest {

    /** A scrape with one family of each kind. */
    private static final Exposition SCRAPE = Exposition.parse("""
            # HELP requests_total Requests
            # TYPE requests_total counter
            requests_total{type="a"} 3.0
            # TYPE depth gauge
            depth 2.0
            # TYPE delay_seconds histogram
            delay_seconds_bucket{le="0.1"} 1
            delay_seconds_bucket{le="+Inf"} 2
            delay_seconds_count 2
            delay_seconds_sum 0.3
            # TYPE gc_seconds summary
            gc_seconds_count{gc="G1"} 4
            gc_seconds_sum{gc="G1"} 0.02
            """);

    @Test
    void shouldExtractOnlyMetricNames() {
        assertThat(PromQl.metricNames("sum by (reason) (rate(broker_connections_rejected_total{job=~\"$job\", "
                + "instance=~\"$instance\"}[$__rate_interval])) > 0"))
                .containsExactly("broker_connections_rejected_total");
        assertThat(PromQl.metricNames("histogram_quantile(0.99, sum by (le, instance) "
                + "(rate(broker_event_loop_delay_seconds_bucket{job=~\"${job}\"}[5m])))"))
                .containsExactly("broker_event_loop_delay_seconds_bucket");
        assertThat(PromQl.metricNames("sum(rate(a_total[5m])) by (instance) / ignoring (x) group_left (y) "
                + "sum without (z) (b) unless on (i) c offset 1h"))
                .containsExactly("a_total", "b", "c");
        assertThat(PromQl.metricNames("up{job=\"claudemesh-broker\"} == 0")).containsExactly("up");
        assertThat(PromQl.metricNames("time() - max(process_start_time_seconds)"))
                .containsExactly("process_start_time_seconds");
        assertThat(PromQl.metricNames("label_replace(x, \"dst\", \"looks_like_a_metric\", \"src\", \"(.*)\") "
                + "* 1e3 > bool 2.5")).containsExactly("x");
        assertThat(PromQl.metricNames("avg_over_time(lat_seconds[5m:30s]) > 0.25 and deriv(q[10m]) > 0"))
                .containsExactly("lat_seconds", "q");
        assertThat(PromQl.metricNames("m{area=\"heap\"} / m2{area=\"heap\"}")).containsExactly("m", "m2");
    }

    @Test
    void shouldReadGrafanaTemplateQueries() {
        assertThat(PromQl.metricNames("label_values(broker_connections_active{job=~\"$job\"}, instance)"))
                .containsExactly("broker_connections_active");
        assertThat(PromQl.metricNames("label_values(job)")).isEmpty();
        assertThatThrownBy(() -> PromQl.metricNames("query_result(topk(5, x))"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unsupported Grafana");
    }

    @Test
    void shouldStripSuffixesOnlyWhereTheFamilyHasThem() {
        assertThat(SCRAPE.exports("requests_total")).isTrue();
        assertThat(SCRAPE.exports("depth")).isTrue();
        assertThat(SCRAPE.exports("delay_seconds_bucket")).isTrue();
        assertThat(SCRAPE.exports("delay_seconds_sum")).isTrue();
        assertThat(SCRAPE.exports("delay_seconds_count")).isTrue();
        assertThat(SCRAPE.exports("gc_seconds_sum")).isTrue();
        assertThat(SCRAPE.exports("gc_seconds_count")).isTrue();
        assertThat(SCRAPE.exports("delay_seconds")).as("a histogram has no series of its own name").isFalse();
        assertThat(SCRAPE.exports("gc_seconds")).as("a summary without quantiles neither").isFalse();
        assertThat(SCRAPE.exports("gc_seconds_bucket")).as("a summary has no buckets").isFalse();
        assertThat(SCRAPE.exports("depth_sum")).as("a gauge has no _sum").isFalse();
        assertThat(SCRAPE.exports("requests")).isFalse();
        assertThat(SCRAPE.family("delay_seconds_bucket")).hasValue("delay_seconds");
    }

    @Test
    void shouldReportAnExpressionThatNamesAnUnknownMetric() {
        List<MonitoringFiles.Expr> exprs = List.of(
                new MonitoringFiles.Expr("good", "sum(rate(requests_total[5m])) / depth"),
                new MonitoringFiles.Expr("typo", "rate(request_total[5m])"),
                new MonitoringFiles.Expr("wrong suffix", "histogram_quantile(0.9, rate(gc_seconds_bucket[5m]))"),
                new MonitoringFiles.Expr("prometheus", "up == 0"));
        Map<String, Set<String>> unknown = MonitoringFiles.unknownMetrics(exprs, SCRAPE, Set.of("up"));
        assertThat(unknown).containsOnlyKeys("typo", "wrong suffix");
        assertThat(unknown.get("typo")).containsExactly("request_total");
        assertThat(unknown.get("wrong suffix")).containsExactly("gc_seconds_bucket");
        assertThat(MonitoringFiles.unknownMetrics(exprs.subList(0, 1), SCRAPE, Set.of())).isEmpty();
    }
}
