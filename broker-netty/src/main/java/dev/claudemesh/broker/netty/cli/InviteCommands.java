package dev.claudemesh.broker.netty.cli;

import dev.claudemesh.broker.core.Ids;
import dev.claudemesh.broker.core.audit.AuditChain;
import dev.claudemesh.broker.db.store.CreatedInvite;
import dev.claudemesh.broker.db.store.InvitePreset;
import dev.claudemesh.broker.db.store.InviteRepository;
import dev.claudemesh.broker.db.store.MembershipAdmin;
import dev.claudemesh.broker.netty.config.ConfigException;
import dev.claudemesh.broker.netty.config.Settings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The jar's {@code invite} subcommands (PROTOCOL §9), the same operations as the admin API's invite routes.
 * {@code invite create} prints the link and the command a peer runs to join, one per line, on stdout (so
 * {@code … | head -1} is the link), and the invite's id and expiry on stderr. The invite's {@code broker_url} is
 * {@code BROKER_PUBLIC_URL}, else {@code ws://127.0.0.1:<BROKER_PORT>/ws}; the owner secret is read (or created)
 * encrypted under {@code BROKER_ENCRYPTION_KEY} when set — the broker's own settings, read from the same environment.
 *
 * <p>Audit: the events ({@code invite_created}, {@code invite_revoked}) go to the audit outbox in the same
 * transaction; the broker moves them into the hash chain (at its next start, or its next enrolment change), so this
 * process never appends to a chain whose tail a running broker has cached.</p>
 */
final class InviteCommands {

    private static final Pattern DURATION = Pattern.compile("([0-9]{1,9})([smhd]?)");

    private InviteCommands() {
    }

    @Command(name = "create", sortOptions = false,
            description = "Creates a signed invite; prints the link and 'claudemesh join <link>' on stdout.")
    static final class Create extends AdminCommand {
        @Option(names = "--mesh", required = true, paramLabel = "<meshId>", description = "the mesh's id")
        String meshId;

        @Option(names = "--max-uses", paramLabel = "<n>",
                description = "how many keys it may enrol (default 1, at most " + InviteRepository.MAX_USES_LIMIT + ")")
        String maxUses;

        @Option(names = "--expires-in", paramLabel = "<duration>",
                description = "lifetime: 7d, 12h, 30m, 3600s or seconds (default 7d, at most 366d)")
        String expiresIn;

        @Option(names = "--role", paramLabel = "<role>", description = "member (default) or admin")
        String role;

        private MembershipAdmin.InviteOptions options;
        private String brokerUrl;

        Create(CliContext ctx) {
            super(ctx);
        }

        @Override
        void check() {
            AdminCommands.checkMeshId(this, meshId);
            int uses = MembershipAdmin.InviteOptions.DEFAULT_MAX_USES;
            if (maxUses != null) {
                try {
                    uses = Integer.parseInt(maxUses.trim());
                } catch (NumberFormatException e) {
                    uses = -1;
                }
                if (uses < 1 || uses > InviteRepository.MAX_USES_LIMIT) {
                    throw usage("--max-uses: '" + maxUses + "' (expected: 1.." + InviteRepository.MAX_USES_LIMIT + ")");
                }
            }
            long expiresInS = MembershipAdmin.InviteOptions.DEFAULT_EXPIRES_IN_S;
            if (expiresIn != null) {
                expiresInS = durationSecondsOf(expiresIn);
                if (expiresInS < 1 || expiresInS > InviteRepository.MAX_EXPIRES_IN_S) {
                    throw usage("--expires-in: '" + expiresIn + "' (expected: a duration like 7d, 12h, 30m or 3600s, "
                            + "at most " + InviteRepository.MAX_EXPIRES_IN_S / 86_400 + "d)");
                }
            }
            String r = role == null ? MembershipAdmin.InviteOptions.DEFAULT_ROLE : role;
            if (!InviteRepository.ROLES.contains(r)) {
                throw usage("--role: '" + role + "' (expected: member or admin)");
            }
            options = new MembershipAdmin.InviteOptions(uses, expiresInS, r, InvitePreset.NONE);
            try {
                String publicUrl = ctx.setting(Settings.PUBLIC_URL);
                brokerUrl = publicUrl != null ? publicUrl : "ws://127.0.0.1:" + ctx.setting(Settings.PORT) + "/ws";
            } catch (ConfigException e) {
                throw usage("broker configuration: " + e.getMessage());
            }
        }

        @Override
        int run(MembershipAdmin admin, PrintStream out, PrintStream err) {
            CreatedInvite inv = admin.createInvite(meshId, brokerUrl, options);
            out.println(inv.link());
            out.println("claudemesh join " + inv.link());
            int uses = options.maxUses();
            err.println("invite " + inv.id() + " for mesh " + inv.payload().meshSlug() + " (" + meshId + "): role "
                    + options.role() + ", " + uses + (uses == 1 ? " use" : " uses") + ", broker " + brokerUrl
                    + ", expires " + AuditChain.isoMillis(inv.expiresAtS() * 1000));
            err.println("revoke it with: invite revoke --mesh " + meshId + " --invite " + inv.id());
            return Cli.OK;
        }
    }

    @Command(name = "revoke", sortOptions = false,
            description = "Revokes an invite: its next join is refused (members it enrolled stay).")
    static final class Revoke extends AdminCommand {
        @Option(names = "--mesh", required = true, paramLabel = "<meshId>", description = "the mesh's id")
        String meshId;

        @Option(names = "--invite", required = true, paramLabel = "<inviteId>", description = "the invite's id")
        String inviteId;

        Revoke(CliContext ctx) {
            super(ctx);
        }

        @Override
        void check() {
            AdminCommands.checkMeshId(this, meshId);
            if (!Ids.isId(inviteId)) {
                throw usage("--invite: '" + inviteId + "' (expected: a 32-character invite id)");
            }
        }

        @Override
        int run(MembershipAdmin admin, PrintStream out, PrintStream err) {
            boolean now = admin.revokeInvite(meshId, inviteId);
            out.println("{\"ok\":true}");
            if (!now) {
                err.println("note: invite " + inviteId + " was already revoked");
            }
            return Cli.OK;
        }
    }

    /** {@code 7d}, {@code 12h}, {@code 30m}, {@code 3600s} or plain seconds; -1 when not a duration. */
    static long durationSecondsOf(String text) {
        Matcher m = DURATION.matcher(text.trim());
        if (!m.matches()) {
            return -1;
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "d" -> n * 86_400;
            case "h" -> n * 3_600;
            case "m" -> n * 60;
            default -> n;
        };
    }
}
