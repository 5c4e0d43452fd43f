package dev.claudemesh.broker.netty.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.ConsoleAppender;
import dev.claudemesh.broker.core.Ids;
import dev.claudemesh.broker.core.model.GroupRole;
import dev.claudemesh.broker.core.model.Member;
import dev.claudemesh.broker.core.model.Mesh;
import dev.claudemesh.broker.db.Database;
import dev.claudemesh.broker.db.DatabaseConfig;
import dev.claudemesh.broker.db.store.AdminRepository;
import dev.claudemesh.broker.db.store.AuditVerification;
import dev.claudemesh.broker.db.store.DuplicateException;
import dev.claudemesh.broker.db.store.NotFoundException;
import dev.claudemesh.broker.netty.http.AdminFormats;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The jar's admin subcommands (DESIGN "Membership administration"), working directly on the database — the same
 * operations and validation as the {@code /admin} HTTP routes:
 * <pre>
 *   mesh create   --name NAME --slug SLUG
 *   member add    --mesh MESH_ID --pubkey HEX64 --name NAME [--role-tag TAG] [--groups be:lead,fe]
 *   member revoke --mesh MESH_ID --member MEMBER_ID
 *   audit verify  --mesh MESH_ID
 *   invite create --mesh MESH_ID [--max-uses N] [--expires-in 7d|12h|30m|3600s] [--role member|admin]
 *   invite revoke --mesh MESH_ID --invite INVITE_ID
 * </pre>
 * (the {@code invite} subcommands, which print a link rather than JSON, are {@link InviteCommands}).
 * Every subcommand also takes {@code --database-url URL} and {@code --data-dir DIR}, overriding
 * {@code DATABASE_URL} and {@code BROKER_DATA_DIR} (unset URL: the embedded PostgreSQL in the data directory, which
 * must not be in use by a running broker). Results are printed to {@code out} as one JSON object; messages to
 * {@code err}. Exit codes: 0 done, 1 the operation failed (not found, duplicate, database error, broken audit chain),
 * 2 bad usage.
 *
 * <p>Called on the main thread by {@code Main}; blocking.</p>
 */
public final class AdminCli {

    /** Exit code: success. */
    public static final int OK = 0;
    /** Exit code: the operation failed, or the audit chain is broken. */
    public static final int FAILED = 1;
    /** Exit code: bad command line. */
    public static final int USAGE = 2;

    static final String USAGE_TEXT = String.join(System.lineSeparator(),
            "usage: java -jar claudemesh-broker.jar <command> [--database-url URL] [--data-dir DIR]",
            "commands:",
            "  mesh create   --name NAME --slug SLUG",
            "  member add    --mesh MESH_ID --pubkey HEX64 --name NAME [--role-tag TAG] [--groups be:lead,fe]",
            "  member revoke --mesh MESH_ID --member MEMBER_ID",
            "  audit verify  --mesh MESH_ID",
            "  invite create --mesh MESH_ID [--max-uses N] [--expires-in 7d|12h|30m|3600s] [--role member|admin]",
            "  invite revoke --mesh MESH_ID --invite INVITE_ID",
            "The database is DATABASE_URL (or --database-url); unset, the embedded PostgreSQL in BROKER_DATA_DIR",
            "(or --data-dir, default ./data), which a running broker must not be using at the same time.",
            "Exit codes: 0 done, 1 failed (or audit chain broken), 2 bad usage.");

    private static final Set<String> GLOBAL_FLAGS = Set.of("database-url", "data-dir");

    private AdminCli() {
    }

    /** A subcommand's known flags and the required ones among them. */
    enum Command {
        MESH_CREATE("mesh create", Set.of("name", "slug"), Set.of("name", "slug")),
        MEMBER_ADD("member add", Set.of("mesh", "pubkey", "name", "role-tag", "groups"),
                Set.of("mesh", "pubkey", "name")),
        MEMBER_REVOKE("member revoke", Set.of("mesh", "member"), Set.of("mesh", "member")),
        AUDIT_VERIFY("audit verify", Set.of("mesh"), Set.of("mesh")),
        INVITE_CREATE("invite create", Set.of("mesh", "max-uses", "expires-in", "role"), Set.of("mesh")),
        INVITE_REVOKE("invite revoke", Set.of("mesh", "invite"), Set.of("mesh", "invite"));

        final String words;
        final Set<String> flags;
        final Set<String> required;

        Command(String words, Set<String> flags, Set<String> required) {
            this.words = words;
            this.flags = flags;
            this.required = required;
        }

        static Command of(String group, String action) {
            for (Command c : values()) {
                if (c.words.equals(group + " " + action)) {
                    return c;
                }
            }
            return null;
        }
    }

