package dev.claudemesh.broker.netty.it;

import dev.claudemesh.broker.netty.config.Setting;
import dev.claudemesh.broker.netty.config.Settings;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The broker as an operator runs it: a separate JVM started from the shaded jar
 * ({@code target/claudemesh-broker.jar}, built in the {@code package} phase, before failsafe runs), or, when the
 * jar is absent (a run from an IDE), from this JVM's class path with {@code dev.claudemesh.broker.netty.Main}.
 * The environment is this JVM's minus every broker variable, plus {@code env}.
 */
final class BrokerProcess implements AutoCloseable {

    private static final Pattern LISTENING = Pattern.compile("listening on [^ ]+:(\\d+) ");

    /** Variables a developer's shell might carry into the child and that would change what the test runs. */
    private static final Set<String> PROTOCOL_VARIABLES = Settings.ALL.stream().map(Setting::env)
            .collect(Collectors.toUnmodifiableSet());

    private final Process process;
    private final Path stdoutFile;
    private final Path stderrFile;

    private BrokerProcess(Process process, Path stdoutFile, Path stderrFile) {
        this.process = process;
        this.stdoutFile = stdoutFile;
        this.stderrFile = stderrFile;
    }

    /** The command that starts the broker with {@code args}. */
    static List<String> command(List<String> args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        // small and quick: this JVM shares two cores with the test JVM and its PostgreSQL
        cmd.add("-Xmx256m");
        cmd.add("-XX:+UseSerialGC");
        cmd.add("-XX:TieredStopAtLevel=1");
        Path jar = jar();
        if (Files.isRegularFile(jar)) {
            cmd.add("-jar");
            cmd.add(jar.toString());
        } else {
            cmd.add("-cp");
            cmd.add(System.getProperty("java.class.path"));
            cmd.add("dev.claudemesh.broker.netty.Main");
        }
        cmd.addAll(args);
        return cmd;
    }

    /** The shaded jar of this module. */
    static Path jar() {
        String base = System.getProperty("basedir", System.getProperty("user.dir"));
        return Path.of(base, "target", "claudemesh-broker.jar");
    }

    /**
     * Starts the broker. Its output goes to files under {@code target/broker-process-*} (kept for a look after a
     * failure) rather than pipes, so nothing the process wrote just before exiting can be lost in a drain race.
     */
    static BrokerProcess start(Map<String, String> env, List<String> args) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command(args));
        Map<String, String> childEnv = pb.environment();
        childEnv.keySet().removeIf(k -> (k.startsWith("BROKER_") && !k.startsWith("BROKER_TEST_"))
                || PROTOCOL_VARIABLES.contains(k));
        // with the class-path fallback the test logback config applies; the port is read from an INFO line
        childEnv.put("BROKER_TEST_LOG_LEVEL", "INFO");
        childEnv.putAll(env);
        Path target = jar().getParent();
        Files.createDirectories(target);
        Path dir = Files.createTempDirectory(target, "broker-process-");
        Path out = dir.resolve("stdout.log");
        Path err = dir.resolve("stderr.log");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile());
        return new BrokerProcess(pb.start(), out, err);
    }

    private static List<String> lines(Path file) {
        try {
            return Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Waits for a stdout line matching {@code p}; fails with the output so far on timeout or exit. */
    Matcher awaitStdout(Pattern p, long timeoutMs) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (true) {
            boolean exited = !process.isAlive();
            for (String line : lines(stdoutFile)) {
                Matcher m = p.matcher(line);
                if (m.find()) {
                    return m;
                }
            }
            if (exited || System.currentTimeMillis() > deadline) {
                throw new AssertionError("no stdout line matching " + p + " (exited=" + exited + ")\nstdout:\n"
                        + stdoutText() + "\nstderr:\n" + stderrText());
            }
            Thread.sleep(100);
        }
    }

    /** Waits until the broker listens and returns its port. */
    int awaitPort(long timeoutMs) throws InterruptedException {
        return Integer.parseInt(awaitStdout(LISTENING, timeoutMs).group(1));
    }

    /** The broker's process id. */
    long pid() {
        return process.pid();
    }

    /** SIGTERM ({@link Process#destroy()} on Linux). */
    void sigterm() {
        process.destroy();
    }

    /** Waits for the exit; returns the code, or fails (and kills the process) past {@code timeoutMs}. */
    int awaitExit(long timeoutMs) throws InterruptedException {
        if (!process.waitFor(timeoutMs, TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("broker still running after " + timeoutMs + " ms\nstdout:\n" + stdoutText()
                    + "\nstderr:\n" + stderrText());
        }
        return process.exitValue();
    }

    String stdoutText() {
        return String.join("\n", lines(stdoutFile));
    }

    String stderrText() {
        return String.join("\n", lines(stderrFile));
    }

    List<String> stderrLines() {
        return lines(stderrFile);
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new UncheckedIOException(new IOException("interrupted while killing the broker", e));
            }
        }
    }
}
