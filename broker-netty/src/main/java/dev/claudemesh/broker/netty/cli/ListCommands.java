package dev.claudemesh.broker.netty.cli;

import dev.claudemesh.broker.core.envelope.JsonOut;
import dev.claudemesh.broker.db.store.AdminListing;
import dev.claudemesh.broker.db.store.MembershipAdmin;
import dev.claudemesh.broker.netty.http.AdminFormats;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.util.List;
import java.util.Optional;

/**
 * The jar's listing subcommands and {@code mesh delete}, through {@link MembershipAdmin} like the admin API's
 * {@code GET /admin/meshes…} and {@code DELETE /admin/meshes/{meshId}}, printing the same JSON arrays (without the
 * live figures only a running broker has: {@code livePeers}, {@code leases}).
 */
final class ListCommands {

    private ListCommands() {
    }

    @Command(name = "list", description = "Lists the meshes, oldest first, as a JSON array of {\"id\",\"name\",\"slug\","
            + "\"createdAt\",\"members\",\"activeMembers\"}.")
    static final class MeshList extends AdminCommand {
        MeshList(CliContext ctx) {
            super(ctx);
        }

        @Override
        void check() {
        }

        @Override
        int run(MembershipAdmin admin, PrintStream out, PrintStream err) {
            List<AdminListing.MeshRow> meshes = admin.listMeshes();
            JsonOut o = new JsonOut(256).beginArray();
            for (AdminListing.MeshRow m : meshes) {
                AdminFormats.meshRow(o, m).endObject();
            }
            out.println(o.endArray());
            return Cli.OK;
        }
    }

    @Command(name = "delete", sortOptions = false,
            description = "Deletes a mesh and everything of it (members, invites, keys, queued messages, audit chain, "
                    + "shared state, topics, …); prints {\"ok\":true,\"deleted\":{…}}. Cannot be undone.")
    static final class MeshDelete extends AdminCommand {
        @Option(names = "--mesh", required = true, paramLabel = "<meshId>", description = "the mesh's id")
        String meshId;

        @Option(names = "--yes", description = "confirm: without it nothing is deleted")
        boolean yes;

        MeshDelete(CliContext ctx) {
            super(ctx);
        }

        @Override
        void check() {
            AdminCommands.checkMeshId(this, meshId);
            if (!yes) {
                throw usage("mesh delete removes the mesh and all its data for good: add --yes to confirm");
            }
        }

        @Override
        int run(MembershipAdmin admin, PrintStream out, PrintStream err) {
            Optional<AdminListing.DeletedMesh> d = admin.deleteMesh(meshId);
            if (d.isEmpty()) {
                err.println("error: mesh not found: " + meshId);
                return Cli.FAILED;
            }
            out.println(AdminFormats.deletedJson(d.get()));
            err.println("note: deleted in the database. A broker running on it keeps the mesh's open sockets (this "
                    + "process cannot reach them) until they close; DELETE /admin/meshes/" + meshId + " on the broker "
                    + "closes them at once (4002 mesh_deleted).");
            return Cli.OK;
        }
    }

    @Command(name = "list", sortOptions = false, description = "Lists a mesh's members (revoked ones too), oldest "
            + "first, as a JSON array of {\"id\",\"pubkey\",\"displayName\",\"roleTag\"?,\"role\",\"createdAt\","
            + "\"revoked\",\"revokedAt\"?}.")
    static final class MemberList extends AdminCommand {
        @Option(names = "--mesh", required = true, paramLabel = "<meshId>", description = "the mesh's id")
        String meshId;

        MemberList(CliContext ctx) {
            super(ctx);
        }

        @Override
        void check() {
            AdminCommands.checkMeshId(this, meshId);
        }

        @Override
        int run(MembershipAdmin admin, PrintStream out, PrintStream err) {
            Optional<List<AdminListing.MemberRow>> rows = admin.listMembers(meshId);
            if (rows.isEmpty()) {
                err.println("error: mesh not found: " + meshId);
                return Cli.FAILED;
            }
            JsonOut o = new JsonOut(256).beginArray();
            for (AdminListing.MemberRow m : rows.get()) {
                AdminFormats.memberRow(o, m).endObject();
            }
            out.println(o.endArray());
            return Cli.OK;
        }
    }

    @Command(name = "list", sortOptions = false, description = "Lists a mesh's invites, newest first, as a JSON array "
            + "of {\"id\",\"role\",\"maxUses\",\"usedCount\",\"usesLeft\",\"createdAt\",\"expiresAt\",\"revoked\","
            + "\"revokedAt\"?,\"state\",\"link\"}. Links carry the mesh's root key: treat the output as a secret.")
    static final class InviteList extends AdminCommand {
        @Option(names = "--mesh", required = true, paramLabel = "<meshId>", description = "the mesh's id")
        String meshId;

        InviteList(CliContext ctx) {
            super(ctx);
        }

        @Override
        void check() {
            AdminCommands.checkMeshId(this, meshId);
        }

        @Override
        int run(MembershipAdmin admin, PrintStream out, PrintStream err) {
            Optional<List<AdminListing.InviteRow>> rows = admin.listInvites(meshId);
            if (rows.isEmpty()) {
                err.println("error: mesh not found: " + meshId);
                return Cli.FAILED;
            }
            long now = System.currentTimeMillis();
            JsonOut o = new JsonOut(1024).beginArray();
            for (AdminListing.InviteRow i : rows.get()) {
                AdminFormats.inviteRow(o, i, now);
            }
            out.println(o.endArray());
            return Cli.OK;
        }
    }
}
