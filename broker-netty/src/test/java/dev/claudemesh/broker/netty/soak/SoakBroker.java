package dev.claudemesh.broker.netty.soak;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The broker the soak drives: either a process it starts from the jar (and stops at the end) or one already running
 * ({@code --attach}). Reads what the checks need from outside, as an operator would: {@code /metrics}, the admin API,
 * {@code /proc/<pid>/fd} and {@code jcmd <pid> GC.run}.
 */
final class SoakBroker implements AutoCloseable {

    final String baseUrl;
    final int port;
    final String adminToken;
    final long pid;
    final long graceMs;
    private final Process process;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private SoakBroker(String baseUrl, int port, String adminToken, long pid, long graceMs, Process process) {
        this.baseUrl = baseUrl;
        this.port = port;
        this.adminToken = adminToken;
        this.pid = pid;
        this.graceMs = graceMs;
        this.process = process;
    }

    /**
     * Starts {@code java -jar jar} with the given extra environment and waits for {@code /health}. A free port can be
     * taken between choosing it and binding it (a client socket's ephemeral port): then it tries another, three times.
     */
    static SoakBroker launch(Path jar, String heap, Map<String, String> extraEnv, long graceMs, Path workDir)
            throws Exception {
        for (int attempt = 1; ; attempt++) {
            try {
                return launchOnce(jar, heap, extraEnv, graceMs, workDir);
            } catch (IllegalStateException e) {
                String log = Files.readString(workDir.resolve("broker.log"));
                if (attempt >= 3 || !log.contains("Address already in use")) {
                    throw e;
                }
            }
        }
    }

    private static SoakBroker launchOnce(Path jar, String heap, Map<String, String> extraEnv, long graceMs,
                                              Path workDir) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        String token = "soak-" + Long.toHexString(System.nanoTime());
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx" + heap, "-jar", jar.toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("BROKER_") || k.equals("DATABASE_URL"));
        env.put("BROKER_PORT", String.valueOf(port));
        env.put("BROKER_BIND", "127.0.0.1");
        env.put("BROKER_ADMIN_TOKEN", token);
        env.put("BROKER_DATA_DIR", workDir.resolve("data").toString());
        env.put("BROKER_GRACE_MS", String.valueOf(graceMs));
        env.put("SEND_RATE_LIMIT_PER_MIN", "0");
        env.putAll(extraEnv);
        pb.redirectErrorStream(true).redirectOutput(workDir.resolve("broker.log").toFile());
        Process p = pb.start();
        SoakBroker b = new SoakBroker("http://127.0.0.1:" + port, port, token, p.pid(), graceMs, p);
        long deadline = System.currentTimeMillis() + 180_000;
        while (true) {
            if (!p.isAlive()) {
                throw new IllegalStateException("broker exited with " + p.exitValue() + "; see "
                        + workDir.resolve("broker.log"));
            }
            try {
                if (b.get("/health").statusCode() == 200) {
                    return b;
                }
            } catch (IOException e) {
                // not listening yet
            }
            if (System.currentTimeMillis() > deadline) {
                throw new IllegalStateException("broker not healthy after 180 s; see " + workDir.resolve("broker.log"));
            }
            Thread.sleep(250);
        }
    }

    /** A broker that is already running (its pid is needed for the fd and heap checks). */
    static SoakBroker attach(String baseUrl, String adminToken, long pid, long graceMs) {
        int port = URI.create(baseUrl).getPort();
        return new SoakBroker(baseUrl, port, adminToken, pid, graceMs, null);
    }

    HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return send("GET", path, null);
    }

    HttpResponse<String> send(String method, String path, String body) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body))
                .header("Authorization", "Bearer " + adminToken);
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The value of an unlabelled (or exactly labelled) series of {@code /metrics}, or -1. */
    double metric(String seriesWithLabels) throws IOException, InterruptedException {
        String body = get("/metrics").body();
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(seriesWithLabels) + " ([0-9.eE+-]+)$").matcher(body);
        return m.find() ? Double.parseDouble(m.group(1)) : -1;
    }

    /** Heap in use after a full GC ({@code jcmd GC.run}, then {@code jvm_memory_used_bytes{area="heap"}}). */
    long heapAfterGcBytes() throws Exception {
        Process gc = new ProcessBuilder("jcmd", String.valueOf(pid), "GC.run").redirectErrorStream(true).start();
        if (!gc.waitFor(60, TimeUnit.SECONDS)) {
            gc.destroyForcibly();
        }
        Thread.sleep(500);
        return (long) metric("jvm_memory_used_bytes{area=\"heap\"}");
    }

    /** Open file descriptors of the broker process ({@code /proc/<pid>/fd}). */
    long openFds() throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/proc", String.valueOf(pid), "fd"))) {
            return s.count();
        }
    }

    @Override
    public void close() {
        if (process == null) {
            return;
        }
        process.destroy(); // SIGTERM: the broker drains and exits 0
        try {
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
