package dev.claudemesh.broker.netty.monitoring;

import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The metric families of one scrape in the Prometheus text format: each family's name and type from its
 * {@code # TYPE} line, and the sample names that appeared. {@link #exports} says whether a name used in PromQL
 * selects samples of this scrape, the way Prometheus stores them: a counter or gauge by its family name (a counter
 * also by its name plus {@code _total}, which text format 0.0.4 and OpenMetrics write differently), a histogram only
 * through {@code _bucket}, {@code _sum} and {@code _count}, a summary through its quantiles (its own name),
 * {@code _sum} and {@code _count}. So a suffix is stripped only where the family's type has that series.
 */
public final class Exposition {

    private static final Pattern TYPE = Pattern.compile("^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (\\w+)\\s*$");
    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[^}]*})?\\s+\\S+");

    private final Map<String, String> typeByFamily;
    private final Set<String> sampleNames;

    private Exposition(Map<String, String> typeByFamily, Set<String> sampleNames) {
        this.typeByFamily = typeByFamily;
        this.sampleNames = sampleNames;
    }

    /** Parses one scrape's text. */
    public static Exposition parse(String text) {
        Map<String, String> types = new TreeMap<>();
        Set<String> samples = new TreeSet<>();
        for (String line : text.split("\n")) {
            Matcher t = TYPE.matcher(line);
            if (t.matches()) {
                types.put(t.group(1), t.group(2));
                continue;
            }
            Matcher s = SAMPLE.matcher(line);
            if (!line.startsWith("#") && s.find()) {
                samples.add(s.group(1));
            }
        }
        return new Exposition(types, samples);
    }

    /** Family name → type ({@code counter}, {@code gauge}, {@code histogram}, {@code summary}, …). */
    public Map<String, String> families() {
        return typeByFamily;
    }

    /** The sample names of the scrape (with their suffixes). */
    public Set<String> sampleNames() {
        return sampleNames;
    }

    /** True when {@code name}, as PromQL selects it, has samples in this scrape. */
    public boolean exports(String name) {
        return family(name).isPresent();
    }

    /** The family {@code name} belongs to, if it has samples in this scrape. */
    public Optional<String> family(String name) {
        String type = typeByFamily.get(name);
        if (type != null && !type.equals("histogram") && sampleNames.contains(name)) {
            return Optional.of(name); // a counter, gauge, untyped or info family, or a summary's quantiles
        }
        if (name.endsWith("_total") && sampleNames.contains(name)
                && "counter".equals(typeByFamily.get(strip(name, "_total")))) {
            return Optional.of(strip(name, "_total"));
        }
        for (String suffix : new String[] {"_bucket", "_sum", "_count"}) {
            String base = strip(name, suffix);
            String baseType = base == null ? null : typeByFamily.get(base);
            if (baseType == null || !sampleNames.contains(name)) {
                continue;
            }
            if (baseType.equals("histogram") || (!suffix.equals("_bucket") && baseType.equals("summary"))) {
                return Optional.of(base);
            }
        }
        return Optional.empty();
    }

    private static String strip(String name, String suffix) {
        return name.endsWith(suffix) && name.length() > suffix.length()
                ? name.substring(0, name.length() - suffix.length()) : null;
    }
}
