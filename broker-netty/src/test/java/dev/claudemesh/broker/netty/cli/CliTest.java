package dev.claudemesh.broker.netty.cli;

import dev.claudemesh.broker.core.crypto.Ed25519;
import dev.claudemesh.broker.core.crypto.Hex;
import dev.claudemesh.broker.core.model.GroupRole;
import dev.claudemesh.broker.db.DatabaseConfig;
import dev.claudemesh.broker.netty.BrokerConfig;
import dev.claudemesh.broker.netty.BrokerServer;
import dev.claudemesh.broker.netty.config.BuildInfo;
import dev.claudemesh.broker.netty.config.Setting;
import dev.claudemesh.broker.netty.config.Settings;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The jar's command line ({@link Cli}): what runs, what is printed where, and the exit code — everything decided
 * before a database is opened or a broker started (a recording server stands in for {@code serve}).
 */
class CliTest {

    private static final String MESH_ID = "M".repeat(32);
    private static final String KEY = "ab".repeat(32);

    private final ByteArrayOutputStream outBytes = new ByteArrayOutputStream();
    private final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
    private final List<BrokerConfig> served = new ArrayList<>();
    private Map<String, String> env = new HashMap<>();

    private int run(String... args) {
        outBytes.reset();
        errBytes.reset();
        return Cli.run(args, env, new PrintStream(outBytes, true, StandardCharsets.UTF_8),
                new PrintStream(errBytes, true, StandardCharsets.UTF_8), config -> {
                    served.add(config);
                    return 42;
                });
    }

    private String out() {
        return outBytes.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return errBytes.toString(StandardCharsets.UTF_8);
    }

    private String firstErrLine() {
        return err().lines().findFirst().orElse("");
    }

    @Test
    void shouldServeByDefaultWithFlagsOverridingTheEnvironment() {
        env.put("BROKER_PORT", "8000");
        env.put("STATUS_TTL_SECONDS", "90");
        assertThat(run()).isEqualTo(42);
        assertThat(run("--port", "9000")).isEqualTo(42);
        assertThat(run("serve", "--status-ttl-seconds=5")).isEqualTo(42);
        assertThat(served).extracting(BrokerConfig::port).containsExactly(8000, 9000, 8000);
        assertThat(served).extracting(BrokerConfig::statusTtlSeconds).containsExactly(90, 90, 5);
    }

    @Test
    void shouldOfferAFlagForEverySetting() {
        env.put("BROKER_PORT", "1");
        List<String> args = new ArrayList<>(List.of("serve"));
        for (Setting<?> s : Settings.ALL) {
            args.add(s.flag());
            args.add(s.defaultText() != null ? s.defaultText() : "");
        }
        assertThat(run(args.toArray(String[]::new))).as(err()).isEqualTo(42);
        assertThat(served.get(0).port()).isEqualTo(7900); // the flag (the default's text) beat BROKER_PORT=1
    }

    @Test
    void shouldExitTwoWithOneLineOnABadValueAndNotServe() {
        env.put("BROKER_PORT", "abc");
        assertThat(run()).isEqualTo(Cli.USAGE);
        assertThat(err()).isEqualTo("configuration error: BROKER_PORT: 'abc' is not an integer (expected: 0..65535)"
                + System.lineSeparator());
        env.clear();
        assertThat(run("serve", "--port", "seventy")).isEqualTo(Cli.USAGE);
        assertThat(firstErrLine()).isEqualTo(
                "configuration error: BROKER_PORT: 'seventy' is not an integer (expected: 0..65535)");
        assertThat(served).isEmpty();
    }

    @Test
    void shouldPrintTheVersionWithTheCommit() {
        assertThat(run("--version")).isZero();
        assertThat(out()).isEqualTo("claudemesh-broker " + BrokerServer.VERSION + " (commit " + BuildInfo.gitSha()
                + ")" + System.lineSeparator());
        assertThat(served).isEmpty();
    }

