package dev.claudemesh.broker.netty.monitoring;

import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The metric names a PromQL expression reads, as written in a Grafana panel or a Prometheus rule: not label names,
 * label values, functions, aggregations, keywords, durations or Grafana variables. Good enough for the expressions
 * of this project's dashboard and alerts, and strict where it is not sure: a Grafana template function other than
 * {@code label_values} is refused rather than guessed at. A name given as {@code {__name__="…"}} is not seen.
 *
 * <p>Steps: Grafana's {@code label_values(metric, label)} keeps only its first argument; Grafana variables, string
 * literals, label matchers {@code {…}}, range and subquery brackets {@code […]} and grouping label lists
 * ({@code by (…)}, {@code without}, {@code on}, {@code ignoring}, {@code group_left}, {@code group_right}) are cut;
 * of the identifiers left, those followed by {@code (} (functions and aggregations), keywords and those glued to a
 * digit (durations such as {@code 5m}, numbers such as {@code 1e3}) are dropped. Stateless.</p>
 */
public final class PromQl {

    /** {@code label_values(metric, label)}: the metric; {@code label_values(label)} names no metric. */
    private static final Pattern LABEL_VALUES = Pattern.compile(
            "^\\s*label_values\\s*\\(\\s*(?:(.*?)\\s*,\\s*)?[A-Za-z_][A-Za-z0-9_]*\\s*\\)\\s*$", Pattern.DOTALL);
    private static final Pattern GRAFANA_FUNCTION = Pattern.compile(
            "^\\s*(label_names|metrics|query_result|label_values)\\s*\\(");
    private static final Pattern GRAFANA_VARIABLE = Pattern.compile(
            "\\$\\{[^}]*}|\\$[A-Za-z_][A-Za-z0-9_]*|\\[\\[[^]]*]]");
    private static final Pattern STRING = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'|`[^`]*`");
    private static final Pattern MATCHERS = Pattern.compile("\\{[^}]*}");
    private static final Pattern BRACKETS = Pattern.compile("\\[[^]]*]");
    private static final Pattern GROUPING = Pattern.compile(
            "(?i)\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
    private static final Pattern IDENTIFIER = Pattern.compile("(?<![A-Za-z0-9_:.])[A-Za-z_:][A-Za-z0-9_:]*");
    private static final Set<String> KEYWORDS = Set.of("by", "without", "on", "ignoring", "group_left",
            "group_right", "bool", "and", "or", "unless", "offset", "inf", "nan", "atan2");

    private PromQl() {
    }

    /**
     * The metric names {@code expr} selects, sorted.
     *
     * @throws IllegalArgumentException for a Grafana template query this parser does not understand
     */
    public static Set<String> metricNames(String expr) {
        String e = expr;
        Matcher lv = LABEL_VALUES.matcher(e);
        if (lv.matches()) {
            e = lv.group(1) == null ? "" : lv.group(1);
        } else if (GRAFANA_FUNCTION.matcher(e).find()) {
            throw new IllegalArgumentException("unsupported Grafana template query: " + expr);
        }
        e = GRAFANA_VARIABLE.matcher(e).replaceAll(" ");
        e = STRING.matcher(e).replaceAll(" ");
        e = MATCHERS.matcher(e).replaceAll(" ");
        e = BRACKETS.matcher(e).replaceAll(" ");
        e = GROUPING.matcher(e).replaceAll(" ");
        Set<String> names = new TreeSet<>();
        Matcher m = IDENTIFIER.matcher(e);
        while (m.find()) {
            String id = m.group();
            int after = m.end();
            while (after < e.length() && Character.isWhitespace(e.charAt(after))) {
                after++;
            }
            boolean call = after < e.length() && e.charAt(after) == '(';
            if (!call && !KEYWORDS.contains(id.toLowerCase(Locale.ROOT))) {
                names.add(id);
            }
        }
        return names;
    }
}
