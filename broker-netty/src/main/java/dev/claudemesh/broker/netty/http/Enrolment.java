package dev.claudemesh.broker.netty.http;

import dev.claudemesh.broker.db.store.AuditOutbox;
import dev.claudemesh.broker.db.store.InviteRepository;
import dev.claudemesh.broker.db.store.MeshKeys;
import dev.claudemesh.broker.netty.ServerContext;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Objects;
import java.util.concurrent.RejectedExecutionException;

/**
 * Invite-based enrolment (PROTOCOL §9) as {@link HttpApi} reaches it: the public {@code POST /join}
 * ({@link JoinApi}), the admin invite routes ({@link InviteAdmin}) and the owner keys of new meshes. Builds the
 * store objects once, over the server's data source, signing with owner keys encrypted under
 * {@code BROKER_ENCRYPTION_KEY} when set; without a data source (unit tests) every route answers 503.
 *
 * <p>Audit: enrolment changes record their events in the {@link AuditOutbox} in their own transaction, and this
 * broker moves them into the chain through its single durable writer ({@link EnrolmentAudit}) — right after each
 * change, and once at startup for what the jar's {@code invite} subcommands left there. Also at startup, meshes
 * without owner keys (created before schema version 2, or by the jar's {@code mesh create}) get them.</p>
 *
 * <p>Thread-safe; methods taking a request run on the event loop and answer through {@link JsonReply} from the
 * blocking executor.</p>
 */
public final class Enrolment {

    private static final Logger log = LoggerFactory.getLogger(Enrolment.class);

    private final JoinApi join;
    private final InviteAdmin admin;

    /**
     * Creates the routes over {@code server} and schedules the startup work (audit drain, missing owner keys) on its
     * blocking executor.
     */
    public Enrolment(ServerContext server) {
        Objects.requireNonNull(server, "server");
        InviteRepository invites = null;
        MeshKeys keys = null;
        EnrolmentAudit audit = null;
        if (server.dataSource() != null) {
            keys = new MeshKeys(server.dataSource(), server.config().encryptionKeyHex());
            invites = new InviteRepository(server.dataSource(), keys);
            audit = new EnrolmentAudit(new AuditOutbox(server.dataSource()), server.durable());
            MeshKeys k = keys;
            EnrolmentAudit a = audit;
            try {
                server.blocking().execute(() -> {
                    a.drain();
                    keysForAllMeshes(k);
                });
            } catch (RejectedExecutionException e) {
                // shutting down already: the events stay queued for the next start
            }
        }
        this.join = new JoinApi(server, invites, audit);
        this.admin = new InviteAdmin(server, invites, keys, audit);
    }

    /** Meshes made by the jar's {@code mesh create}, or before schema version 2, get their keys now. */
    private static void keysForAllMeshes(MeshKeys keys) {
        try {
            int n = keys.ensureAll();
            if (n > 0) {
                log.info("created owner keys for {} meshes that had none", n);
            }
        } catch (RuntimeException e) {
            log.warn("owner keys of existing meshes not created yet (they will be at their first invite): {}",
                    e.toString());
        }
    }

    /** {@code POST /join}. Event loop. */
    public void join(ChannelHandlerContext ctx, FullHttpRequest req, JsonReply reply) {
        join.handle(ctx, req, reply);
    }

    /** {@code POST /admin/meshes/{meshId}/invites}, already authorised. Event loop. */
    public void createInvite(FullHttpRequest req, String meshId, JsonReply reply) {
        admin.create(req, meshId, reply);
    }

    /** {@code POST /admin/meshes/{meshId}/invites/{inviteId}/revoke}, already authorised. Event loop. */
    public void revokeInvite(String meshId, String inviteId, JsonReply reply) {
        admin.revoke(meshId, inviteId, reply);
    }

    /** Gives the mesh just created its owner key pair and root key. Blocking; never throws. */
    public void meshCreated(String meshId) {
        admin.meshCreated(meshId);
    }
}
