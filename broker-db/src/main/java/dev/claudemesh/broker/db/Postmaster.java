package dev.claudemesh.broker.db;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The PostgreSQL server process of a cluster directory, as its {@code postmaster.pid} describes it (line 1 the
 * process id, line 2 the data directory, line 4 the port), and the two things the broker does with it besides
 * starting it:
 * <ul>
 *   <li>{@link #stopOrphan}: at start, under the data directory's lock, a server still running on the cluster belongs
 *       to a broker that died without stopping it ({@code kill -9}, OOM killer): it is stopped cleanly (SIGINT, a fast
 *       shutdown; SIGQUIT if it does not stop in time) before the new one starts;</li>
 *   <li>{@link #watchdog}: on Unix a small {@code sh} child of the broker waits on a pipe from the broker; the
 *       operating system closes that pipe when the broker dies, however it dies, and the watchdog then sends the
 *       server SIGINT, so the server does not outlive its broker by more than its own shutdown.</li>
 * </ul>
 * Stateless; blocking. Signals are sent with the shell's {@code kill} where there is a shell (POSIX), with
 * {@link ProcessHandle#destroy()} elsewhere.
 */
final class Postmaster {

    private static final Logger log = LoggerFactory.getLogger(Postmaster.class);

    static final String PID_FILE = "postmaster.pid";
    private static final boolean POSIX_SHELL = Files.isExecutable(Path.of("/bin/sh"));

    /** How long a clean (fast) shutdown may take before the server is told to stop at once. */
    static final Duration FAST_SHUTDOWN_WAIT = Duration.ofSeconds(30);
    /** How long an immediate shutdown may take before the start gives up. */
    static final Duration IMMEDIATE_SHUTDOWN_WAIT = Duration.ofSeconds(10);

    /**
     * The content of a {@code postmaster.pid}.
     *
     * @param pid     the server's process id
     * @param dataDir the data directory it names
     * @param port    the TCP port, or -1 when the line is missing
     */
    record PidFile(long pid, Path dataDir, int port) {
    }

    private Postmaster() {
    }

    /** Reads {@code <cluster>/postmaster.pid}; empty when there is none (the server is not running). */
    static Optional<PidFile> read(Path cluster) {
        List<String> lines;
        try {
            lines = Files.readAllLines(cluster.resolve(PID_FILE), StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + cluster.resolve(PID_FILE), e);
        }
        if (lines.size() < 2) {
            return Optional.empty(); // being written by a starting server, or truncated by a crash
        }
        try {
            long pid = Long.parseLong(lines.get(0).strip());
            int port = lines.size() >= 4 && !lines.get(3).isBlank() ? Integer.parseInt(lines.get(3).strip()) : -1;
            return Optional.of(new PidFile(pid, Path.of(lines.get(1).strip()), port));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /**
     * Stops a server left running on {@code cluster} by a broker that is gone. Call it only while holding the data
     * directory's {@link DataDirectoryLock}: then no live broker owns the cluster, and a running server on it is an
     * orphan. A {@code postmaster.pid} whose process is gone is left for PostgreSQL, which recognises a stale file
     * itself; one whose process id now belongs to an unrelated process (reused after a reboot) is removed.
     *
     * @return true when an orphan was found and stopped
     * @throws IllegalStateException when the process cannot be identified or does not stop in time
     */
    static boolean stopOrphan(Path cluster) {
        Optional<PidFile> file = read(cluster);
        if (file.isEmpty()) {
            return false;
        }
        PidFile pf = file.get();
        Optional<ProcessHandle> handle = ProcessHandle.of(pf.pid());
        if (handle.isEmpty() || !handle.get().isAlive()) {
            return false;
        }
        ProcessHandle ph = handle.get();
        Identity identity = identify(ph, cluster, pf);
        if (identity == Identity.OTHER) {
            log.warn("{} names pid {}, which is now another program; removing the stale file",
                    cluster.resolve(PID_FILE), pf.pid());
            try {
                Files.deleteIfExists(cluster.resolve(PID_FILE));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot remove stale " + cluster.resolve(PID_FILE), e);
            }
            return false;
        }
        if (identity == Identity.UNKNOWN) {
            throw new IllegalStateException("BROKER_DATA_DIR: " + cluster.resolve(PID_FILE) + " names pid "
                    + pf.pid() + ", which is running but cannot be identified as PostgreSQL; if no PostgreSQL runs on "
                    + cluster + ", delete that file");
        }
        log.warn("embedded PostgreSQL (pid {}, port {}) is still running on {} although no broker owns it (the "
                + "previous broker died without stopping it): stopping it", pf.pid(), pf.port(), cluster);
        long t0 = System.nanoTime();
        signal(ph, "INT"); // fast shutdown: ends sessions, checkpoints, removes postmaster.pid
        if (!awaitExit(ph, FAST_SHUTDOWN_WAIT)) {
            log.warn("PostgreSQL pid {} did not stop within {} s; immediate shutdown", pf.pid(),
                    FAST_SHUTDOWN_WAIT.toSeconds());
            signal(ph, "QUIT"); // immediate: the next start recovers from the WAL
            if (!awaitExit(ph, IMMEDIATE_SHUTDOWN_WAIT)) {
                throw new IllegalStateException("BROKER_DATA_DIR: the PostgreSQL left running on " + cluster
                        + " (pid " + pf.pid() + ") does not stop; stop it by hand (kill " + pf.pid() + ")");
            }
        }
        log.info("stopped the orphaned PostgreSQL (pid {}) in {} ms", pf.pid(), (System.nanoTime() - t0) / 1_000_000);
        return true;
    }

    /**
     * Starts the watchdog of the server {@code pid} on {@code cluster}, or returns null where there is no POSIX
     * shell. Destroy the returned process before stopping the server normally.
     */
    static Process watchdog(Path cluster, long pid) {
        if (!POSIX_SHELL) {
            return null;
        }
        // `read` returns when the broker closes the pipe, i.e. when it dies (or destroys this process first, on a
        // normal stop). The pid must still be the one in postmaster.pid: never signal a reused process id.
        String script = "read _ignored; read -r p < \"$1/" + PID_FILE + "\" && [ \"$p\" = \"$2\" ] && kill -INT \"$2\"";
        ProcessBuilder pb = new ProcessBuilder("/bin/sh", "-c", script, "claudemesh-pg-watchdog",
                cluster.toString(), Long.toString(pid))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD);
        try {
            return pb.start(); // stdin stays a pipe whose write end only this JVM holds
        } catch (IOException e) {
            log.warn("no watchdog for the embedded PostgreSQL (pid {}): {}", pid, e.toString());
            return null;
        }
    }

    /** Stops a watchdog without letting it signal the server. */
    static void stopWatchdog(Process watchdog) {
        if (watchdog == null) {
            return;
        }
        watchdog.destroy(); // SIGTERM ends sh inside `read`, before it reaches `kill`
        try {
            if (!watchdog.waitFor(5, TimeUnit.SECONDS)) {
                watchdog.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            watchdog.destroyForcibly();
        }
    }

    private enum Identity { POSTGRES_OF_CLUSTER, OTHER, UNKNOWN }

    private static Identity identify(ProcessHandle ph, Path cluster, PidFile pf) {
        ProcessHandle.Info info = ph.info();
        Optional<String> command = info.command();
        if (command.isEmpty()) {
            return Identity.UNKNOWN;
        }
        String name = Path.of(command.get()).getFileName().toString();
        if (!name.equals("postgres") && !name.equals("postgres.exe")) {
            return Identity.OTHER;
        }
        Optional<String[]> args = info.arguments();
        if (args.isPresent() && args.get().length > 0) {
            String wanted = cluster.toString();
            for (String a : args.get()) {
                if (a.equals(wanted) || a.equals(pf.dataDir().toString())) {
                    return Identity.POSTGRES_OF_CLUSTER;
                }
            }
            return Identity.OTHER; // a PostgreSQL, but of another cluster
        }
        return Identity.POSTGRES_OF_CLUSTER; // the file names our cluster and the process is a postgres
    }

    private static void signal(ProcessHandle ph, String signal) {
        if (POSIX_SHELL) {
            try {
                Process kill = new ProcessBuilder("/bin/sh", "-c", "kill -" + signal + " \"$1\"", "kill",
                        Long.toString(ph.pid())).redirectErrorStream(true).start();
                kill.getInputStream().readAllBytes();
                if (kill.waitFor(10, TimeUnit.SECONDS) && kill.exitValue() == 0) {
                    return;
                }
            } catch (IOException e) {
                log.warn("kill -{} {} failed: {}", signal, ph.pid(), e.toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        ph.destroy();
    }

    private static boolean awaitExit(ProcessHandle ph, Duration wait) {
        try {
            ph.onExit().get(wait.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            return !ph.isAlive();
        } catch (ExecutionException e) {
            return !ph.isAlive();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !ph.isAlive();
        }
    }
}
