package dev.claudemesh.broker.bench.loadgen;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Reads the broker's resource use: RSS ({@code /proc/PID/status} VmRSS) and CPU time ({@code /proc/PID/stat}
 * utime + stime) when a pid was given, heap in use from {@code /metrics} ({@code jvm_memory_used_bytes{area="heap"}}),
 * and forces a full GC with {@code jcmd PID GC.run} before heap readings when it can. Also reads the generator's
 * own CPU time, and both processes' CPU by thread group ({@link ThreadCpu}). Blocking; called from the run's main thread only.
 */
final class BrokerProbe {

    /** Linux clock ticks per second (USER_HZ), the unit of /proc/PID/stat times. */
    static final double CLOCK_TICKS = 100.0;

    /** One reading; absent values are NaN / -1. */
    record Sample(long atNanos, double brokerCpuS, long brokerRssBytes, double selfCpuS, double dbCpuS,
                  Map<String, Double> brokerThreads, Map<String, Double> selfThreads) {
    }

    private final long pid;
    private final long dbPid;
    private final URI metricsUrl;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    BrokerProbe(long pid, long dbPid, URI metricsUrl) {
        this.pid = pid;
        this.dbPid = dbPid;
        this.metricsUrl = metricsUrl;
    }

    boolean hasPid() {
        return pid > 0;
    }

    Sample sample() {
        return new Sample(System.nanoTime(), pid > 0 ? cpuSeconds(Long.toString(pid)) : Double.NaN,
                pid > 0 ? rssBytes(pid) : -1, cpuSeconds("self"), dbPid > 0 ? treeCpuSeconds(dbPid) : Double.NaN,
                pid > 0 ? ThreadCpu.byGroup(Long.toString(pid)) : Map.of(), ThreadCpu.byGroup("self"));
    }

    /** CPU time of {@code root} and its direct children (a postmaster and its backends). */
    static double treeCpuSeconds(long root) {
        double total = cpuSeconds(Long.toString(root));
        try (var procs = Files.list(Path.of("/proc"))) {
            for (Path p : (Iterable<Path>) procs::iterator) {
                String name = p.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit)) {
                    continue;
                }
                try {
                    String stat = Files.readString(p.resolve("stat"));
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    if (Long.parseLong(f[1]) == root) {
                        total += (Long.parseLong(f[11]) + Long.parseLong(f[12])) / CLOCK_TICKS;
                    }
                } catch (IOException | RuntimeException e) {
                    // the process ended meanwhile
                }
            }
        } catch (IOException e) {
            return Double.NaN;
        }
        return total;
    }

    static double cpuSeconds(String pid) {
        try {
            String stat = Files.readString(Path.of("/proc", pid, "stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / CLOCK_TICKS;
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    static long rssBytes(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // fall through
        }
        return -1;
    }

    /** Heap in use according to the broker's /metrics, in bytes; -1 when unavailable. */
    long heapUsedBytes() {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(metricsUrl).timeout(Duration.ofSeconds(10))
                    .GET().build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                return -1;
            }
            for (String line : r.body().split("\n")) {
                if (line.startsWith("jvm_memory_used_bytes{area=\"heap\"}")) {
                    return (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1).trim());
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return -1;
    }

    /** Asks the broker JVM for a full GC (jcmd); true when it ran. Needs the pid. */
    boolean gc() {
        if (pid <= 0) {
            return false;
        }
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        String cmd = Files.isExecutable(jcmd) ? jcmd.toString() : "jcmd";
        try {
            Process p = new ProcessBuilder(cmd, Long.toString(pid), "GC.run").redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** A full GC (when possible), a short pause, then the heap in use. */
    long heapAfterGc() throws InterruptedException {
        gc();
        Thread.sleep(500);
        gc();
        Thread.sleep(500);
        return heapUsedBytes();
    }
}
