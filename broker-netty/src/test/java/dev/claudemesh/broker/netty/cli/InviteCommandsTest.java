package dev.claudemesh.broker.netty.cli;

import dev.claudemesh.broker.core.Ids;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The {@code invite} subcommands' command-line validation, which needs no database. */
class InviteCommandsTest {

    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(Map<String, String> env, String... args) {
        return AdminCli.run(args, env, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void shouldRefuseBadFlagsWithUsageExitCode() {
        String mesh = Ids.newId();
        assertThat(run(Map.of(), "invite", "create")).isEqualTo(AdminCli.USAGE);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("'invite create' needs --mesh");
        assertThat(run(Map.of(), "invite", "create", "--mesh", "short")).isEqualTo(AdminCli.USAGE);
        assertThat(run(Map.of(), "invite", "create", "--mesh", mesh, "--max-uses", "0")).isEqualTo(AdminCli.USAGE);
        assertThat(run(Map.of(), "invite", "create", "--mesh", mesh, "--max-uses", "x")).isEqualTo(AdminCli.USAGE);
        assertThat(run(Map.of(), "invite", "create", "--mesh", mesh, "--expires-in", "2w")).isEqualTo(AdminCli.USAGE);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("--expires-in: '2w'");
        assertThat(run(Map.of(), "invite", "create", "--mesh", mesh, "--role", "owner")).isEqualTo(AdminCli.USAGE);
        assertThat(run(Map.of(), "invite", "create", "--mesh", mesh, "--uses", "3")).isEqualTo(AdminCli.USAGE);
        assertThat(run(Map.of("BROKER_ENCRYPTION_KEY", "nothex"), "invite", "create", "--mesh", mesh))
                .isEqualTo(AdminCli.USAGE);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("BROKER_ENCRYPTION_KEY");
        assertThat(run(Map.of(), "invite", "revoke", "--mesh", mesh)).isEqualTo(AdminCli.USAGE);
        assertThat(run(Map.of(), "invite", "revoke", "--mesh", mesh, "--invite", "nope")).isEqualTo(AdminCli.USAGE);
    }

    @Test
    void shouldListTheInviteCommandsInTheUsage() {
        assertThat(AdminCli.USAGE_TEXT).contains("invite create --mesh MESH_ID [--max-uses N]")
                .contains("invite revoke --mesh MESH_ID --invite INVITE_ID");
    }
}
