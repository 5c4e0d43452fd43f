package dev.claudemesh.broker.netty.monitoring;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The operator files under {@code deploy/}: the Grafana dashboard ({@code grafana/claudemesh-broker.json}) and the
 * Prometheus alert rules ({@code prometheus/claudemesh-broker-alerts.yml}), read as plain trees (maps, lists,
 * strings, numbers), and the PromQL expressions in them, each with where it was found.
 */
public final class MonitoringFiles {

    /** Where the expression was found, e.g. {@code panel "Heap" A} or {@code alert ClaudemeshBrokerDown}. */
    public record Expr(String where, String expr) {
    }

    public static final String DASHBOARD = "deploy/grafana/claudemesh-broker.json";
    public static final String ALERTS = "deploy/prometheus/claudemesh-broker-alerts.yml";

    private MonitoringFiles() {
    }

    /** The repository's root (the build runs in a module folder). */
    public static Path repoRoot() {
        Path base = Path.of(System.getProperty("basedir", System.getProperty("user.dir"))).toAbsolutePath();
        return Files.isDirectory(base.resolve("deploy")) ? base : base.getParent();
    }

    /** The dashboard as a tree. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> dashboard() throws IOException {
        try (JsonParser p = new JsonFactory().createParser(repoRoot().resolve(DASHBOARD).toFile())) {
            Object root = read(p, p.nextToken());
            if (p.nextToken() != null || !(root instanceof Map)) {
                throw new IllegalStateException(DASHBOARD + ": not one JSON object");
            }
            return (Map<String, Object>) root;
        }
    }

    /** The alert rule file as a tree (SnakeYAML's safe loader: plain data only). */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> alerts() throws IOException {
        String text = Files.readString(repoRoot().resolve(ALERTS), StandardCharsets.UTF_8);
        return (Map<String, Object>) new Yaml(new SafeConstructor(new LoaderOptions())).load(text);
    }

    /** Every PromQL expression of the dashboard: panel targets, and the template variables' queries. */
    public static List<Expr> dashboardExprs(Map<String, Object> dashboard) {
        List<Expr> out = new ArrayList<>();
        for (Map<String, Object> panel : maps(dashboard.get("panels"))) {
            for (Map<String, Object> target : maps(panel.get("targets"))) {
                out.add(new Expr("panel \"" + panel.get("title") + "\" " + target.get("refId"),
                        (String) target.get("expr")));
            }
        }
        Object templating = dashboard.get("templating");
        if (templating instanceof Map<?, ?> t) {
            for (Map<String, Object> variable : maps(t.get("list"))) {
                if (!"query".equals(variable.get("type"))) {
                    continue;
                }
                Object q = variable.get("query");
                String query = q instanceof Map<?, ?> qm ? (String) qm.get("query") : (String) q;
                out.add(new Expr("variable " + variable.get("name"), query));
                if (variable.get("definition") instanceof String d) {
                    out.add(new Expr("variable " + variable.get("name") + " definition", d));
                }
            }
        }
        return out;
    }

    /** Every rule's expression (alerting and recording rules). */
    public static List<Expr> alertExprs(Map<String, Object> alerts) {
        List<Expr> out = new ArrayList<>();
        for (Map<String, Object> group : maps(alerts.get("groups"))) {
            for (Map<String, Object> rule : maps(group.get("rules"))) {
                Object name = rule.containsKey("alert") ? "alert " + rule.get("alert") : "record " + rule.get("record");
                out.add(new Expr(String.valueOf(name), String.valueOf(rule.get("expr"))));
            }
        }
        return out;
    }

    /**
     * The metric names of {@code exprs} that {@code scrape} does not export, by where they were found (empty when
     * every name is known). {@code synthetic} are names Prometheus makes itself (such as {@code up}).
     */
    public static Map<String, Set<String>> unknownMetrics(List<Expr> exprs, Exposition scrape, Set<String> synthetic) {
        Map<String, Set<String>> unknown = new TreeMap<>();
        for (Expr e : exprs) {
            for (String name : PromQl.metricNames(e.expr())) {
                if (!synthetic.contains(name) && !scrape.exports(name)) {
                    unknown.computeIfAbsent(e.where(), k -> new TreeSet<>()).add(name);
                }
            }
        }
        return unknown;
    }

    /** The maps of a list (a missing list is empty). */
    @SuppressWarnings("unchecked")
    public static List<Map<String, Object>> maps(Object list) {
        List<Map<String, Object>> out = new ArrayList<>();
        if (list instanceof List<?> l) {
            for (Object o : l) {
                out.add((Map<String, Object>) o);
            }
        }
        return out;
    }

    private static Object read(JsonParser p, JsonToken t) throws IOException {
        switch (t) {
            case START_OBJECT: {
                Map<String, Object> m = new LinkedHashMap<>();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String name = p.currentName();
                    if (m.put(name, read(p, p.nextToken())) != null) {
                        throw new IllegalStateException("duplicate key " + name + " at " + p.currentLocation());
                    }
                }
                return m;
            }
            case START_ARRAY: {
                List<Object> l = new ArrayList<>();
                for (JsonToken e = p.nextToken(); e != JsonToken.END_ARRAY; e = p.nextToken()) {
                    l.add(read(p, e));
                }
                return l;
            }
            case VALUE_STRING:
                return p.getText();
            case VALUE_NUMBER_INT:
                return p.getLongValue();
            case VALUE_NUMBER_FLOAT:
                return p.getDoubleValue();
            case VALUE_TRUE:
                return Boolean.TRUE;
            case VALUE_FALSE:
                return Boolean.FALSE;
            case VALUE_NULL:
                return null;
            default:
                throw new IllegalStateException("unexpected " + t + " at " + p.currentLocation());
        }
    }
}
