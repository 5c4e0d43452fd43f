package dev.claudemesh.broker.netty.http;

import dev.claudemesh.broker.core.model.Member;
import dev.claudemesh.broker.db.store.AdminListing;
import dev.claudemesh.broker.db.store.MembershipAdmin;
import dev.claudemesh.broker.db.store.MeshKeys;
import dev.claudemesh.broker.netty.ServerContext;
import dev.claudemesh.broker.netty.config.Settings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Every HTTP route of the broker, in one table (PROTOCOL §6 and §9, DESIGN "Membership administration"). Adding a
 * route is one line here plus its handler in the class of its area; an area with its own authentication is one
 * {@code area(prefix, guard)} line.
 */
final class BrokerRoutes {

    private static final Logger log = LoggerFactory.getLogger(BrokerRoutes.class);

    private BrokerRoutes() {
    }

    static RouteTable table(ServerContext server, HttpApi.Stores stores, BrokerMetricsExporter metricsExporter) {
        BlockingCalls calls = new BlockingCalls(server.blocking());
        BearerAuth adminAuth = BearerAuth.of(server.config().adminToken(), BearerAuth.Unset.HIDDEN, ErrorBody.PLAIN);
        BearerAuth hookAuth = BearerAuth.of(server.config().hookToken(), BearerAuth.Unset.OPEN, ErrorBody.OK_FALSE);
        EnrolmentAudit audit = new EnrolmentAudit(stores.auditOutbox(), server.durable());
        MembershipAdmin membership = stores.membership().withListener(new MembershipAdmin.Listener() {
            @Override
            public void memberAdded(Member m) {
                server.broker().memberAdded(m.meshId(), m.pubkey());
            }

            @Override
            public void memberRevoked(Member m) {
                // after the commit: a reconnect now fails with `revoked`, and live sockets close 4002 banned
                server.broker().revoked(m.meshId(), m.id(), m.pubkey());
            }

            @Override
            public void auditEventsQueued(String meshId) {
                audit.drain();
            }

            @Override
            public void meshDeleted(AdminListing.DeletedMesh d) {
                // after the commit: end the mesh's leases and drop its state, then let the writer commit what it
                // had queued for the mesh, so that the sweep after this call finds those rows
                awaitMeshDeleted(server, d);
            }
        });
        stores.wired().accept(membership);
        startEnrolment(server, audit, membership.keys());

        HealthRoutes health = new HealthRoutes(server, metricsExporter);
        HookRoutes hooks = new HookRoutes(server.broker().hooks(), server.metrics(), hookAuth);
        JoinApi join = new JoinApi(server, membership.invites(), audit, calls);
        AdminRoutes admin = new AdminRoutes(server.broker(), membership, calls);
        InviteAdmin invites = new InviteAdmin(server, membership, calls);
        MemberApi members = new MemberApi(server.broker(), stores.memberProfiles(),
                new MemberCredential(server.clock(), server.broker().settings().skewMs()), audit, calls, server.clock());
        // the REST API of PROTOCOL-MESH §8.10 (topics, members, notifications, me/*), with bearer API keys
        ApiAuth apiAuth = new ApiAuth(stores.api().keys(), calls, server.clock());
        TopicApi topics = new TopicApi(server.broker(), stores.api(), apiAuth, server.clock());
        TopicStreamApi streams = new TopicStreamApi(server.broker(), topics, apiAuth, server.clock(),
                server.config().get(Settings.TOPIC_STREAM_HEARTBEAT_MS),
                server.config().get(Settings.TOPIC_STREAM_MAX_PENDING_BYTES));
        MeApi me = new MeApi(server.broker(), stores.api(), apiAuth, server.clock());
        MeshAdmin meshes = new MeshAdmin(server.broker(), membership, calls, server.clock());
        PeerStreamApi peerStream = new PeerStreamApi(server.broker(), membership, calls);
        NodeStats node = new NodeStats(server);
        RouteTable.Builder routes = RouteTable.builder()
                .get("/health", health::health)
                .get("/metrics", health::metrics)
                .post("/hook/set-status", hooks::setStatus)
                .post("/join", join::join)
                .get("/mesh/{meshId}/members", members::members)
                .patch("/mesh/{meshId}/member/{memberId}", members::updateMember)
                .patch("/mesh/{meshId}/settings", members::updateSettings)
                .area("/admin", adminAuth)
                .get("/admin/node", node::node)
                .get("/admin/meshes", meshes::list)
                .post("/admin/meshes", admin::createMesh)
                .get("/admin/meshes/{meshId}", meshes::get)
                .delete("/admin/meshes/{meshId}", meshes::delete)
                .get("/admin/meshes/{meshId}/members", meshes::members)
                .get("/admin/meshes/{meshId}/invites", meshes::invites)
                .get("/admin/meshes/{meshId}/peers/stream", peerStream::stream)
                .post("/admin/meshes/{meshId}/members", admin::addMember)
                .post("/admin/meshes/{meshId}/members/{memberId}/revoke", admin::revokeMember)
                .post("/admin/meshes/{meshId}/members/{memberId}/unban", admin::unbanMember)
                .post("/admin/meshes/{meshId}/members/{memberId}/kick", admin::kickMember)
                .post("/admin/meshes/{meshId}/members/{memberId}/role", admin::setRole)
                .get("/admin/meshes/{meshId}/peers", admin::peers)
                .get("/admin/meshes/{meshId}/audit/verify", admin::verifyAudit)
                .post("/admin/meshes/{meshId}/invites", invites::create)
                .post("/admin/meshes/{meshId}/invites/{inviteId}/revoke", invites::revoke)
                .area("/api/v1", apiAuth)
                .post("/api/v1/messages", topics::postMessage)
                .get("/api/v1/topics/{name}/messages", topics::messages)
                .get("/api/v1/topics/{name}/stream", streams::stream)
                .get("/api/v1/topics/{name}/key", topics::key)
                .get("/api/v1/topics/{name}/pending-seals", topics::pendingSeals)
                .post("/api/v1/topics/{name}/seal", topics::seal)
                .get("/api/v1/notifications", me::notifications)
                .get("/api/v1/members", topics::members)
                .get("/api/v1/me/workspace", me::workspace)
                .get("/api/v1/me/topics", me::topics)
                .get("/api/v1/me/notifications", me::meNotifications)
                .get("/api/v1/me/activity", me::activity)
                .get("/api/v1/me/search", me::search)
                .get("/api/v1/me/tasks", me::noUser)
                .get("/api/v1/me/state", me::noUser)
                .get("/api/v1/me/memory", me::noUser);
        if (adminAuth.enabled()) { // the console exists only where the admin API does
            new ConsoleRoutes().register(routes);
        }
        return routes.build();
    }

