package dev.claudemesh.broker.netty.it;

import dev.claudemesh.broker.core.testing.Identities;
import dev.claudemesh.broker.netty.monitoring.Exposition;
import dev.claudemesh.broker.netty.monitoring.MonitoringFiles;
import dev.claudemesh.broker.netty.monitoring.MonitoringFiles.Expr;
import dev.claudemesh.broker.netty.monitoring.PromQl;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Grafana dashboard ({@code deploy/grafana/claudemesh-broker.json}) and the Prometheus alert rules
 * ({@code deploy/prometheus/claudemesh-broker-alerts.yml}) against a real broker's {@code /metrics}: every metric
 * their PromQL names is one the broker exports (with its type's suffixes: {@code _bucket} only for a histogram), and
 * every {@code broker_*} family the broker exports is on the dashboard. The broker is exercised first so that the
 * series that appear only with traffic exist (request errors by type and code, the event-loop histogram, GC).
 * The files' structure is checked too: one Prometheus datasource variable used by every query, and every alert with
 * a {@code for:}, a severity, a summary and a description. How the extractor reads PromQL, and that this check fails
 * on an unknown name, is proven in {@code monitoring.PromQlTest}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MonitoringFilesIT {

    /** Series Prometheus makes itself for every target. */
    private static final Set<String> PROMETHEUS_SYNTHETIC = Set.of("up");
    private static final Set<String> SEVERITIES = Set.of("critical", "warning", "info");

    private BrokerFixture broker;
    private Exposition scrape;

    @BeforeAll
    void startAndExercise() throws Exception {
        broker = new BrokerFixture(Map.of("BROKER_STATUS_SWEEP_MS", "100"));
        String mesh = broker.createMesh("monitoring");
        Identities.MemberKeys alice = broker.addMember(mesh, "alice");
        Identities.MemberKeys bob = broker.addMember(mesh, "bob");
        BrokerFixture.Peer a = broker.session(alice, "a");
        BrokerFixture.Peer b = broker.session(bob, "b");
        for (String priority : List.of("now", "next", "low")) {
            a.ws().send(Identities.send("mon-" + priority, b.key(), priority, "bm9uY2U=", "bW9uaXRvcg=="));
            assertThat(a.ws().await("\"id\":\"mon-" + priority + "\"")).contains("\"queued\":true");
        }
        // a request of a registered type answered with an error: broker_request_errors_total{type,code} appears
        b.ws().send("{\"type\":\"set_status\",\"status\":\"asleep\",\"_reqId\":\"bad\"}");
        assertThat(b.ws().await("\"_reqId\":\"bad\"")).contains("\"code\":\"bad_request\"");
        assertThat(broker.request("POST", "/hook/set-status", "{\"cwd\":\"/mon\",\"pid\":7,\"status\":\"idle\"}",
                null).statusCode()).isEqualTo(200);
        String text = broker.request("GET", "/metrics", null, null).body();
        scrape = Exposition.parse(text);
        assertThat(text).contains("broker_request_errors_total{code=\"bad_request\",type=\"set_status\"}");
        a.ws().abort();
        b.ws().abort();
    }

    @AfterAll
    void stop() {
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void shouldNameOnlyMetricsTheBrokerExports() throws Exception {
        List<Expr> exprs = new ArrayList<>(MonitoringFiles.dashboardExprs(MonitoringFiles.dashboard()));
        exprs.addAll(MonitoringFiles.alertExprs(MonitoringFiles.alerts()));

        Map<String, Set<String>> unknown = MonitoringFiles.unknownMetrics(exprs, scrape, PROMETHEUS_SYNTHETIC);

        assertThat(unknown).as("metric names in %s / %s that GET /metrics does not export",
                MonitoringFiles.DASHBOARD, MonitoringFiles.ALERTS).isEmpty();
        Set<String> named = new TreeSet<>();
        exprs.forEach(e -> named.addAll(PromQl.metricNames(e.expr())));
        // the extractor found what the files are about (a parser that found nothing would pass the check above)
        assertThat(named).contains("broker_db_healthy", "broker_writer_queue_depth",
                "broker_writer_commit_latency_seconds", "broker_slow_consumer_closes_total",
                "broker_connections_rejected_total", "broker_messages_routed_total", "broker_request_errors_total",
                "broker_event_loop_lag_seconds", "broker_event_loop_delay_seconds_bucket",
                "jvm_memory_used_bytes", "jvm_gc_collection_seconds_sum", "jvm_threads_current", "up");
    }

    @Test
    void shouldShowEveryBrokerSeriesOnTheDashboard() throws Exception {
        Set<String> onDashboard = new HashSet<>();
        for (Expr e : MonitoringFiles.dashboardExprs(MonitoringFiles.dashboard())) {
            for (String name : PromQl.metricNames(e.expr())) {
                scrape.family(name).ifPresent(onDashboard::add);
            }
        }
        Set<String> missing = new TreeSet<>(scrape.families().keySet());
        missing.removeIf(f -> !f.startsWith("broker_"));
        missing.removeAll(onDashboard);
        assertThat(missing).as("broker_* families exported but not on the dashboard").isEmpty();
    }

    @Test
    void shouldUseOneDatasourceVariableInEveryQuery() throws Exception {
        Map<String, Object> dashboard = MonitoringFiles.dashboard();
        List<Map<String, Object>> variables = MonitoringFiles.maps(((Map<?, ?>) dashboard.get("templating"))
                .get("list"));
        assertThat(variables).filteredOn(v -> "datasource".equals(v.get("type")))
                .singleElement().satisfies(v -> {
                    assertThat(v.get("name")).isEqualTo("datasource");
                    assertThat(v.get("query")).isEqualTo("prometheus");
                });
        Map<String, String> viaVariable = Map.of("type", "prometheus", "uid", "${datasource}");
        Set<Object> ids = new HashSet<>();
        int queries = 0;
        for (Map<String, Object> panel : MonitoringFiles.maps(dashboard.get("panels"))) {
            assertThat(ids.add(panel.get("id"))).as("panel id %s unique", panel.get("id")).isTrue();
            for (Map<String, Object> target : MonitoringFiles.maps(panel.get("targets"))) {
                assertThat(panel.get("datasource")).as("panel %s", panel.get("title")).isEqualTo(viaVariable);
                assertThat(target.get("datasource")).as("panel %s", panel.get("title")).isEqualTo(viaVariable);
                queries++;
            }
        }
        for (Map<String, Object> v : variables) {
            if ("query".equals(v.get("type"))) {
                assertThat(v.get("datasource")).as("variable %s", v.get("name")).isEqualTo(viaVariable);
            }
        }
        assertThat(queries).isGreaterThan(30);
        assertThat(dashboard.get("uid")).isEqualTo("claudemesh-broker");
    }

    @Test
    void shouldGiveEveryAlertADurationSeverityAndDescription() throws Exception {
        Set<String> names = new HashSet<>();
        List<Map<String, Object>> rules = new ArrayList<>();
        for (Map<String, Object> group : MonitoringFiles.maps(MonitoringFiles.alerts().get("groups"))) {
            rules.addAll(MonitoringFiles.maps(group.get("rules")));
        }
        assertThat(rules).hasSizeGreaterThanOrEqualTo(10);
        for (Map<String, Object> rule : rules) {
            String name = (String) rule.get("alert");
            assertThat(name).as("every rule is an alert").isNotBlank();
            assertThat(names.add(name)).as("alert %s unique", name).isTrue();
            assertThat(String.valueOf(rule.get("for"))).as("%s for:", name).matches("\\d+[smh]");
            assertThat(((Map<?, ?>) rule.get("labels")).get("severity")).as("%s severity", name).isIn(SEVERITIES);
            Map<?, ?> annotations = (Map<?, ?>) rule.get("annotations");
            assertThat((String) annotations.get("summary")).as("%s summary", name).isNotBlank();
            assertThat((String) annotations.get("description")).as("%s description", name).hasSizeGreaterThan(60);
        }
        assertThat(names).contains("ClaudemeshBrokerDatabaseDown", "ClaudemeshBrokerWriterBacklogGrowing",
                "ClaudemeshBrokerCommitLatencyHigh", "ClaudemeshBrokerSlowConsumerCloses",
                "ClaudemeshBrokerHelloFailuresSpiking");
    }

    @Test
    void shouldServeTheEventLoopSeriesForEveryLoop() throws Exception {
        HttpResponse<String> r = broker.request("GET", "/metrics", null, null);
        // BROKER_EVENT_LOOP_THREADS=2 in the fixture
        assertThat(r.body()).contains("broker_event_loop_lag_seconds{loop=\"0\"}")
                .contains("broker_event_loop_lag_seconds{loop=\"1\"}")
                .contains("broker_event_loop_delay_seconds_count{loop=\"1\"}");
        assertThat(scrape.families()).containsEntry("broker_event_loop_delay_seconds", "histogram")
                .containsEntry("broker_event_loop_lag_seconds", "gauge")
                .containsEntry("broker_slow_consumer_closes_total", "counter");
    }
}
