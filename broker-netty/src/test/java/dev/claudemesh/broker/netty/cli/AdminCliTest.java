package dev.claudemesh.broker.netty.cli;

import dev.claudemesh.broker.core.model.GroupRole;
import dev.claudemesh.broker.db.DatabaseConfig;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The command-line side of {@link AdminCli}: everything decided before the database is opened. */
class AdminCliTest {

    private static final String MESH_ID = "M".repeat(32);
    private static final String KEY = "ab".repeat(32);

    private final ByteArrayOutputStream outBytes = new ByteArrayOutputStream();
    private final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();

    private int run(String... args) {
        return AdminCli.run(args, Map.of(), new PrintStream(outBytes, true, StandardCharsets.UTF_8),
                new PrintStream(errBytes, true, StandardCharsets.UTF_8));
    }

    private String out() {
        return outBytes.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return errBytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void shouldPrintUsageAndExit2WithoutArguments() {
        assertThat(run()).isEqualTo(AdminCli.USAGE);
        assertThat(err()).contains("usage:").contains("mesh create").contains("audit verify");
        assertThat(out()).isEmpty();
    }

    @Test
    void shouldPrintHelpOnStdoutAndExit0() {
        assertThat(run("mesh", "--help")).isZero();
        assertThat(out()).contains("member add    --mesh MESH_ID --pubkey HEX64 --name NAME");
    }

    @Test
    void shouldRejectUnknownCommands() {
        assertThat(run("mesh", "delete", "--name", "x")).isEqualTo(AdminCli.USAGE);
        assertThat(err()).contains("error: unknown command: mesh delete");
        assertThat(run("member")).isEqualTo(AdminCli.USAGE);
    }

    @Test
    void shouldRequireFlagsAndRefuseUnknownOrRepeatedOnes() {
        assertThat(run("mesh", "create", "--name", "conf")).isEqualTo(AdminCli.USAGE);
        assertThat(err()).contains("'mesh create' needs --slug");
        assertThat(run("mesh", "create", "--name", "conf", "--slug", "conf", "--color", "red"))
                .isEqualTo(AdminCli.USAGE);
        assertThat(err()).contains("unknown option --color for 'mesh create'");
        assertThat(run("audit", "verify", "--mesh", MESH_ID, "--mesh", MESH_ID)).isEqualTo(AdminCli.USAGE);
        assertThat(err()).contains("--mesh given twice");
        assertThat(run("audit", "verify", "--mesh")).isEqualTo(AdminCli.USAGE);
        assertThat(err()).contains("--mesh: missing value");
        assertThat(run("audit", "verify", MESH_ID)).isEqualTo(AdminCli.USAGE);
    }

    @Test
    void shouldValidateValuesBeforeOpeningTheDatabase() {
        assertThat(run("mesh", "create", "--name", "conf", "--slug=Conf Room")).isEqualTo(AdminCli.USAGE);
        assertThat(err()).contains("--slug: 'Conf Room'");
        assertThat(run("member", "add", "--mesh", MESH_ID, "--pubkey", "xyz", "--name", "alice"))
                .isEqualTo(AdminCli.USAGE);
        assertThat(err()).contains("--pubkey: expected 64 hex chars");
        assertThat(run("member", "add", "--mesh", "nope", "--pubkey", KEY, "--name", "alice"))
                .isEqualTo(AdminCli.USAGE);
        assertThat(err()).contains("--mesh: 'nope' (expected: a 32-character mesh id)");
        assertThat(run("member", "add", "--mesh", MESH_ID, "--pubkey", KEY, "--name", "a", "--groups", "be:"))
                .isEqualTo(AdminCli.USAGE);
        assertThat(err()).contains("--groups: 'be:'");
        assertThat(run("member", "revoke", "--mesh", MESH_ID, "--member", "x")).isEqualTo(AdminCli.USAGE);
        assertThat(err()).contains("--member: 'x'");
        assertThat(out()).isEmpty();
    }

    @Test
    void shouldParseGroupSpecs() throws Exception {
        assertThat(AdminCli.parseGroups(null)).isEmpty();
        assertThat(AdminCli.parseGroups("be:lead, fe ,ops/sre:oncall"))
                .containsExactly(new GroupRole("be", "lead"), new GroupRole("fe", null),
                        new GroupRole("ops/sre", "oncall"));
        assertThatThrownBy(() -> AdminCli.parseGroups("be,,fe")).isInstanceOf(AdminCli.UsageException.class);
    }

    @Test
    void shouldLetFlagsOverrideTheDatabaseEnvironment() {
        DatabaseConfig fromEnv = AdminCli.databaseConfig(Map.of("BROKER_DATA_DIR", "/var/lib/broker"), Map.of());
        assertThat(fromEnv.embedded()).isTrue();
        assertThat(fromEnv.dataDir()).isEqualTo(Path.of("/var/lib/broker"));
        DatabaseConfig flagged = AdminCli.databaseConfig(Map.of("DATABASE_URL", "postgres://u:p@h:5432/a"),
                Map.of("database-url", "postgres://u:p@h:5432/b", "data-dir", "/tmp/d"));
        assertThat(flagged.databaseUrl()).isEqualTo("postgres://u:p@h:5432/b");
        assertThat(flagged.dataDir()).isEqualTo(Path.of("/tmp/d"));
    }
}
