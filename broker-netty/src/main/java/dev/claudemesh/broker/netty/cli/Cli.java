package dev.claudemesh.broker.netty.cli;

import dev.claudemesh.broker.netty.BrokerConfig;
import dev.claudemesh.broker.netty.BrokerServer;
import dev.claudemesh.broker.netty.config.BuildInfo;
import dev.claudemesh.broker.netty.config.ConfigException;
import dev.claudemesh.broker.netty.config.ServerFlags;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.UnmatchedArgumentException;

import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The jar's command line, built on picocli (a well-kept parser: per-command {@code --help}, {@code --version},
 * {@code help}, suggestions for a mistyped flag or command):
 * <pre>
 *   java -jar claudemesh-broker.jar [serve] [--port N] [--status-ttl-seconds S] …   the broker (the default)
 *   java -jar claudemesh-broker.jar keygen | mesh create | member add | member role | member revoke | member unban
 *                                   | audit verify | invite create | invite revoke | backup FILE | restore FILE
 *                                   | help [command] | --version | --help
 * </pre>
 * The server's flags are made from the settings' descriptors ({@link ServerFlags}) and override their environment
 * variables. Exit codes: {@link #OK} 0, {@link #FAILED} 1 (the operation or the broker failed; a supervisor may
 * retry), {@link #USAGE} 2 (bad command line or configuration; retrying cannot help).
 *
 * <p>Called on the main thread; {@code serve} blocks until the broker stops.</p>
 */
public final class Cli {

    /** Exit code: done. */
    public static final int OK = 0;
    /** Exit code: failed (not found, duplicate, database error, broken audit chain, broker startup failure). */
    public static final int FAILED = 1;
    /** Exit code: bad command line or configuration. */
    public static final int USAGE = 2;

    static final String JAR = "java -jar claudemesh-broker.jar";

    /** Runs a configured broker until it stops; returns the process's exit code. */
    @FunctionalInterface
    public interface Server {
        int serve(BrokerConfig config);
    }

    private Cli() {
    }

    /**
     * Runs the command line {@code args}.
     *
     * @param env    the environment (the broker's settings, the admin commands' database)
     * @param server what {@code serve} runs
     * @return the exit code
     */
    public static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err, Server server) {
        CliContext ctx = new CliContext(env, out, err, server);
        CommandLine cl = commandLine(ctx);
        cl.setOut(new PrintWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), true));
        cl.setErr(new PrintWriter(new OutputStreamWriter(err, StandardCharsets.UTF_8), true));
        int code = cl.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    /**
     * Runs the command line {@code args} where no broker may be started (tools, tests): {@code serve} answers with a
     * usage error.
     */
    public static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
        return run(args, env, out, err, config -> {
            err.println("error: serve is not available here");
            return USAGE;
        });
    }

    /** The command tree. */
    static CommandLine commandLine(CliContext ctx) {
        CommandLine root = new CommandLine(new Root(ctx));
        ServerFlags.addTo(root.getCommandSpec());
        CommandLine serve = new CommandLine(new Serve(ctx));
        ServerFlags.addTo(serve.getCommandSpec());
        root.addSubcommand("serve", serve);
        root.addSubcommand("keygen", new CommandLine(new AdminCommands.Keygen(ctx)));
        root.addSubcommand("mesh", group("mesh", "Meshes: create one (with its owner keys), list them, delete one.")
                .addSubcommand("create", new AdminCommands.MeshCreate(ctx))
                .addSubcommand("list", new ListCommands.MeshList(ctx))
                .addSubcommand("delete", new ListCommands.MeshDelete(ctx)));
        root.addSubcommand("member", group("member",
                "Members: add one by its public key, list them, set its role, revoke (ban) one, lift a ban.")
                .addSubcommand("add", new AdminCommands.MemberAdd(ctx))
                .addSubcommand("list", new ListCommands.MemberList(ctx))
                .addSubcommand("role", new AdminCommands.MemberRoleSet(ctx))
                .addSubcommand("revoke", new AdminCommands.MemberRevoke(ctx))
                .addSubcommand("unban", new AdminCommands.MemberUnban(ctx)));
        root.addSubcommand("audit", group("audit", "The audit log: verify a mesh's hash chain.")
                .addSubcommand("verify", new AdminCommands.AuditVerify(ctx)));
        root.addSubcommand("invite", group("invite", "Invite links: create one, list them, revoke one.")
                .addSubcommand("create", new InviteCommands.Create(ctx))
                .addSubcommand("list", new ListCommands.InviteList(ctx))
                .addSubcommand("revoke", new InviteCommands.Revoke(ctx)));
        root.addSubcommand("backup", new CommandLine(new BackupCommands.Backup(ctx)));
        root.addSubcommand("restore", new CommandLine(new BackupCommands.Restore(ctx)));
        root.addSubcommand("help", new CommandLine.HelpCommand());
        // the commands first: the server options are a long list
        List<String> sections = new ArrayList<>(root.getHelpSectionKeys());
        List<String> commands = List.of(CommandLine.Model.UsageMessageSpec.SECTION_KEY_COMMAND_LIST_HEADING,
                CommandLine.Model.UsageMessageSpec.SECTION_KEY_COMMAND_LIST);
        sections.removeAll(commands);
        sections.addAll(sections.indexOf(CommandLine.Model.UsageMessageSpec.SECTION_KEY_OPTION_LIST_HEADING), commands);
        root.setHelpSectionKeys(sections);
        root.setParameterExceptionHandler(Cli::usageError);
        root.setExecutionStrategy(Cli::execute);
        root.setExecutionExceptionHandler((e, cmd, parsed) -> {
            // a bug, not an operator's mistake: one line, exit 1
            cmd.getErr().println("error: " + e);
            return FAILED;
        });
        return root;
    }

    private static final String JAR_NAME = "claudemesh-broker";
    /** picocli's HelpCommand message for {@code help <unknown>}. */
    private static final Pattern UNKNOWN_SUBCOMMAND =
            Pattern.compile("Unknown subcommand '(.*)'\\.");

    private static CommandLine group(String name, String description) {
        CommandLine group = new CommandLine(new Group(name));
        group.getCommandSpec().usageMessage().description(description);
        return group;
    }

    /** Server flags belong to {@code serve}: refuse them before another command rather than ignore them. */
    private static int execute(ParseResult parsed) {
        if (parsed.hasSubcommand() && !"serve".equals(parsed.subcommand().commandSpec().name())
                && !parsed.matchedOptions().isEmpty()) {
            ParseResult last = parsed;
            while (last.hasSubcommand()) {
                last = last.subcommand();
            }
            throw new ParameterException(last.commandSpec().commandLine(), "server option "
                    + parsed.matchedOptions().get(0).longestName() + " goes with serve, not with '"
                    + commandName(last.commandSpec()) + "'");
        }
        return new CommandLine.RunLast().execute(parsed);
    }

    /** {@code mesh create} for the spec of {@code claudemesh-broker mesh create}. */
    private static String commandName(CommandSpec spec) {
        return spec.qualifiedName(" ").replaceFirst("^" + JAR_NAME + " ?", "");
    }

    /**
     * A bad command line: one line saying what is wrong ({@code configuration error:} for the server's flags, as
     * for a bad variable), a suggestion when picocli has one, and where the help is. Exit 2.
     */
    private static int usageError(ParameterException e, String[] args) {
        CommandLine cmd = e.getCommandLine();
        CommandSpec spec = cmd.getCommandSpec();
        PrintWriter err = cmd.getErr();
        boolean server = spec.parent() == null || "serve".equals(spec.name());
        String message = e.getMessage();
        if (e instanceof UnmatchedArgumentException u && !u.getUnmatched().isEmpty()) {
            String first = u.getUnmatched().get(0);
            if (first.startsWith("-")) {
                String option = first.contains("=") ? first.substring(0, first.indexOf('=')) : first;
                message = "unknown option '" + option + "'"
                        + Suggestions.hint(option, spec.optionsMap().keySet(), u.getSuggestions());
            } else if (!spec.subcommands().isEmpty()) {
                server = false;
                String prefix = spec.parent() == null ? "" : commandName(spec) + " ";
                message = "unknown command '" + prefix + first + "'"
                        + Suggestions.hint(first, spec.subcommands().keySet(), List.of())
                        + " (commands: " + String.join(", ", spec.subcommands().keySet()) + ")";
            } else {
                message = "unexpected argument '" + first + "'";
            }
        }
        Matcher unknownHelp = UNKNOWN_SUBCOMMAND.matcher(String.valueOf(message));
        if (unknownHelp.matches()) { // "help frobnicate"
            server = false;
            message = "unknown command '" + unknownHelp.group(1) + "'"
                    + Suggestions.hint(unknownHelp.group(1), spec.subcommands().keySet(), List.of())
                    + " (commands: " + String.join(", ", spec.subcommands().keySet()) + ")";
        }
        err.println((server ? "configuration error: " : "error: ") + message);
        String name = commandName(spec);
        err.println("see: " + JAR + (name.isEmpty() ? "" : " " + name) + " --help");
        return USAGE;
    }

    /** Prints the jar's version and the commit it was built from. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {JAR_NAME + " " + BrokerServer.VERSION + " (commit " + BuildInfo.gitSha() + ")"};
        }
    }

    /** The server: configured by the environment and the flags, run by {@link CliContext#server()}. */
    static int serve(CliContext ctx, CommandSpec spec) {
        BrokerConfig config;
        try {
            config = BrokerConfig.load(ctx.env(), ServerFlags.valuesOf(spec.commandLine().getParseResult()));
        } catch (ConfigException e) {
            ctx.err().println("configuration error: " + e.getMessage());
            return USAGE;
        }
        return ctx.server().serve(config);
    }

    @Command(name = JAR_NAME, mixinStandardHelpOptions = true, versionProvider = Version.class,
            description = {"The claudemesh broker. Without a command it runs the broker (as 'serve' does): every "
                    + "option below is also an environment variable, and a flag overrides its variable.",
                    "Exit codes: 0 done, 1 failed (a supervisor may retry), 2 bad usage or configuration."},
            customSynopsis = {JAR + " [serve] [--option=value ...]", "       " + JAR + " COMMAND [--help]"},
            commandListHeading = "%nCommands:%n", optionListHeading = "%nServer options:%n",
            sortOptions = false)
    static final class Root implements Callable<Integer> {
        private final CliContext ctx;
        @CommandLine.Spec
        CommandSpec spec;

        Root(CliContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public Integer call() {
            return serve(ctx, spec);
        }
    }

    @Command(name = "serve", sortOptions = false, optionListHeading = "%nOptions:%n",
            customSynopsis = JAR + " serve [--option=value ...]",
            description = "Runs the broker (the default command). Every option is also an environment variable; a "
                    + "flag overrides its variable.")
    static final class Serve implements Callable<Integer> {
        private final CliContext ctx;
        @CommandLine.Spec
        CommandSpec spec;
        @CommandLine.Mixin
        HelpOption help;

        Serve(CliContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public Integer call() {
            return serve(ctx, spec);
        }
    }

    /** {@code mesh}, {@code member}, … without their second word: an error naming the choices. */
    @Command(commandListHeading = "%nCommands:%n", optionListHeading = "%nOptions:%n")
    static final class Group implements Callable<Integer> {
        private final String name;
        @CommandLine.Spec
        CommandSpec spec;
        @CommandLine.Mixin
        HelpOption help;

        Group(String name) {
            this.name = name;
        }


        @Override
        public Integer call() {
            throw new ParameterException(spec.commandLine(), "'" + name + "' needs a command: "
                    + String.join(", ", spec.subcommands().keySet()));
        }
    }
}
