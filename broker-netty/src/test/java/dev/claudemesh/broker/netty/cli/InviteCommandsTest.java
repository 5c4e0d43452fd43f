package dev.claudemesh.broker.netty.cli;

import dev.claudemesh.broker.core.Ids;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The command-line side of the {@code invite} subcommands: refusals before the database is opened. */
class InviteCommandsTest {

    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(Map<String, String> env, String... args) {
        err.reset();
        return Cli.run(args, env, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String firstErrLine() {
        return err.toString(StandardCharsets.UTF_8).lines().findFirst().orElse("");
    }

    @Test
    void shouldRefuseBadFlagsWithUsageExitCode() {
        String mesh = Ids.newId();
        assertThat(run(Map.of(), "invite", "create")).isEqualTo(Cli.USAGE);
        assertThat(firstErrLine()).isEqualTo("error: Missing required option: '--mesh=<meshId>'");
        assertThat(run(Map.of(), "invite", "create", "--mesh", "short")).isEqualTo(Cli.USAGE);
        assertThat(firstErrLine()).isEqualTo("error: --mesh: 'short' (expected: a 32-character mesh id)");
        assertThat(run(Map.of(), "invite", "create", "--mesh", mesh, "--max-uses", "0")).isEqualTo(Cli.USAGE);
        assertThat(firstErrLine()).isEqualTo("error: --max-uses: '0' (expected: 1..1000000)");
        assertThat(run(Map.of(), "invite", "create", "--mesh", mesh, "--max-uses", "x")).isEqualTo(Cli.USAGE);
        assertThat(run(Map.of(), "invite", "create", "--mesh", mesh, "--expires-in", "2w")).isEqualTo(Cli.USAGE);
        assertThat(firstErrLine()).startsWith("error: --expires-in: '2w' (expected: a duration like 7d");
        assertThat(run(Map.of(), "invite", "create", "--mesh", mesh, "--expires-in", "367d")).isEqualTo(Cli.USAGE);
        assertThat(run(Map.of(), "invite", "create", "--mesh", mesh, "--role", "owner")).isEqualTo(Cli.USAGE);
        assertThat(firstErrLine()).isEqualTo("error: --role: 'owner' (expected: member or admin)");
        assertThat(run(Map.of(), "invite", "create", "--mesh", mesh, "--uses", "3")).isEqualTo(Cli.USAGE);
        assertThat(firstErrLine()).isEqualTo("error: unknown option '--uses'");
        assertThat(run(Map.of(), "invite", "create", "--mesh", mesh, "--max-usses", "3")).isEqualTo(Cli.USAGE);
        assertThat(firstErrLine()).isEqualTo("error: unknown option '--max-usses' (did you mean --max-uses?)");
        assertThat(run(Map.of("BROKER_ENCRYPTION_KEY", "nothex"), "invite", "create", "--mesh", mesh))
                .isEqualTo(Cli.USAGE);
        assertThat(firstErrLine()).isEqualTo(
                "error: broker configuration: BROKER_ENCRYPTION_KEY: must be 64 hex chars (32 bytes)");
        assertThat(run(Map.of("BROKER_PUBLIC_URL", "http://x"), "invite", "create", "--mesh", mesh))
                .isEqualTo(Cli.USAGE);
        assertThat(run(Map.of(), "invite", "revoke", "--mesh", mesh)).isEqualTo(Cli.USAGE);
        assertThat(run(Map.of(), "invite", "revoke", "--mesh", mesh, "--invite", "nope")).isEqualTo(Cli.USAGE);
        assertThat(firstErrLine()).isEqualTo("error: --invite: 'nope' (expected: a 32-character invite id)");
    }

    @Test
    void shouldReadDurations() {
        assertThat(InviteCommands.durationSecondsOf("7d")).isEqualTo(604_800);
        assertThat(InviteCommands.durationSecondsOf("12h")).isEqualTo(43_200);
        assertThat(InviteCommands.durationSecondsOf("30m")).isEqualTo(1_800);
        assertThat(InviteCommands.durationSecondsOf("3600s")).isEqualTo(3_600);
        assertThat(InviteCommands.durationSecondsOf(" 90 ")).isEqualTo(90);
        assertThat(InviteCommands.durationSecondsOf("2w")).isEqualTo(-1);
        assertThat(InviteCommands.durationSecondsOf("-5")).isEqualTo(-1);
    }
}
