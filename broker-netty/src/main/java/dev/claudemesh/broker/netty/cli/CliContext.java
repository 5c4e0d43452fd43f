package dev.claudemesh.broker.netty.cli;

import dev.claudemesh.broker.netty.config.Setting;

import java.io.PrintStream;
import java.util.Map;
import java.util.Objects;

/**
 * What every command reads and writes: the environment (the broker's settings), stdout for results, stderr for
 * messages, and the server to run for {@code serve}. Immutable.
 *
 * @param env    the process environment (or a test's)
 * @param out    results: one JSON object, or an invite link
 * @param err    errors and notes
 * @param server runs a configured broker until it stops; returns the exit code
 */
record CliContext(Map<String, String> env, PrintStream out, PrintStream err, Cli.Server server) {
    CliContext {
        Objects.requireNonNull(env, "env");
        Objects.requireNonNull(out, "out");
        Objects.requireNonNull(err, "err");
        Objects.requireNonNull(server, "server");
    }

    /**
     * One of the broker's settings as the environment gives it (the same variable, default and validation as the
     * broker's), e.g. the encryption key for {@code mesh create}.
     *
     * @throws dev.claudemesh.broker.netty.config.ConfigException when the value is not acceptable
     */
    <T> T setting(Setting<T> setting) {
        return setting.parse(env.get(setting.env()));
    }
}
