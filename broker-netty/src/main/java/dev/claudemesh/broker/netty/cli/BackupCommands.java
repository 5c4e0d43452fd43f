package dev.claudemesh.broker.netty.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.claudemesh.broker.db.DataDirectoryInUseException;
import dev.claudemesh.broker.db.DataSourceFactory;
import dev.claudemesh.broker.db.EmbeddedAccess;
import dev.claudemesh.broker.db.EmbeddedDatabase;
import dev.claudemesh.broker.db.backup.BackupException;
import dev.claudemesh.broker.db.backup.BackupHeader;
import dev.claudemesh.broker.db.backup.BackupReader;
import dev.claudemesh.broker.db.backup.BackupRestore;
import dev.claudemesh.broker.db.backup.BackupWriter;
import dev.claudemesh.broker.netty.BrokerServer;
import dev.claudemesh.broker.netty.config.BuildInfo;
import dev.claudemesh.broker.netty.config.ConfigException;
import dev.claudemesh.broker.netty.config.Settings;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Comparator;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/**
 * {@code backup <file>} and {@code restore <file>}: a logical backup of the broker's database
 * ({@link BackupWriter}, format in {@code BackupFormat}) and its restore into an empty data directory or database
 * ({@link BackupRestore}). With the embedded database, {@code backup} works while the broker runs: it connects to
 * the running broker's server with the port and password the broker keeps in its data directory
 * ({@link EmbeddedAccess}), so nothing needs stopping and no admin endpoint is involved; with the broker stopped it
 * starts the server for the duration. Results go to stdout as one JSON object, messages to stderr. Exit 1 when the
 * operation fails, 2 for a bad command line (a missing file, a data directory that is not empty).
 *
 * <p>Runs on the main thread; blocking.</p>
 */
final class BackupCommands {

    private static final JsonFactory JSON = new JsonFactory();

    private BackupCommands() {
    }

    /** What both commands share: where the database is. */
    abstract static class DatabaseCommand implements Callable<Integer> {
        final CliContext ctx;
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @CommandLine.Mixin
        HelpOption help;

        @Parameters(index = "0", paramLabel = "<file>", description = "the backup file")
        Path file;

        @Option(names = "--database-url", paramLabel = "<url>",
                description = "PostgreSQL to work on (default: DATABASE_URL; unset: the embedded one in the data "
                        + "directory)")
        String databaseUrl;

        @Option(names = "--data-dir", paramLabel = "<dir>",
                description = "data directory of the embedded PostgreSQL (default: BROKER_DATA_DIR, else ./data); "
                        + "given, it wins over DATABASE_URL")
        String dataDir;

        DatabaseCommand(CliContext ctx) {
            this.ctx = ctx;
        }

