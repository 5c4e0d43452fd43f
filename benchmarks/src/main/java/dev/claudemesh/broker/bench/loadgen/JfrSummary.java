package dev.claudemesh.broker.bench.loadgen;

import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code java -jar loadgen.jar jfr-summary FILE.jfr [TOP]}: where a broker's CPU went, from the
 * {@code jdk.ExecutionSample} events of a flight recording (e.g. {@code -XX:StartFlightRecording=settings=profile}
 * or {@code jcmd PID JFR.start}): samples per thread (numbers folded), per component (the first frame's library or
 * broker module), the top self frames, and the top inclusive broker methods. Plain text, for docs/BENCHMARKS.md.
 */
final class JfrSummary {

    /** Package prefixes, most specific first, mapped to the component they stand for. */
    private static final String[][] COMPONENTS = {
            {"dev.claudemesh.broker.core.", "broker-core"},
            {"dev.claudemesh.broker.db.", "broker-db"},
            {"dev.claudemesh.broker.netty.", "broker-netty"},
            {"org.jooq.", "jOOQ"},
            {"org.postgresql.", "PostgreSQL JDBC"},
            {"com.zaxxer.hikari.", "HikariCP"},
            {"org.bouncycastle.", "BouncyCastle (ed25519)"},
            {"com.fasterxml.jackson.", "jackson-core"},
            {"io.netty.handler.codec.http.websocketx.", "Netty WebSocket codec"},
            {"io.netty.channel.epoll.", "Netty epoll"},
            {"io.netty.", "Netty other"},
            {"ch.qos.logback.", "logging"},
            {"org.slf4j.", "logging"},
            {"io.prometheus.", "Prometheus"},
            {"com.github.benmanes.caffeine.", "Caffeine"},
            {"sun.nio.", "JDK I/O"},
            {"java.security.", "JDK security"},
            {"sun.security.", "JDK security"},
            {"java.", "JDK"},
            {"jdk.", "JDK"},
            {"sun.", "JDK"},
    };

    private JfrSummary() {
    }

    static void main(String[] args) throws IOException {
        if (args.length < 1) {
            throw new IllegalArgumentException("usage: jfr-summary FILE.jfr [TOP]");
        }
        summarize(Path.of(args[0]), args.length > 1 ? Integer.parseInt(args[1]) : 20, System.out);
    }

    static void summarize(Path file, int top, PrintStream out) throws IOException {
        Map<String, Integer> byThread = new HashMap<>();
        Map<String, Integer> byComponent = new HashMap<>();
        Map<String, Integer> self = new HashMap<>();
        Map<String, Integer> inclusiveBroker = new HashMap<>();
        int samples = 0;
        for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
            if (!e.getEventType().getName().equals("jdk.ExecutionSample")) {
                continue;
            }
            RecordedStackTrace st = e.getStackTrace();
            if (st == null || st.getFrames().isEmpty()) {
                continue;
            }
            samples++;
            String thread = e.getThread("sampledThread") == null ? "?" : e.getThread("sampledThread").getJavaName();
            byThread.merge(thread == null ? "?" : thread.replaceAll("\\d+", "N"), 1, Integer::sum);
            List<RecordedFrame> frames = st.getFrames();
            String first = name(frames.get(0));
            self.merge(first, 1, Integer::sum);
            byComponent.merge(component(frames), 1, Integer::sum);
            Set<String> seen = new HashSet<>();
            for (RecordedFrame f : frames) {
                String n = name(f);
                if (n.startsWith("dev.claudemesh.") && seen.add(n)) {
                    inclusiveBroker.merge(n, 1, Integer::sum);
                }
            }
        }
        out.printf(Locale.ROOT, "%d execution samples in %s%n", samples, file);
        print(out, "by thread", byThread, samples, top);
        print(out, "by component (first frame outside the JDK, else JDK)", byComponent, samples, top);
        print(out, "top self frames", self, samples, top);
        print(out, "top inclusive broker methods", inclusiveBroker, samples, top);
    }

    private static String name(RecordedFrame f) {
        String type = f.getMethod().getType().getName();
        int lambda = type.indexOf("$$Lambda");
        return (lambda < 0 ? type : type.substring(0, lambda) + "$$Lambda") + "." + f.getMethod().getName();
    }

    /** The component of the innermost non-JDK frame (JDK when every frame is the JDK's). */
    private static String component(List<RecordedFrame> frames) {
        for (RecordedFrame f : frames) {
            String c = componentOf(name(f));
            if (!c.startsWith("JDK")) {
                return c;
            }
        }
        return componentOf(name(frames.get(0)));
    }

    private static String componentOf(String method) {
        for (String[] c : COMPONENTS) {
            if (method.startsWith(c[0])) {
                return c[1];
            }
        }
        return "other";
    }

    private static void print(PrintStream out, String title, Map<String, Integer> counts, int total, int top) {
        out.printf(Locale.ROOT, "%n%s:%n", title);
        counts.entrySet().stream().sorted((a, b) -> b.getValue() - a.getValue()).limit(top)
                .forEach(e -> out.printf(Locale.ROOT, "  %5.1f%%  %s%n", 100.0 * e.getValue() / Math.max(1, total),
                        e.getKey()));
    }
}
