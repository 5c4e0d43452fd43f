package dev.claudemesh.broker.bench.loadgen;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The outcome of one run: counts, rates, latency percentiles and broker resource use, printed as a table and written
 * as JSON. {@code sent}, {@code acked}, {@code pushed}, rates and latencies cover the measured window only (messages
 * whose intended send time falls in it); {@code lost}, {@code duplicates}, {@code redeliveries} and {@code errors}
 * cover every message of the run, warmup included. Absent measurements are NaN (JSON null). Mutable while it is
 * filled in, on one thread.
 */
final class Report {

    /** Percentiles in milliseconds. */
    record Latency(double p50, double p99, double p999, double max, long count) {
        static Latency of(Histogram microsHistogram) {
            if (microsHistogram.getTotalCount() == 0) {
                return new Latency(Double.NaN, Double.NaN, Double.NaN, Double.NaN, 0);
            }
            return new Latency(ms(microsHistogram.getValueAtPercentile(50)),
                    ms(microsHistogram.getValueAtPercentile(99)), ms(microsHistogram.getValueAtPercentile(99.9)),
                    ms(microsHistogram.getMaxValue()), microsHistogram.getTotalCount());
        }

        private static double ms(long micros) {
            return micros / 1000.0;
        }
    }

    String scenario;
    int peers;
    int meshes;
    int sizeBytes;
    int ciphertextChars;
    String mode;
    double targetRate = Double.NaN;
    int window;
    String transport;
    /** {@code json} or {@code binary} ({@code --protocol}). */
    String protocol;
    String jvm;

    long sent;
    long acked;
    long pushed;
    long errors;
    long failedAcks;
    long unacked;
    long lost;
    long duplicates;
    long redeliveries;
    long notSent;
    long systemPushes;
    long foreignFrames;
    double durationS;
    double sentPerSec = Double.NaN;
    double ackedPerSec = Double.NaN;
    double pushedPerSec = Double.NaN;
    double framesPerSec = Double.NaN;
    Latency pushLatencyMs;
    Latency ackLatencyMs;

    // connect-storm / idle
    long hellosOk;
    long helloFailures;
    double hellosPerSec = Double.NaN;
    /** connect-storm: discarded warm-up storms run before the measured one ({@code --storm-warmups}). */
    int stormWarmups;
    Latency helloLatencyMs;
    double heapBeforeMb = Double.NaN;
    double heapAfterMb = Double.NaN;
    double heapPerPeerBytes = Double.NaN;
    double rssBeforeMb = Double.NaN;
    double rssPerPeerBytes = Double.NaN;
    boolean gcForced;

    double brokerRssMb = Double.NaN;
    double brokerCpuS = Double.NaN;
    double brokerCpuPct = Double.NaN;
    double loadgenCpuS = Double.NaN;
    double dbCpuS = Double.NaN;
    /**
     * CPU per message in the window: per acked send ({@code dm}: per durable DM), per push for {@code relay}, per
     * verified hello for {@code connect-storm}.
     */
    double brokerCpuUsPerMsg = Double.NaN;
    double dbCpuUsPerMsg = Double.NaN;
    double loadgenCpuUsPerMsg = Double.NaN;
    /** CPU seconds in the window by thread group ({@link ThreadCpu}): loops, writer, JIT compilers, GC, … */
    Map<String, Double> brokerCpuByThreadS = Map.of();
    Map<String, Double> loadgenCpuByThreadS = Map.of();
    final Map<String, Long> errorSamples = new TreeMap<>();

    static Report base(Options o, Wire wire) {
        Report r = new Report();
        r.scenario = o.scenario().toString();
        r.peers = o.peers();
        r.meshes = o.scenario() == Options.Scenario.RELAY ? 1 : o.meshes();
        r.sizeBytes = o.sizeBytes();
        r.ciphertextChars = wire == null ? 0 : wire.ciphertextChars();
        r.mode = o.scenario().traffic() ? (o.openLoop() ? "open-loop" : "closed-loop") : "connect";
        r.targetRate = o.openLoop() ? o.ratePerSec() : Double.NaN;
        r.window = o.openLoop() || !o.scenario().traffic() ? 0 : o.window();
        r.jvm = System.getProperty("java.vm.version");
        r.protocol = o.protocol().toString().toLowerCase(java.util.Locale.ROOT);
        return r;
    }

    /** Fills broker CPU/RSS and generator CPU from two samples around the measured window. */
    void applyProbes(BrokerProbe.Sample before, BrokerProbe.Sample after) {
        double windowS = (after.atNanos() - before.atNanos()) / 1e9;
        brokerCpuS = after.brokerCpuS() - before.brokerCpuS();
        brokerCpuPct = windowS > 0 ? 100 * brokerCpuS / windowS : Double.NaN;
        brokerRssMb = after.brokerRssBytes() < 0 ? Double.NaN : after.brokerRssBytes() / 1048576.0;
        loadgenCpuS = after.selfCpuS() - before.selfCpuS();
        dbCpuS = after.dbCpuS() - before.dbCpuS();
        brokerCpuByThreadS = ThreadCpu.delta(before.brokerThreads(), after.brokerThreads());
        loadgenCpuByThreadS = ThreadCpu.delta(before.selfThreads(), after.selfThreads());
    }

