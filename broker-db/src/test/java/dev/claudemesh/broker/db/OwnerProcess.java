package dev.claudemesh.broker.db;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import java.io.IOException;
import java.io.UncheckedIOException;
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

    static OwnerProcess start(String mode, Path home) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx128m", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                OwnerProcess.class.getName(), mode, home.toString()));
        Path log = Files.createTempFile("owner-process", ".log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < deadline) {
            for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
                if (line.startsWith("ready ")) {
                    return new OwnerProcess(p, Long.parseLong(line.substring(6).strip()));
                }
            }
            if (!p.isAlive() && !mode.startsWith("die")) {
                break;
            }
            Thread.sleep(50); // polling a log file: there is no event to wait on
        }
        p.destroyForcibly();
        throw new AssertionError("owner process (" + mode + ") did not get ready:\n" + Files.readString(log));
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
