package dev.claudemesh.broker.netty.cli;

import dev.claudemesh.broker.core.Ids;
import dev.claudemesh.broker.core.audit.AuditChain;
import dev.claudemesh.broker.db.store.AdminRepository;
import dev.claudemesh.broker.db.store.CreatedInvite;
import dev.claudemesh.broker.db.store.InvitePreset;
import dev.claudemesh.broker.db.store.InviteRepository;
import dev.claudemesh.broker.db.store.MeshKeys;
import dev.claudemesh.broker.netty.BrokerConfig;
import dev.claudemesh.broker.netty.http.InviteFormats;

import javax.sql.DataSource;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;

/**
 * The jar's {@code invite} subcommands (PROTOCOL §9), the same operations as the admin API's invite routes:
 * <pre>
 *   invite create --mesh MESH_ID [--max-uses N] [--expires-in 7d|12h|30m|3600s] [--role member|admin]
 *   invite revoke --mesh MESH_ID --invite INVITE_ID
 * </pre>
 * {@code invite create} prints the link and the command a peer runs to join, one per line, on stdout (so
 * {@code … | head -1} is the link), and the invite's id and expiry on stderr. The invite's {@code broker_url} is
 * {@code BROKER_PUBLIC_URL}, else {@code ws://127.0.0.1:<BROKER_PORT>/ws}; the mesh's owner secret is read (or
 * created) encrypted under {@code BROKER_ENCRYPTION_KEY} when set — the broker's own settings, read from the same
 * environment.
 *
 * <p>Audit: the events ({@code invite_created}, {@code invite_revoked}) go to the audit outbox in the same
 * transaction; the broker moves them into the hash chain (at its next start, or its next enrolment change), so this
 * process never appends to a chain whose tail a running broker has cached.</p>
 *
 * <p>Called on the main thread by {@link AdminCli}; blocking.</p>
 */
final class InviteCommands {

    static final String VIA = "cli";

    private InviteCommands() {
    }

    /** An operation that needs the data source (not only the admin repository). */
    private abstract static class DataSourceOperation implements AdminCli.Operation {
        @Override
        public final int run(AdminRepository repo, PrintStream out, PrintStream err) {
            throw new UnsupportedOperationException("needs the data source");
        }

        @Override
        public abstract int run(DataSource dataSource, PrintStream out, PrintStream err);
    }

    /** Validates {@code invite create}'s flags and the broker settings it uses; returns the operation. */
    static AdminCli.Operation create(Map<String, String> f, Map<String, String> env) throws AdminCli.UsageException {
        String meshId = f.get("mesh");
        if (!Ids.isId(meshId)) {
            throw new AdminCli.UsageException("--mesh: '" + meshId + "' (expected: a 32-character mesh id)");
        }
        int maxUses;
        long expiresInS;
        String role;
        try {
            maxUses = f.containsKey("max-uses") ? InviteFormats.maxUsesOf(parseLong(f.get("max-uses")))
                    : InviteFormats.DEFAULT_MAX_USES;
        } catch (IllegalArgumentException e) {
            throw new AdminCli.UsageException("--max-uses: '" + f.get("max-uses") + "' (expected: 1.."
                    + InviteRepository.MAX_USES_LIMIT + ")");
        }
        try {
            expiresInS = f.containsKey("expires-in") ? InviteFormats.durationSecondsOf(f.get("expires-in"))
                    : InviteFormats.DEFAULT_EXPIRES_IN_S;
        } catch (IllegalArgumentException e) {
            throw new AdminCli.UsageException("--expires-in: '" + f.get("expires-in") + "' (expected: a duration "
                    + "like 7d, 12h, 30m or 3600s, at most " + InviteRepository.MAX_EXPIRES_IN_S / 86_400 + "d)");
        }
        try {
            role = InviteFormats.roleOf(f.getOrDefault("role", InviteFormats.DEFAULT_ROLE));
        } catch (IllegalArgumentException e) {
            throw new AdminCli.UsageException("--role: '" + f.get("role") + "' (expected: member or admin)");
        }
        BrokerConfig config;
        try {
            config = BrokerConfig.load(env, List.of());
        } catch (BrokerConfig.ConfigException e) {
            throw new AdminCli.UsageException("broker configuration: " + e.getMessage());
        }
        String brokerUrl = config.effectivePublicUrl(config.port());
        String encryptionKey = config.encryptionKeyHex();
        return new DataSourceOperation() {
            @Override
            public int run(DataSource dataSource, PrintStream out, PrintStream err) {
                InviteRepository invites = new InviteRepository(dataSource, new MeshKeys(dataSource, encryptionKey));
                CreatedInvite inv;
                try {
                    inv = invites.create(meshId, brokerUrl, maxUses, expiresInS, role, InvitePreset.NONE, VIA,
                            System.currentTimeMillis());
                } catch (MeshKeys.KeyUnavailableException e) {
                    err.println("error: " + e.getMessage());
                    return AdminCli.FAILED;
                }
                out.println(inv.link());
                out.println("claudemesh join " + inv.link());
                err.println("invite " + inv.id() + " for mesh " + inv.payload().meshSlug() + " (" + meshId + "): role "
                        + role + ", " + maxUses + (maxUses == 1 ? " use" : " uses") + ", broker " + brokerUrl
                        + ", expires " + AuditChain.isoMillis(inv.expiresAtS() * 1000));
                err.println("revoke it with: invite revoke --mesh " + meshId + " --invite " + inv.id());
                return AdminCli.OK;
            }
        };
    }

    /** Validates {@code invite revoke}'s flags; returns the operation. */
    static AdminCli.Operation revoke(Map<String, String> f) throws AdminCli.UsageException {
        String meshId = f.get("mesh");
        if (!Ids.isId(meshId)) {
            throw new AdminCli.UsageException("--mesh: '" + meshId + "' (expected: a 32-character mesh id)");
        }
        String inviteId = f.get("invite");
        if (!Ids.isId(inviteId)) {
            throw new AdminCli.UsageException("--invite: '" + inviteId + "' (expected: a 32-character invite id)");
        }
        return new DataSourceOperation() {
            @Override
            public int run(DataSource dataSource, PrintStream out, PrintStream err) {
                // revoking needs no owner key: no encryption key either
                InviteRepository invites = new InviteRepository(dataSource, new MeshKeys(dataSource, null));
                boolean now = invites.revoke(meshId, inviteId, VIA, System.currentTimeMillis());
                out.println("{\"ok\":true}");
                if (!now) {
                    err.println("note: invite " + inviteId + " was already revoked");
                }
                return AdminCli.OK;
            }
        };
    }

    private static long parseLong(String s) {
        try {
            return Long.parseLong(s.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(e.getMessage());
        }
    }
}
