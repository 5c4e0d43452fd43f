package dev.claudemesh.broker.bench.loadgen;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * CPU time of a process by thread group, read from {@code /proc/PID/task/TID/stat} (Linux): thread names with their
 * digits replaced by {@code N} ({@code broker-loop-3-1} → {@code broker-loop-N-N}, {@code C2 CompilerThread0} →
 * {@code C2 CompilerThreadN}), so that a storm's CPU can be split into event loops, the writer, the JIT compilers and
 * the GC. JVM-internal threads (compilers, GC) are included, which {@code ThreadMXBean} does not show. A thread that
 * ended between two readings is lost from the difference (its time is still in the process total). Stateless.
 */
final class ThreadCpu {

    private ThreadCpu() {
    }

    /** CPU seconds (user + system) by thread group of {@code pid} ("self" for this process); empty when unreadable. */
    static Map<String, Double> byGroup(String pid) {
        Map<String, Double> out = new TreeMap<>();
        try (var tasks = Files.list(Path.of("/proc", pid, "task"))) {
            for (Path t : (Iterable<Path>) tasks::iterator) {
                try {
                    String stat = Files.readString(t.resolve("stat"));
                    String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    double s = (Long.parseLong(f[11]) + Long.parseLong(f[12])) / BrokerProbe.CLOCK_TICKS;
                    out.merge(group(name), s, Double::sum);
                } catch (IOException | RuntimeException e) {
                    // the thread ended meanwhile
                }
            }
        } catch (IOException | RuntimeException e) {
            return Map.of();
        }
        return out;
    }

    /** The group of a thread name: every run of digits becomes {@code N}. */
    static String group(String threadName) {
        return threadName.replaceAll("[0-9]+", "N");
    }

    /**
     * {@code after - before} per group, groups that used no CPU left out, largest first; a group only in
     * {@code after} counts from zero.
     */
    static Map<String, Double> delta(Map<String, Double> before, Map<String, Double> after) {
        Map<String, Double> d = new TreeMap<>();
        after.forEach((k, v) -> {
            double x = v - before.getOrDefault(k, 0.0);
            if (x > 0.0005) {
                d.put(k, Math.round(x * 1000) / 1000.0);
            }
        });
        Map<String, Double> sorted = new LinkedHashMap<>();
        d.entrySet().stream().sorted(Map.Entry.<String, Double>comparingByValue().reversed())
                .forEach(e -> sorted.put(e.getKey(), e.getValue()));
        return sorted;
    }
}