    /** Divides the probed CPU seconds by {@code messages} (acked sends; pushes for relay); call after the probes. */
    void perMessage(long messages) {
        if (messages <= 0) {
            return;
        }
        brokerCpuUsPerMsg = brokerCpuS * 1e6 / messages;
        dbCpuUsPerMsg = dbCpuS * 1e6 / messages;
        loadgenCpuUsPerMsg = loadgenCpuS * 1e6 / messages;
    }

    // ------------------------------------------------------------------------------------------ output

    void printTable(PrintStream out) {
        out.printf(Locale.ROOT, "%n== loadgen %s: %d peers in %d mesh(es), %s%s ==%n", scenario, peers, meshes, mode,
                Double.isNaN(targetRate) ? (window > 0 ? ", window " + window : "")
                        : String.format(Locale.ROOT, ", target %.0f msg/s", targetRate));
        if (isTraffic()) {
            row(out, "payload", sizeBytes + " B ciphertext (" + ciphertextChars + " base64 chars)");
            row(out, "protocol", protocol);
            row(out, "measured window", fmt(durationS) + " s");
            row(out, "sent / acked / pushed", sent + " / " + acked + " / " + pushed);
            row(out, "errors / unacked / lost", errors + " / " + unacked + " / " + lost);
            row(out, "duplicates / redeliveries", duplicates + " / " + redeliveries);
            row(out, "not sent (client backlog)", Long.toString(notSent));
            row(out, "acked/s", fmt(ackedPerSec));
            row(out, "pushed/s", fmt(pushedPerSec));
            row(out, "frames/s", fmt(framesPerSec));
            row(out, "send->push ms p50/p99/p99.9/max", latency(pushLatencyMs));
            if (ackLatencyMs != null) {
                row(out, "send->ack  ms p50/p99/p99.9/max", latency(ackLatencyMs));
            }
        } else {
            row(out, "hellos ok / failed", hellosOk + " / " + helloFailures);
            row(out, "hellos/s", fmt(hellosPerSec) + (stormWarmups > 0 ? " (after " + stormWarmups
                    + " discarded warm-up storm(s))" : ""));
            row(out, "hello ms p50/p99/p99.9/max", latency(helloLatencyMs));
            if (!Double.isNaN(heapAfterMb)) {
                row(out, "broker heap before/after MB", fmt(heapBeforeMb) + " / " + fmt(heapAfterMb)
                        + (gcForced ? " (after full GC)" : " (no GC forced: give --broker-pid)"));
                row(out, "heap per peer", fmt(heapPerPeerBytes) + " B");
            }
            if (!Double.isNaN(rssPerPeerBytes)) {
                row(out, "RSS per peer", fmt(rssPerPeerBytes) + " B");
            }
        }
        row(out, "broker CPU s (% of one core)", fmt(brokerCpuS) + " (" + fmt(brokerCpuPct) + " %)");
        row(out, "broker RSS MB", fmt(brokerRssMb));
        row(out, "loadgen CPU s", fmt(loadgenCpuS));
        if (!Double.isNaN(dbCpuS)) {
            row(out, "PostgreSQL CPU s (all backends)", fmt(dbCpuS));
        }
        if (!Double.isNaN(brokerCpuUsPerMsg)) {
            row(out, isTraffic() ? "CPU us/msg broker/db/loadgen" : "CPU us/hello broker/db/loadgen",
                    fmt(brokerCpuUsPerMsg) + " / " + fmt(dbCpuUsPerMsg) + " / " + fmt(loadgenCpuUsPerMsg));
        }
        if (!brokerCpuByThreadS.isEmpty()) {
            row(out, "broker CPU s by thread", brokerCpuByThreadS.toString());
        }
        if (!loadgenCpuByThreadS.isEmpty()) {
            row(out, "loadgen CPU s by thread", loadgenCpuByThreadS.toString());
        }
        row(out, "client transport / jvm", transport + " / " + jvm);
        for (Map.Entry<String, Long> e : errorSamples.entrySet()) {
            row(out, "  error x" + e.getValue(), e.getKey());
        }
    }

    private boolean isTraffic() {
        return !"connect".equals(mode);
    }

    private static void row(PrintStream out, String k, String v) {
        out.printf(Locale.ROOT, "  %-34s %s%n", k, v);
    }