    @Test
    void shouldPrintHelpForEveryCommand() {
        assertThat(run("--help")).isZero();
        assertThat(out()).startsWith("Usage: java -jar claudemesh-broker.jar [serve]")
                .contains("serve", "keygen", "mesh", "member", "audit", "invite", "backup", "restore", "help");
        for (Setting<?> s : Settings.ALL) {
            assertThat(out()).contains(s.flag()).contains(s.env());
        }
        for (String[] command : new String[][] {{"serve"}, {"keygen"}, {"mesh"}, {"mesh", "create"}, {"member"},
                {"member", "add"}, {"member", "role"}, {"member", "revoke"}, {"member", "unban"}, {"audit", "verify"},
                {"invite", "create"}, {"mesh", "list"}, {"mesh", "delete"}, {"member", "list"}, {"invite", "list"},
                {"invite", "revoke"}, {"backup"}, {"restore"}}) {
            List<String> args = new ArrayList<>(List.of(command));
            args.add("--help");
            assertThat(run(args.toArray(String[]::new))).as(String.join(" ", args)).isZero();
            assertThat(out()).as(String.join(" ", args)).startsWith("Usage: ");
            assertThat(run("help", String.join(" ", command).split(" ")[0])).isZero();
            assertThat(out()).startsWith("Usage: ");
        }
        assertThat(run("help", "member")).isZero();
        assertThat(out()).contains("add").contains("list").contains("role").contains("revoke").contains("unban");
        assertThat(served).isEmpty();
    }

    @Test
    void shouldNameAnUnknownCommand() {
        assertThat(run("frobnicate")).isEqualTo(Cli.USAGE);
        assertThat(firstErrLine()).isEqualTo("error: unknown command 'frobnicate' "
                + "(commands: serve, keygen, mesh, member, audit, invite, backup, restore, help)");
        assertThat(err()).contains("see: java -jar claudemesh-broker.jar --help");
        assertThat(run("mesh", "crate", "--name", "x")).isEqualTo(Cli.USAGE);
        assertThat(firstErrLine()).isEqualTo("error: unknown command 'mesh crate' (did you mean create?) "
                + "(commands: create, list, delete)");
        assertThat(run("help", "mesj")).isEqualTo(Cli.USAGE);
        assertThat(firstErrLine()).isEqualTo("error: unknown command 'mesj' (did you mean mesh?) "
                + "(commands: serve, keygen, mesh, member, audit, invite, backup, restore, help)");
        assertThat(run("member")).isEqualTo(Cli.USAGE);
        assertThat(firstErrLine()).isEqualTo("error: 'member' needs a command: add, list, role, revoke, unban");
        assertThat(served).isEmpty();
    }

    @Test
    void shouldNameAnUnknownFlagAndSuggestTheNearestOne() {
        assertThat(run("--prot", "1")).isEqualTo(Cli.USAGE);
        assertThat(firstErrLine()).isEqualTo("configuration error: unknown option '--prot' (did you mean --port?)");
        assertThat(run("serve", "--status-ttl=5")).isEqualTo(Cli.USAGE);
        assertThat(firstErrLine()).startsWith("configuration error: unknown option '--status-ttl' (did you mean "
                + "--status-ttl-seconds");
        assertThat(err()).contains("see: java -jar claudemesh-broker.jar serve --help");
        assertThat(run("mesh", "create", "--name", "conf", "--slug", "conf", "--color", "red"))
                .isEqualTo(Cli.USAGE);
        assertThat(firstErrLine()).isEqualTo("error: unknown option '--color'");
        assertThat(err()).contains("see: java -jar claudemesh-broker.jar mesh create --help");
        assertThat(run("--port", "1", "mesh", "create", "--name", "a", "--slug", "b")).isEqualTo(Cli.USAGE);
        assertThat(firstErrLine()).isEqualTo("error: server option --port goes with serve, not with 'mesh create'");
        assertThat(served).isEmpty();
    }