        /**
         * The external database's URL, or null for the embedded one. An explicit {@code --data-dir} wins over
         * {@code DATABASE_URL} in the environment: a restore goes where the command line says.
         */
        String url() {
            if (databaseUrl != null && dataDir != null) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "--database-url and --data-dir: give one of them");
            }
            if (dataDir != null) {
                return null;
            }
            try {
                return databaseUrl != null ? Settings.DATABASE_URL.parse(databaseUrl)
                        : ctx.setting(Settings.DATABASE_URL);
            } catch (ConfigException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "broker configuration: "
                        + e.getMessage());
            }
        }

        Path dataDirectory() {
            try {
                return Path.of(dataDir != null ? dataDir : ctx.setting(Settings.DATA_DIR)).toAbsolutePath()
                        .normalize();
            } catch (ConfigException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "broker configuration: "
                        + e.getMessage());
            }
        }

        int failed(String what, Exception e) {
            String message = e instanceof BackupException || e instanceof IllegalStateException ? e.getMessage()
                    : e instanceof SQLException s ? s.getSQLState() + " " + s.getMessage() : e.toString();
            ctx.err().println("error: " + what + ": " + message);
            return Cli.FAILED;
        }
    }

    @Command(name = "backup", sortOptions = false, optionListHeading = "%nOptions:%n",
            description = {"Writes a consistent backup of the database to <file> (replaced atomically if it exists; "
                    + "permissions 0600): every table of schema mesh read in one snapshot, with a header and a "
                    + "SHA-256 checksum. Works while the broker runs (with the embedded database it connects to the "
                    + "running broker's server; run it as the broker's user). Prints {\"file\",\"bytes\","
                    + "\"schemaVersion\",\"tables\",\"rows\",\"sha256\",\"createdAt\"}.",
                    "The file holds ciphertexts, owner keys, invite and API key material: keep it private, encrypt "
                    + "it before it leaves the machine."})
    static final class Backup extends DatabaseCommand {
        Backup(CliContext ctx) {
            super(ctx);
        }

        @Override
        public Integer call() {
            String url = url();
            Path dir = url == null ? dataDirectory() : null;
            CliLogging.toStderr(ctx.env());
            String producer = "claudemesh-broker " + BrokerServer.VERSION + " (commit " + BuildInfo.gitSha() + ")";
            EmbeddedAccess access = null;
            try {
                DataSourceFactory.JdbcTarget target;
                if (url != null) {
                    target = DataSourceFactory.parse(url);
                } else {
                    access = EmbeddedAccess.open(dir);
                    target = access.target();
                }
                BackupWriter.Result r;
                try (Connection c = DataSourceFactory.unpooled(target).getConnection()) {
                    r = BackupWriter.write(c, file, producer);
                }
                ctx.out().println(summary(file, r.bytes(), r.header(), r.sha256()));
                ctx.err().println("backup of " + (access == null ? target.safeUrl() : access.attached()
                        ? "the running broker's database (pid " + access.ownerPid() + ")" : "the database in " + dir)
                        + " written to " + file.toAbsolutePath() + " (0600: it holds ciphertexts and key material)");
                return Cli.OK;
            } catch (BackupException | IllegalStateException | IOException | SQLException e) {
                return failed("backup", e);
            } catch (UncheckedIOException e) {
                return failed("backup", e.getCause());
            } finally {
                if (access != null) {
                    access.close();
                }
            }
        }
    }

    @Command(name = "restore", sortOptions = false, optionListHeading = "%nOptions:%n",
            description = {"Restores a backup into an EMPTY data directory (created if missing; one that is not "
                    + "empty is refused, exit 2), or into an empty database with --database-url: checks the file's "
                    + "checksum first, migrates the schema to the backup's version, loads every table in one "
                    + "transaction and compares the row counts. Start the broker on it afterwards. Prints "
                    + "{\"file\",\"bytes\",\"schemaVersion\",\"tables\",\"rows\",\"createdAt\"}."})
    static final class Restore extends DatabaseCommand {
        Restore(CliContext ctx) {
            super(ctx);
        }

        @Override
        public Integer call() {
            String url = url();
            Path dir = url == null ? dataDirectory() : null;
            if (!Files.isRegularFile(file)) {
                throw new CommandLine.ParameterException(spec.commandLine(), file + ": no such file");
            }
            if (dir != null && !emptyOrMissing(dir)) {
                ctx.err().println("error: restore: BROKER_DATA_DIR " + dir + " is not empty (restore writes only into "
                        + "an empty or new directory, never over a database)");
                return Cli.USAGE;
            }
            CliLogging.toStderr(ctx.env());
            BackupHeader header;
            try {
                header = BackupReader.verify(file); // before anything is created
            } catch (BackupException | IOException e) {
                return failed("restore", e);
            }
            boolean created = dir != null && !Files.exists(dir);
            try {
                BackupRestore.Result r;
                if (dir == null) {
                    r = BackupRestore.restore(DataSourceFactory.unpooled(DataSourceFactory.parse(url)), file, header);
                } else {
                    try (EmbeddedDatabase db = EmbeddedDatabase.start(dir, 0)) {
                        r = BackupRestore.restore(DataSourceFactory.unpooled(db.target()), file, header);
                    }
                }
                ctx.out().println(summary(file, Files.size(file), r.header(), null));
                ctx.err().println("restored " + r.rows() + " rows of " + r.header().tables().size() + " tables (schema "
                        + "version " + r.header().schemaVersion() + ", backup of " + r.header().createdAt() + ") into "
                        + (dir != null ? dir : DataSourceFactory.parse(url).safeUrl()));
                return Cli.OK;
            } catch (DataDirectoryInUseException e) {
                return failed("restore", e); // someone else's now: leave it alone
            } catch (BackupException | IllegalStateException | IOException | SQLException | UncheckedIOException e) {
                int code = failed("restore", e instanceof UncheckedIOException u ? u.getCause() : e);
                if (dir != null) {
                    clear(dir, created);
                }
                return code;
            }
        }

        /** Puts a directory that this restore found empty (or missing) back as it was. */
        private void clear(Path dir, boolean created) {
            try (Stream<Path> paths = Files.walk(dir)) {
                for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                    if (created || !p.equals(dir)) {
                        Files.delete(p);
                    }
                }
                ctx.err().println("(" + dir + " was " + (created ? "removed" : "emptied") + " again)");
            } catch (IOException e) {
                ctx.err().println("(could not clean " + dir + ": " + e.getMessage() + "; empty it by hand before "
                        + "trying again)");
            }
        }
    }

    static boolean emptyOrMissing(Path dir) {
        if (!Files.exists(dir)) {
            return true;
        }
        if (!Files.isDirectory(dir)) {
            return false;
        }
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.findAny().isEmpty();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String summary(Path file, long bytes, BackupHeader h, String sha256) throws IOException {
        StringWriter out = new StringWriter();
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("file", file.toAbsolutePath().toString());
            g.writeNumberField("bytes", bytes);
            g.writeStringField("schemaVersion", h.schemaVersion());
            g.writeNumberField("tables", h.tables().size());
            g.writeNumberField("rows", h.totalRows());
            if (sha256 != null) {
                g.writeStringField("sha256", sha256);
            }
            g.writeStringField("createdAt", h.createdAt());
            g.writeEndObject();
        }
        return out.toString();
    }
}