    /** Longest a mesh deletion waits for the broker to stop the mesh, then for the writer to drain. */
    private static final long MESH_DELETE_WAIT_MS = 10_000;

    private static void awaitMeshDeleted(ServerContext server, AdminListing.DeletedMesh d) {
        try {
            server.broker().meshDeleted(d.meshId(), d.memberPubkeys()).get(MESH_DELETE_WAIT_MS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        } catch (ExecutionException | TimeoutException e) {
            log.warn("mesh {}: its state was not dropped in time: {}", d.meshId(), e.toString());
        }
        if (!server.durable().flush(MESH_DELETE_WAIT_MS)) {
            log.warn("mesh {}: the writer did not drain within {} ms; rows it commits later for the deleted mesh "
                    + "stay in the database", d.meshId(), MESH_DELETE_WAIT_MS);
        }
    }

    /**
     * Once at startup, on the blocking pool: move the enrolment audit events the jar's {@code invite} subcommands
     * left in the outbox into the chain, and give meshes without owner keys (created before schema version 2, or by
     * the jar's {@code mesh create}) their keys.
     */
    private static void startEnrolment(ServerContext server, EnrolmentAudit audit, MeshKeys keys) {
        try {
            server.blocking().execute(() -> {
                audit.drain();
                try {
                    int n = keys.ensureAll();
                    if (n > 0) {
                        log.info("created owner keys for {} meshes that had none", n);
                    }
                } catch (RuntimeException e) {
                    log.warn("owner keys of existing meshes not created yet (they will be at their first invite): {}",
                            e.toString());
                }
            });
        } catch (RejectedExecutionException e) {
            // shutting down already: the events stay queued for the next start
        }
    }
}