    @Test
    void shouldRequireFlagsAndRefuseRepeatedOnes() {
        assertThat(run("mesh", "create", "--name", "conf")).isEqualTo(Cli.USAGE);
        assertThat(firstErrLine()).isEqualTo("error: Missing required option: '--slug=<slug>'");
        assertThat(run("audit", "verify", "--mesh", MESH_ID, "--mesh", MESH_ID)).isEqualTo(Cli.USAGE);
        assertThat(firstErrLine()).isEqualTo("error: option '--mesh' (<meshId>) should be specified only once");
        assertThat(run("audit", "verify", "--mesh")).isEqualTo(Cli.USAGE);
        assertThat(firstErrLine()).isEqualTo("error: Missing required parameter for option '--mesh' (<meshId>)");
        assertThat(run("audit", "verify", MESH_ID)).isEqualTo(Cli.USAGE);
        assertThat(firstErrLine()).isEqualTo("error: Missing required option: '--mesh=<meshId>'");
        assertThat(run("audit", "verify", "--mesh", MESH_ID, "extra")).isEqualTo(Cli.USAGE);
        assertThat(firstErrLine()).isEqualTo("error: unexpected argument 'extra'");
    }

    @Test
    void shouldValidateValuesBeforeOpeningTheDatabase() {
        // an unreachable database: a value that slipped through would fail with exit 1, not 2
        env.put("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none");
        assertThat(run("mesh", "create", "--name", "conf", "--slug=Conf Room")).isEqualTo(Cli.USAGE);
        assertThat(firstErrLine()).isEqualTo("error: --slug: 'Conf Room' (expected: 1-64 characters of a-z, 0-9 "
                + "and '-', starting with a letter or digit)");
        assertThat(run("mesh", "create", "--name", " ", "--slug=conf")).isEqualTo(Cli.USAGE);
        assertThat(firstErrLine()).isEqualTo("error: --name: blank (expected: the mesh's display name)");
        assertThat(run("member", "add", "--mesh", MESH_ID, "--pubkey", "xyz", "--name", "alice"))
                .isEqualTo(Cli.USAGE);
        assertThat(firstErrLine()).isEqualTo("error: --pubkey: expected 64 hex chars (the member's ed25519 public key)");
        assertThat(run("member", "add", "--mesh", "nope", "--pubkey", KEY, "--name", "alice"))
                .isEqualTo(Cli.USAGE);
        assertThat(firstErrLine()).isEqualTo("error: --mesh: 'nope' (expected: a 32-character mesh id)");
        assertThat(run("member", "add", "--mesh", MESH_ID, "--pubkey", KEY, "--name", "a", "--groups", "be:"))
                .isEqualTo(Cli.USAGE);
        assertThat(firstErrLine()).isEqualTo("error: --groups: 'be:' (expected: name[:role],… e.g. be:lead,fe)");
        assertThat(run("member", "revoke", "--mesh", MESH_ID, "--member", "x")).isEqualTo(Cli.USAGE);
        assertThat(firstErrLine()).isEqualTo("error: --member: 'x' (expected: a 32-character member id)");
        assertThat(run("member", "add", "--mesh", MESH_ID, "--pubkey", KEY, "--name", "a", "--role", "owner"))
                .isEqualTo(Cli.USAGE);
        assertThat(firstErrLine()).isEqualTo("error: --role: 'owner' (expected: member or admin)");
        assertThat(run("member", "role", "--mesh", MESH_ID, "--member", MESH_ID, "--role", "root"))
                .isEqualTo(Cli.USAGE);
        assertThat(firstErrLine()).isEqualTo("error: --role: 'root' (expected: member or admin)");
        assertThat(run("member", "role", "--mesh", MESH_ID, "--member", MESH_ID)).isEqualTo(Cli.USAGE);
        assertThat(firstErrLine()).isEqualTo("error: Missing required option: '--role=<role>'");
        assertThat(run("member", "unban", "--mesh", MESH_ID, "--member", "y")).isEqualTo(Cli.USAGE);
        assertThat(firstErrLine()).isEqualTo("error: --member: 'y' (expected: a 32-character member id)");
        assertThat(run("mesh", "delete", "--mesh", MESH_ID)).isEqualTo(Cli.USAGE);
        assertThat(firstErrLine()).isEqualTo("error: mesh delete removes the mesh and all its data for good: add --yes "
                + "to confirm");
        assertThat(run("mesh", "delete", "--mesh", "short", "--yes")).isEqualTo(Cli.USAGE);
        assertThat(firstErrLine()).isEqualTo("error: --mesh: 'short' (expected: a 32-character mesh id)");
        assertThat(run("member", "list", "--mesh", "x")).isEqualTo(Cli.USAGE);
        assertThat(firstErrLine()).isEqualTo("error: --mesh: 'x' (expected: a 32-character mesh id)");
        assertThat(run("invite", "list")).isEqualTo(Cli.USAGE);
        assertThat(firstErrLine()).isEqualTo("error: Missing required option: '--mesh=<meshId>'");
        assertThat(run("mesh", "create", "--name", "a", "--slug", "b", "--database-url", "mysql://root@db/x"))
                .isEqualTo(Cli.USAGE);
        assertThat(firstErrLine()).isEqualTo("error: broker configuration: DATABASE_URL: unsupported scheme 'mysql' "
                + "(expected: postgres://, postgresql:// or jdbc:postgresql://)");
        assertThat(out()).isEmpty();
    }

