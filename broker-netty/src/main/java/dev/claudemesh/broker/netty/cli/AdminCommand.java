package dev.claudemesh.broker.netty.cli;

import dev.claudemesh.broker.db.Database;
import dev.claudemesh.broker.db.DatabaseConfig;
import dev.claudemesh.broker.db.store.ConflictException;
import dev.claudemesh.broker.db.store.DuplicateException;
import dev.claudemesh.broker.db.store.MembershipAdmin;
import dev.claudemesh.broker.db.store.MeshKeys;
import dev.claudemesh.broker.db.store.NotFoundException;
import dev.claudemesh.broker.netty.config.ConfigException;
import dev.claudemesh.broker.netty.config.Settings;
import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * An administration subcommand: checks its flags (everything that needs no database; a bad value is exit 2), opens
 * the database — {@code DATABASE_URL}, or the embedded PostgreSQL in {@code BROKER_DATA_DIR}, either overridden by
 * {@code --database-url} / {@code --data-dir} — and runs one operation of {@link MembershipAdmin} on it. Results go
 * to stdout as one JSON object (or a link), messages to stderr; the log moves to stderr so that
 * {@code … mesh create … | jq .id} works. Exit 1 when the operation fails (not found, duplicate, database error).
 *
 * <p>Runs on the main thread; blocking.</p>
 */
abstract class AdminCommand implements Callable<Integer> {

    final CliContext ctx;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    HelpOption help;

    @Option(names = "--database-url", paramLabel = "<url>",
            description = "PostgreSQL to work on (default: DATABASE_URL; unset: the embedded one in the data directory)")
    String databaseUrl;

    @Option(names = "--data-dir", paramLabel = "<dir>",
            description = "data directory of the embedded PostgreSQL (default: BROKER_DATA_DIR, else ./data); a "
                    + "running broker must not be using it at the same time")
    String dataDir;

    AdminCommand(CliContext ctx) {
        this.ctx = ctx;
    }

    /** Checks the flags' values; throws {@link #usage} for a bad one. Runs before the database is opened. */
    abstract void check();

    /** Runs the operation; returns the exit code. */
    abstract int run(MembershipAdmin admin, PrintStream out, PrintStream err);

    /** A bad flag value: exit 2 with {@code message}. */
    ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    @Override
    public final Integer call() {
        check();
        String encryptionKey;
        DatabaseConfig dbConfig;
        try {
            encryptionKey = ctx.setting(Settings.ENCRYPTION_KEY);
            dbConfig = databaseConfig();
        } catch (ConfigException e) {
            throw usage("broker configuration: " + e.getMessage());
        }
        CliLogging.toStderr(ctx.env());
        PrintStream err = ctx.err();
        Database db;
        try {
            db = Database.open(dbConfig);
        } catch (RuntimeException e) {
            err.println("error: cannot open the database: " + e.getMessage());
            if (dbConfig.embedded()) {
                err.println("(the embedded database in " + dbConfig.dataDir() + " cannot be shared with a running "
                        + "broker; stop it, or set DATABASE_URL to an external PostgreSQL)");
            }
            return Cli.FAILED;
        }
        try (db) {
            MembershipAdmin admin = new MembershipAdmin(db.dataSource(), encryptionKey, MembershipAdmin.VIA_CLI,
                    System::currentTimeMillis, MembershipAdmin.Listener.NONE);
            return run(admin, ctx.out(), err);
        } catch (NotFoundException | DuplicateException | ConflictException | IllegalArgumentException
                 | MeshKeys.KeyUnavailableException e) {
            err.println("error: " + e.getMessage());
            return Cli.FAILED;
        } catch (RuntimeException e) {
            err.println("error: " + e);
            return Cli.FAILED;
        }
    }

    /** The environment's database settings, overridden by the flags. */
    DatabaseConfig databaseConfig() {
        DatabaseConfig config = DatabaseConfig.defaults()
                .withDataDir(Path.of(dataDir != null ? dataDir : ctx.setting(Settings.DATA_DIR)));
        String url = databaseUrl != null ? Settings.DATABASE_URL.parse(databaseUrl) : ctx.setting(Settings.DATABASE_URL);
        return url != null ? config.withDatabaseUrl(url) : config;
    }
}