    /** A bad command line; the message says what is wrong. */
    static final class UsageException extends Exception {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * Runs one subcommand; {@code args} starts with the command words ({@code mesh create …}).
     *
     * @return the exit code: {@link #OK}, {@link #FAILED} or {@link #USAGE}
     */
    public static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
        if (args.length == 0 || isHelp(args[0]) || (args.length > 1 && isHelp(args[1]))) {
            (args.length == 0 ? err : out).println(USAGE_TEXT);
            return args.length == 0 ? USAGE : OK;
        }
        Command command;
        Map<String, String> flags;
        try {
            if (args.length < 2 || (command = Command.of(args[0], args[1])) == null) {
                throw new UsageException("unknown command: " + String.join(" ", List.of(args).subList(0,
                        Math.min(2, args.length))));
            }
            flags = parseFlags(command, args);
        } catch (UsageException e) {
            err.println("error: " + e.getMessage());
            err.println(USAGE_TEXT);
            return USAGE;
        }
        Operation op;
        try {
            op = prepare(command, flags, env);
        } catch (UsageException e) {
            err.println("error: " + e.getMessage());
            return USAGE;
        }
        DatabaseConfig dbConfig;
        try {
            dbConfig = databaseConfig(env, flags);
        } catch (IllegalArgumentException e) {
            err.println("error: database configuration: " + e.getMessage());
            return USAGE;
        }
        quietLogging(env);
        Database db;
        try {
            db = Database.open(dbConfig);
        } catch (RuntimeException e) {
            err.println("error: cannot open the database: " + e.getMessage());
            if (dbConfig.embedded()) {
                err.println("(the embedded database in " + dbConfig.dataDir() + " cannot be shared with a running "
                        + "broker; stop it, or set DATABASE_URL to an external PostgreSQL)");
            }
            return FAILED;
        }
        try (db) {
            return op.run(db.dataSource(), out, err);
        } catch (NotFoundException | DuplicateException | IllegalArgumentException e) {
            err.println("error: " + e.getMessage());
            return FAILED;
        } catch (RuntimeException e) {
            err.println("error: " + e);
            return FAILED;
        }
    }

    /** One validated subcommand, ready to run against the database. */
    @FunctionalInterface
    interface Operation {
        int run(AdminRepository repo, PrintStream out, PrintStream err);

        /** Runs against the open database; operations needing more than the repository override it. */
        default int run(DataSource dataSource, PrintStream out, PrintStream err) {
            return run(new AdminRepository(dataSource), out, err);
        }
    }

    /** Validates the flags' values (everything that needs no database) and returns the operation. */
    static Operation prepare(Command command, Map<String, String> f, Map<String, String> env) throws UsageException {
        return switch (command) {
            case MESH_CREATE -> {
                String name = f.get("name");
                String slug = f.get("slug");
                if (name.isBlank()) {
                    throw new UsageException("--name: blank (expected: the mesh's display name)");
                }
                if (!AdminFormats.validSlug(slug)) {
                    throw new UsageException("--slug: '" + slug + "' (expected: 1-64 characters of a-z, 0-9 and '-', "
                            + "starting with a letter or digit)");
                }
                yield (repo, out, err) -> {
                    Mesh mesh = repo.createMesh(name, slug);
                    out.println(AdminFormats.meshJson(mesh));
                    return OK;
                };
            }
            case MEMBER_ADD -> {
                String meshId = meshId(f);
                String pubkey = AdminFormats.canonicalPubkey(f.get("pubkey"));
                if (pubkey == null) {
                    throw new UsageException("--pubkey: expected 64 hex chars (the member's ed25519 public key)");
                }
                String name = f.get("name");
                if (name.isBlank()) {
                    throw new UsageException("--name: blank (expected: the member's display name)");
                }
                String roleTag = f.get("role-tag");
                List<GroupRole> groups = parseGroups(f.get("groups"));
                yield (repo, out, err) -> {
                    Member m = repo.addMember(meshId, pubkey, name, roleTag, groups, Map.of());
                    out.println(AdminFormats.memberJson(m));
                    return OK;
                };
            }
            case MEMBER_REVOKE -> {
                String meshId = meshId(f);
                String memberId = f.get("member");
                if (!Ids.isId(memberId)) {
                    throw new UsageException("--member: '" + memberId + "' (expected: a 32-character member id)");
                }
                yield (repo, out, err) -> {
                    Optional<Member> revoked = repo.revokeMember(meshId, memberId);
                    if (revoked.isEmpty()) {
                        err.println("error: member not found: " + memberId + " in mesh " + meshId);
                        return FAILED;
                    }
                    out.println("{\"ok\":true}");
                    err.println("note: revoked in the database. A running broker refuses this member's next hello, "
                            + "but sockets it already has stay open (this process cannot reach them); "
                            + "POST /admin/meshes/" + meshId + "/members/" + memberId + "/revoke on the broker "
                            + "closes them at once (4002 banned).");
                    return OK;
                };
            }
            case INVITE_CREATE -> InviteCommands.create(f, env);
            case INVITE_REVOKE -> InviteCommands.revoke(f);
            case AUDIT_VERIFY -> {
                String meshId = meshId(f);
                yield (repo, out, err) -> {
                    if (repo.findMesh(meshId).isEmpty()) {
                        err.println("error: mesh not found: " + meshId);
                        return FAILED;
                    }
                    AuditVerification v = repo.verifyAudit(meshId);
                    out.println(AdminFormats.verificationJson(v));
                    if (!v.ok()) {
                        err.println("audit chain of mesh " + meshId + " is broken at event " + v.brokenAt());
                        return FAILED;
                    }
                    return OK;
                };
            }
        };
    }

