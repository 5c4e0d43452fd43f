package dev.claudemesh.broker.db;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Another process that owns a data directory, for the tests that need one: a separate JVM started from this JVM's
 * class path. {@link #main} modes:
 * <ul>
 *   <li>{@code hold}: starts an {@link EmbeddedDatabase} and keeps it until its standard input closes;</li>
 *   <li>{@code die}: starts an {@link EmbeddedDatabase} and halts at once, as after {@code kill -9} (no close, no
 *       hooks): its watchdog is left to stop the server;</li>
 *   <li>{@code die-without-watchdog}: takes the directory's lock, starts a server with plain zonky and halts: what a
 *       dead broker without a watchdog (an earlier version, a platform without a shell) leaves behind.</li>
 * </ul>
 * Each prints {@code ready <server pid>} once the server runs.
 */
final class OwnerProcess implements AutoCloseable {

    private final Process process;
    private final long serverPid;

    private OwnerProcess(Process process, long serverPid) {
        this.process = process;
        this.serverPid = serverPid;
    }

    static OwnerProcess start(String mode, Path home) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx128m", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                OwnerProcess.class.getName(), mode, home.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        StringBuilder seen = new StringBuilder();
        // blocks until the line or the end of its output; the test's @Timeout bounds a child that hangs
        for (String line = out.readLine(); line != null; line = out.readLine()) {
            if (line.startsWith("ready ")) {
                Thread drain = new Thread(() -> {
                    try {
                        out.transferTo(Writer.nullWriter());
                    } catch (IOException e) {
                        // the child ended
                    }
                }, "owner-process-drain");
                drain.setDaemon(true);
                drain.start();
                return new OwnerProcess(p, Long.parseLong(line.substring(6).strip()));
            }
            seen.append(line).append('\n');
        }
        p.destroyForcibly();
        throw new AssertionError("owner process (" + mode + ") ended before it was ready:\n" + seen);
    }

    long pid() {
        return process.pid();
    }

    long serverPid() {
        return serverPid;
    }

    Process process() {
        return process;
    }

    /** Closes its standard input: a {@code hold} owner stops its server and exits. */
    @Override
    public void close() throws IOException {
        process.getOutputStream().close();
        try {
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        Path home = Path.of(args[1]);
        switch (mode) {
            case "hold" -> {
                try (EmbeddedDatabase db = EmbeddedDatabase.start(home, 0)) {
                    System.out.println("ready " + db.serverPid());
                    System.out.flush();
                    System.in.readAllBytes();
                }
            }
            case "die" -> {
                EmbeddedDatabase db = EmbeddedDatabase.start(home, 0);
                System.out.println("ready " + db.serverPid());
                System.out.flush();
                Runtime.getRuntime().halt(137);
            }
            case "die-without-watchdog" -> {
                Files.createDirectories(home);
                DataDirectoryLock.acquire(home);
                EmbeddedPostgres.builder().setDataDirectory(home.resolve(EmbeddedDatabase.CLUSTER_DIR))
                        .setCleanDataDirectory(false).setRegisterShutdownHook(false).start();
                System.out.println("ready " + Postmaster.read(home.resolve(EmbeddedDatabase.CLUSTER_DIR))
                        .orElseThrow().pid());
                System.out.flush();
                Runtime.getRuntime().halt(137);
            }
            default -> throw new UncheckedIOException(new IOException("mode: " + mode));
        }
    }
}
