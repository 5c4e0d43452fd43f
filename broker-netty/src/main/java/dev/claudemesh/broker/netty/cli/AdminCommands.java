package dev.claudemesh.broker.netty.cli;

import dev.claudemesh.broker.core.Ids;
import dev.claudemesh.broker.core.crypto.Ed25519;
import dev.claudemesh.broker.core.model.GroupRole;
import dev.claudemesh.broker.core.model.Member;
import dev.claudemesh.broker.core.model.MemberRole;
import dev.claudemesh.broker.db.store.AuditVerification;
import dev.claudemesh.broker.db.store.MembershipAdmin;
import dev.claudemesh.broker.netty.http.AdminFormats;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * {@code keygen} and the mesh, member and audit subcommands (DESIGN "Membership administration"): the same
 * operations, validation and JSON as the {@code /admin} routes, through {@link MembershipAdmin}.
 */
final class AdminCommands {

    private AdminCommands() {
    }

    @Command(name = "keygen",
            description = "Prints a fresh ed25519 key pair as {\"publicKey\":\"<64 hex>\",\"secretKey\":\"<128 hex>\"} "
                    + "(libsodium's secret key form), for enrolling a member by hand.")
    static final class Keygen implements Callable<Integer> {
        private final CliContext ctx;
        @picocli.CommandLine.Mixin
        HelpOption help;

        Keygen(CliContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public Integer call() {
            Ed25519.KeyPair kp = Ed25519.generate();
            ctx.out().println("{\"publicKey\":\"" + kp.publicKeyHex() + "\",\"secretKey\":\"" + kp.secretKeyHex()
                    + "\"}");
            return Cli.OK;
        }
    }

    @Command(name = "create", sortOptions = false,
            description = "Creates a mesh with its owner key pair and root key; prints {\"id\",\"name\",\"slug\"}.")
    static final class MeshCreate extends AdminCommand {
        @Option(names = "--name", required = true, paramLabel = "<name>", description = "the mesh's display name")
        String name;

        @Option(names = "--slug", required = true, paramLabel = "<slug>",
                description = "URL-safe short name: " + MembershipAdmin.SLUG_RULE)
        String slug;

        MeshCreate(CliContext ctx) {
            super(ctx);
        }

        @Override
        void check() {
            if (name.isBlank()) {
                throw usage("--name: blank (expected: the mesh's display name)");
            }
            if (!MembershipAdmin.validSlug(slug)) {
                throw usage("--slug: '" + slug + "' (expected: " + MembershipAdmin.SLUG_RULE + ")");
            }
        }

        @Override
        int run(MembershipAdmin admin, PrintStream out, PrintStream err) {
            out.println(AdminFormats.meshJson(admin.createMesh(name, slug).mesh()));
            return Cli.OK;
        }
    }

    @Command(name = "add", sortOptions = false,
            description = "Enrols a member by its public key; prints {\"id\",\"meshId\",\"pubkey\",\"displayName\"}.")
    static final class MemberAdd extends AdminCommand {
        @Option(names = "--mesh", required = true, paramLabel = "<meshId>", description = "the mesh's id")
        String meshId;

        @Option(names = "--pubkey", required = true, paramLabel = "<hex64>",
                description = "the member's ed25519 public key, 64 hex")
        String pubkey;

        @Option(names = "--name", required = true, paramLabel = "<name>", description = "the member's display name")
        String name;

        @Option(names = "--role-tag", paramLabel = "<tag>", description = "a role tag, e.g. lead")
        String roleTag;

        @Option(names = "--groups", paramLabel = "<spec>", description = "default groups: name[:role],…, e.g. be:lead,fe")
        String groupSpec;

        @Option(names = "--role", paramLabel = "<role>", defaultValue = "member",
                description = "member (default) or admin: an admin may kick, ban and read the audit log; the mesh's "
                        + "first admin is its owner")
        String role;

        private List<GroupRole> groups;
        private MemberRole memberRole;

        MemberAdd(CliContext ctx) {
            super(ctx);
        }

        @Override
        void check() {
            checkMeshId(this, meshId);
            if (MembershipAdmin.canonicalPubkey(pubkey) == null) {
                throw usage("--pubkey: expected 64 hex chars (the member's ed25519 public key)");
            }
            if (name.isBlank()) {
                throw usage("--name: blank (expected: the member's display name)");
            }
            try {
                groups = parseGroups(groupSpec);
            } catch (IllegalArgumentException e) {
                throw usage(e.getMessage());
            }
            memberRole = checkRole(this, role);
        }

        @Override
        int run(MembershipAdmin admin, PrintStream out, PrintStream err) {
            Member m = admin.addMember(meshId, pubkey, name, roleTag, groups, Map.of(), memberRole);
            out.println(AdminFormats.memberJson(m, memberRole));
            return Cli.OK;
        }
    }

    @Command(name = "role", sortOptions = false,
            description = "Sets a member's role (member or admin); prints {\"id\",\"meshId\",\"pubkey\","
                    + "\"displayName\",\"role\"}. The mesh's last admin cannot be demoted.")
    static final class MemberRoleSet extends AdminCommand {
        @Option(names = "--mesh", required = true, paramLabel = "<meshId>", description = "the mesh's id")
        String meshId;