    @Test
    void shouldFailWithExitOneWhenTheDatabaseCannotBeOpened() {
        env.put("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none");
        assertThat(run("mesh", "create", "--name", "conf", "--slug", "conf")).isEqualTo(Cli.FAILED);
        assertThat(firstErrLine()).startsWith("error: cannot open the database: ");
        assertThat(out()).isEmpty();
    }

    @Test
    void shouldParseGroupSpecs() {
        assertThat(AdminCommands.parseGroups(null)).isEmpty();
        assertThat(AdminCommands.parseGroups("be:lead, fe ,ops/sre:oncall"))
                .containsExactly(new GroupRole("be", "lead"), new GroupRole("fe", null),
                        new GroupRole("ops/sre", "oncall"));
        assertThatThrownBy(() -> AdminCommands.parseGroups("be,,fe")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldLetFlagsOverrideTheDatabaseEnvironment() {
        CliContext ctx = new CliContext(Map.of("BROKER_DATA_DIR", "/var/lib/broker"), System.out, System.err,
                config -> 0);
        AdminCommands.MeshCreate fromEnv = new AdminCommands.MeshCreate(ctx);
        DatabaseConfig embedded = fromEnv.databaseConfig();
        assertThat(embedded.embedded()).isTrue();
        assertThat(embedded.dataDir()).isEqualTo(Path.of("/var/lib/broker"));

        AdminCommands.MeshCreate flagged = new AdminCommands.MeshCreate(new CliContext(
                Map.of("DATABASE_URL", "postgres://u:p@h:5432/a"), System.out, System.err, config -> 0));
        flagged.databaseUrl = "postgres://u:p@h:5432/b";
        flagged.dataDir = "/tmp/d";
        assertThat(flagged.databaseConfig().databaseUrl()).isEqualTo("postgres://u:p@h:5432/b");
        assertThat(flagged.databaseConfig().dataDir()).isEqualTo(Path.of("/tmp/d"));
    }

    @Test
    void shouldPrintAKeyPairWhoseSecretGivesItsPublicKey() {
        assertThat(run("keygen")).isZero();
        String json = out().strip();
        assertThat(json).matches("\\{\"publicKey\":\"[0-9a-f]{64}\",\"secretKey\":\"[0-9a-f]{128}\"}");
        String publicKey = json.substring(14, 78);
        String secretKey = json.substring(json.indexOf("secretKey") + 12, json.length() - 2);
        assertThat(Ed25519.fromSeed(Hex.decode(secretKey.substring(0, 64))).publicKeyHex()).isEqualTo(publicKey);
        assertThat(secretKey.substring(64)).isEqualTo(publicKey);
    }
}