    /** {@code --name value} and {@code --name=value} after the two command words; each flag at most once. */
    static Map<String, String> parseFlags(Command command, String[] args) throws UsageException {
        Map<String, String> flags = new LinkedHashMap<>();
        for (int i = 2; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--") || a.length() == 2) {
                throw new UsageException("unexpected argument '" + a + "'");
            }
            String name;
            String value;
            int eq = a.indexOf('=');
            if (eq > 0) {
                name = a.substring(2, eq);
                value = a.substring(eq + 1);
            } else {
                name = a.substring(2);
                if (i + 1 >= args.length) {
                    throw new UsageException("--" + name + ": missing value");
                }
                value = args[++i];
            }
            if (!command.flags.contains(name) && !GLOBAL_FLAGS.contains(name)) {
                throw new UsageException("unknown option --" + name + " for '" + command.words + "'");
            }
            if (flags.put(name, value) != null) {
                throw new UsageException("--" + name + " given twice");
            }
        }
        for (String r : command.required) {
            if (!flags.containsKey(r)) {
                throw new UsageException("'" + command.words + "' needs --" + r);
            }
        }
        return flags;
    }

    /** {@code be:lead,fe} → [{be, lead}, {fe}]; null or empty → none. */
    static List<GroupRole> parseGroups(String spec) throws UsageException {
        if (spec == null || spec.isBlank()) {
            return List.of();
        }
        List<GroupRole> out = new ArrayList<>();
        for (String part : spec.split(",", -1)) {
            String p = part.trim();
            int colon = p.indexOf(':');
            String name = colon >= 0 ? p.substring(0, colon).trim() : p;
            String role = colon >= 0 ? p.substring(colon + 1).trim() : null;
            if (name.isEmpty() || (role != null && role.isEmpty())) {
                throw new UsageException("--groups: '" + spec + "' (expected: name[:role],… e.g. be:lead,fe)");
            }
            out.add(new GroupRole(name, role));
        }
        return out;
    }

    private static String meshId(Map<String, String> f) throws UsageException {
        String meshId = f.get("mesh");
        if (!Ids.isId(meshId)) {
            throw new UsageException("--mesh: '" + meshId + "' (expected: a 32-character mesh id)");
        }
        return meshId;
    }

    static DatabaseConfig databaseConfig(Map<String, String> env, Map<String, String> flags) {
        DatabaseConfig config = DatabaseConfig.fromEnvironment(env);
        if (flags.containsKey("data-dir")) {
            config = config.withDataDir(Path.of(flags.get("data-dir")));
        }
        if (flags.containsKey("database-url")) {
            config = config.withDatabaseUrl(flags.get("database-url"));
        }
        return config;
    }

    private static boolean isHelp(String a) {
        return "--help".equals(a) || "-h".equals(a) || "help".equals(a);
    }

    /**
     * Keeps stdout for the result: the console log moves to stderr, at WARN unless {@code BROKER_LOG_LEVEL} asks
     * otherwise, so that {@code … mesh create … | jq .id} works.
     */
    private static void quietLogging(Map<String, String> env) {
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext ctx)) {
            return;
        }
        ch.qos.logback.classic.Logger root = ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        if (env.get("BROKER_LOG_LEVEL") == null) {
            root.setLevel(Level.WARN);
        }
        for (Iterator<Appender<ILoggingEvent>> it = root.iteratorForAppenders(); it.hasNext(); ) {
            if (it.next() instanceof ConsoleAppender<ILoggingEvent> console && !"System.err".equals(console.getTarget())) {
                console.stop();
                console.setTarget("System.err");
                console.start();
            }
        }
    }
}