    private static String latency(Latency l) {
        if (l == null || l.count() == 0) {
            return "-";
        }
        return fmt(l.p50()) + " / " + fmt(l.p99()) + " / " + fmt(l.p999()) + " / " + fmt(l.max())
                + "  (n=" + l.count() + ")";
    }

    private static String fmt(double d) {
        if (Double.isNaN(d)) {
            return "-";
        }
        if (Math.abs(d) >= 100) {
            return String.format(Locale.ROOT, "%.0f", d);
        }
        return String.format(Locale.ROOT, "%.3f", d);
    }

    void writeJson(Path file) throws IOException {
        try (OutputStream os = Files.newOutputStream(file);
             JsonGenerator g = new JsonFactory().createGenerator(os, JsonEncoding.UTF8).useDefaultPrettyPrinter()) {
            g.writeStartObject();
            g.writeStringField("scenario", scenario);
            g.writeNumberField("peers", peers);
            g.writeNumberField("meshes", meshes);
            g.writeNumberField("sizeBytes", sizeBytes);
            g.writeStringField("mode", mode);
            num(g, "targetRate", targetRate);
            g.writeNumberField("window", window);
            g.writeNumberField("sent", sent);
            g.writeNumberField("acked", acked);
            g.writeNumberField("pushed", pushed);
            g.writeNumberField("errors", errors);
            g.writeNumberField("failedAcks", failedAcks);
            g.writeNumberField("unacked", unacked);
            g.writeNumberField("lost", lost);
            g.writeNumberField("duplicates", duplicates);
            g.writeNumberField("redeliveries", redeliveries);
            g.writeNumberField("notSent", notSent);
            num(g, "durationS", durationS);
            num(g, "sentPerSec", sentPerSec);
            num(g, "ackedPerSec", ackedPerSec);
            num(g, "pushedPerSec", pushedPerSec);
            num(g, "framesPerSec", framesPerSec);
            latency(g, "pushLatencyMs", pushLatencyMs);
            latency(g, "ackLatencyMs", ackLatencyMs);
            g.writeNumberField("hellosOk", hellosOk);
            g.writeNumberField("helloFailures", helloFailures);
            num(g, "hellosPerSec", hellosPerSec);
            g.writeNumberField("stormWarmups", stormWarmups);
            latency(g, "helloLatencyMs", helloLatencyMs);
            num(g, "heapBeforeMb", heapBeforeMb);
            num(g, "heapAfterMb", heapAfterMb);
            num(g, "heapPerPeerBytes", heapPerPeerBytes);
            g.writeBooleanField("gcForced", gcForced);
            num(g, "rssBeforeMb", rssBeforeMb);
            num(g, "rssPerPeerBytes", rssPerPeerBytes);
            num(g, "brokerRssMb", brokerRssMb);
            num(g, "brokerCpuS", brokerCpuS);
            num(g, "brokerCpuPct", brokerCpuPct);
            num(g, "loadgenCpuS", loadgenCpuS);
            num(g, "dbCpuS", dbCpuS);
            num(g, "brokerCpuUsPerMsg", brokerCpuUsPerMsg);
            num(g, "dbCpuUsPerMsg", dbCpuUsPerMsg);
            num(g, "loadgenCpuUsPerMsg", loadgenCpuUsPerMsg);
            threads(g, "brokerCpuByThreadS", brokerCpuByThreadS);
            threads(g, "loadgenCpuByThreadS", loadgenCpuByThreadS);
            g.writeNumberField("systemPushes", systemPushes);
            g.writeNumberField("foreignFrames", foreignFrames);
            g.writeStringField("transport", transport);
            g.writeStringField("protocol", protocol);
            g.writeStringField("jvm", jvm);
            g.writeObjectFieldStart("errorSamples");
            for (Map.Entry<String, Long> e : errorSamples.entrySet()) {
                g.writeNumberField(e.getKey(), e.getValue());
            }
            g.writeEndObject();
            g.writeEndObject();
        }
    }

    private static void num(JsonGenerator g, String name, double v) throws IOException {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            g.writeNullField(name);
        } else {
            g.writeNumberField(name, Math.round(v * 1000) / 1000.0);
        }
    }

    private static void threads(JsonGenerator g, String name, Map<String, Double> cpu) throws IOException {
        g.writeObjectFieldStart(name);
        for (Map.Entry<String, Double> e : cpu.entrySet()) {
            g.writeNumberField(e.getKey(), e.getValue());
        }
        g.writeEndObject();
    }

    private static void latency(JsonGenerator g, String name, Latency l) throws IOException {
        if (l == null) {
            g.writeNullField(name);
            return;
        }
        g.writeObjectFieldStart(name);
        num(g, "p50", l.p50());
        num(g, "p99", l.p99());
        num(g, "p999", l.p999());
        num(g, "max", l.max());
        g.writeNumberField("count", l.count());
        g.writeEndObject();
    }
}