        @Option(names = "--member", required = true, paramLabel = "<memberId>", description = "the member's id")
        String memberId;

        @Option(names = "--role", required = true, paramLabel = "<role>", description = "member or admin")
        String role;

        private MemberRole memberRole;

        MemberRoleSet(CliContext ctx) {
            super(ctx);
        }

        @Override
        void check() {
            checkMeshId(this, meshId);
            checkMemberId(this, memberId);
            memberRole = checkRole(this, role);
        }

        @Override
        int run(MembershipAdmin admin, PrintStream out, PrintStream err) {
            Optional<Member> m = admin.setRole(meshId, memberId, memberRole);
            if (m.isEmpty()) {
                err.println("error: member not found: " + memberId + " in mesh " + meshId);
                return Cli.FAILED;
            }
            out.println(AdminFormats.memberJson(m.get(), memberRole));
            return Cli.OK;
        }
    }

    @Command(name = "unban", sortOptions = false,
            description = "Lifts a member's ban (a revoke, or a ban by a mesh admin): its next hello is accepted.")
    static final class MemberUnban extends AdminCommand {
        @Option(names = "--mesh", required = true, paramLabel = "<meshId>", description = "the mesh's id")
        String meshId;

        @Option(names = "--member", required = true, paramLabel = "<memberId>", description = "the member's id")
        String memberId;

        MemberUnban(CliContext ctx) {
            super(ctx);
        }

        @Override
        void check() {
            checkMeshId(this, meshId);
            checkMemberId(this, memberId);
        }

        @Override
        int run(MembershipAdmin admin, PrintStream out, PrintStream err) {
            if (admin.unbanMember(meshId, memberId).isEmpty()) {
                err.println("error: member not found: " + memberId + " in mesh " + meshId);
                return Cli.FAILED;
            }
            out.println("{\"ok\":true}");
            return Cli.OK;
        }
    }

    @Command(name = "revoke", sortOptions = false,
            description = "Revokes (bans) a member, as a mesh admin's ban does: a running broker refuses its next "
                    + "hello. The mesh's last admin cannot be revoked.")
    static final class MemberRevoke extends AdminCommand {
        @Option(names = "--mesh", required = true, paramLabel = "<meshId>", description = "the mesh's id")
        String meshId;

        @Option(names = "--member", required = true, paramLabel = "<memberId>", description = "the member's id")
        String memberId;

        MemberRevoke(CliContext ctx) {
            super(ctx);
        }

        @Override
        void check() {
            checkMeshId(this, meshId);
            checkMemberId(this, memberId);
        }

        @Override
        int run(MembershipAdmin admin, PrintStream out, PrintStream err) {
            Optional<Member> revoked = admin.revokeMember(meshId, memberId);
            if (revoked.isEmpty()) {
                err.println("error: member not found: " + memberId + " in mesh " + meshId);
                return Cli.FAILED;
            }
            out.println("{\"ok\":true}");
            err.println("note: revoked in the database. A running broker refuses this member's next hello, but "
                    + "sockets it already has stay open (this process cannot reach them); POST /admin/meshes/" + meshId
                    + "/members/" + memberId + "/revoke on the broker closes them at once (4002 banned).");
            return Cli.OK;
        }
    }

    @Command(name = "verify", sortOptions = false,
            description = "Re-hashes the mesh's audit chain; prints {\"ok\":true,\"events\":N} or "
                    + "{\"ok\":false,\"events\":N,\"brokenAt\":<id>} (then exit 1).")
    static final class AuditVerify extends AdminCommand {
        @Option(names = "--mesh", required = true, paramLabel = "<meshId>", description = "the mesh's id")
        String meshId;

        AuditVerify(CliContext ctx) {
            super(ctx);
        }

        @Override
        void check() {
            checkMeshId(this, meshId);
        }

        @Override
        int run(MembershipAdmin admin, PrintStream out, PrintStream err) {
            AuditVerification v = admin.verifyAudit(meshId);
            out.println(AdminFormats.verificationJson(v));
            if (!v.ok()) {
                err.println("audit chain of mesh " + meshId + " is broken at event " + v.brokenAt());
                return Cli.FAILED;
            }
            return Cli.OK;
        }
    }

    static void checkMemberId(AdminCommand command, String memberId) {
        if (!Ids.isId(memberId)) {
            throw command.usage("--member: '" + memberId + "' (expected: a 32-character member id)");
        }
    }

    static MemberRole checkRole(AdminCommand command, String role) {
        MemberRole r = MemberRole.of(role);
        if (r == null) {
            throw command.usage("--role: '" + role + "' (expected: member or admin)");
        }
        return r;
    }

    static void checkMeshId(AdminCommand command, String meshId) {
        if (!Ids.isId(meshId)) {
            throw command.usage("--mesh: '" + meshId + "' (expected: a 32-character mesh id)");
        }
    }

    /** {@code be:lead,fe} → [{be, lead}, {fe}]; null or empty → none. */
    static List<GroupRole> parseGroups(String spec) {
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
                throw new IllegalArgumentException("--groups: '" + spec + "' (expected: name[:role],… e.g. be:lead,fe)");
            }
            out.add(new GroupRole(name, role));
        }
        return out;
    }
}
