package dev.claudemesh.broker.core.mesh;

import dev.claudemesh.broker.core.audit.AuditEvent;
import dev.claudemesh.broker.core.envelope.Frames;
import dev.claudemesh.broker.core.envelope.Inbound;
import dev.claudemesh.broker.core.envelope.JsonOut;
import dev.claudemesh.broker.core.model.Member;
import dev.claudemesh.broker.core.model.RecentSend;
import dev.claudemesh.broker.core.model.StoredMessage;
import dev.claudemesh.broker.core.port.Fanout;
import dev.claudemesh.broker.core.port.MeshLoop;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * One mesh, as the rest of the broker sees it: the entry points (register a lease, handle a frame, a socket closed,
 * revoke, shutdown, boot restores), the dispatch of frames to the registered handlers, and the timers. The state
 * lives in the parts of {@link MeshCore} and in the services' per-mesh states.
 *
 * <p><b>Thread:</b> every method except the constructor and {@link #auditHelloRejected} (which only submits to
 * the thread-safe durable log) runs on {@link #loop}; nothing here is locked. Sockets of
 * other loops are written through {@link dev.claudemesh.broker.core.port.PeerConnection#send}, which hops threads
 * itself. Each entry point and each timer tick reads the clock once.</p>
 */
final class MeshState {

    private static final Logger log = LoggerFactory.getLogger(MeshState.class);
    /** Period of the expiry sweep. */
    private static final long EXPIRY_SWEEP_MS = 60_000;
    /** Longest a hello waits for the member's saved peer state before it is registered without it. */
    static final long RESTORE_WAIT_MS = 5_000;

    final String meshId;
    final MeshLoop loop;
    private final Broker broker;
    final MeshCore core;
    /** The core's lease table (also read by socket threads' capacity probes). */
    final LeaseTable leases;
    /** Per-mesh state of each service, by service index; created by {@link #start()}. */
    private Object[] serviceStates;
    /** The service state that restores saved peer state into control-plane leases, or null (none installed). */
    private LeaseRestorer restorer;
    /** The mesh's timers, all stopped when it is deleted. */
    private final ScopedLoop scope;
    /** The admin API's live peer streams. */
    final PeerWatch peerWatch;
    /** Set once the operator deleted the mesh: its state is gone, hellos still on their way are refused. */
    private boolean deleted;

    MeshState(Broker broker, String meshId, MeshLoop loop) {
        this.broker = broker;
        this.meshId = meshId;
        this.scope = new ScopedLoop(loop);
        this.loop = scope;
        this.core = new MeshCore(broker, this, meshId, scope);
        this.leases = core.leases;
        this.peerWatch = new PeerWatch(this, scope);
    }

    /**
     * Creates the services' per-mesh states and arms the timers. Runs on the loop as the mesh's first task
     * ({@link Broker#mesh}), so every later task finds them.
     */
    void start() {
        List<MeshService<?>> services = broker.registry.services();
        Object[] states = new Object[services.size()];
        List<LeaseListener> listeners = new ArrayList<>();
        for (int i = 0; i < states.length; i++) {
            try {
                states[i] = services.get(i).createMeshState(core);
            } catch (RuntimeException e) {
                // that service's requests fail (internal_error); the core and the other services keep working
                log.error("mesh {}: service {} could not create its state", meshId, services.get(i).name(), e);
            }
            if (states[i] instanceof LeaseListener l) {
                listeners.add(l);
            }
            if (states[i] instanceof LeaseRestorer r) {
                if (restorer == null) {
                    restorer = r;
                } else {
                    log.error("mesh {}: service {} restores peer state too; only the first one is used", meshId,
                            services.get(i).name());
                }
            }
        }
        serviceStates = states;
        listeners.add(peerWatch);
        core.lifecycle.listeners(listeners);
        core.lifecycle.restoring(restorer != null);
        long redeliverySweepMs = Math.max(50, Math.min(1000, broker.settings.redeliveryMs() / 10));
        loop.scheduleAtFixedRate(() -> core.queues.redeliver(nowMs()), redeliverySweepMs);
        loop.scheduleAtFixedRate(() -> core.statusRules.sweep(leases.all(), nowMs()), broker.settings.statusSweepMs());
        loop.scheduleAtFixedRate(() -> core.queues.expire(nowMs()), EXPIRY_SWEEP_MS);
    }

    long nowMs() {
        return broker.clock.millis();
    }

    // ------------------------------------------------------------------------------------------ leases

    /**
     * Registers (or reattaches) the lease of an authenticated socket, or rejects it. A {@code hello} that will make a
     * new lease first loads the member's saved peer state when a service restores it ({@link LeaseRestorer}); frames
     * that arrive meanwhile wait in the session, as during the other hello checks.
     */
    void admit(PeerSession s, Inbound in, Member m) {
        if (s.closed) {
            s.conn.execute(s::authFailed);
            return;
        }
        LeaseRestorer r = restorer;
        if (r == null || in.type != Inbound.Type.HELLO || core.lifecycle.reattaches(in, m)) {
            registerOrReject(s, in, m, null);
            return;
        }
        CompletionStage<SavedPeerState> saved;
        try {
            saved = r.load(m);
        } catch (RuntimeException e) {
            saved = CompletableFuture.failedFuture(e);
        }
        // as the original, a hello is never refused for this: a failed or slow load (the database down) registers the
        // lease as if nothing was saved, within RESTORE_WAIT_MS, so the hello stays well inside its own deadline
        boolean[] decided = {false};
        MeshLoop.Cancellable timer = loop.schedule(() -> {
            if (!decided[0]) {
                decided[0] = true;
                log.warn("mesh {}: saved peer state of member {} not loaded within {} ms; registered without it",
                        meshId, m.id(), RESTORE_WAIT_MS);
                registerOrReject(s, in, m, null);
            }
        }, RESTORE_WAIT_MS);
        saved.whenComplete((state, error) -> loop.execute(() -> {
            if (decided[0]) {
                return;
            }
            decided[0] = true;
            timer.cancel();
            if (error != null) {
                log.warn("mesh {}: saved peer state of member {} not loaded: {}", meshId, m.id(), error.toString());
            }
            registerOrReject(s, in, m, error == null ? state : null);
        }));
    }

    private void registerOrReject(PeerSession s, Inbound in, Member m, SavedPeerState restored) {
        if (s.closed) {
            s.conn.execute(s::authFailed);
            return;
        }
        if (deleted) { // the member was found before the mesh was deleted
            broker.authenticator.reject(s, in, HelloRejection.UNAUTHORIZED, null, null);
            return;
        }
        HelloRejection code = core.lifecycle.register(s, in, m, nowMs(), restored);
        if (code != null) {
            broker.authenticator.reject(s, in, code, m, this);
        }
    }

    /** Registers (or reattaches) a lease at once, restoring nothing (benchmarks). Returns the rejection, or null. */
    HelloRejection register(PeerSession s, Inbound in, Member m) {
        return core.lifecycle.register(s, in, m, nowMs(), null);
    }

    /** The socket of {@code s} closed: its lease (if it still owns it) enters grace. */
    void socketClosed(PeerSession s) {
        core.lifecycle.socketClosed(s, nowMs());
    }

    /** Ends every lease of a revoked member (close 4002 {@code banned}). */
    void revoke(String memberId) {
        core.lifecycle.endMember(memberId, Ending.REVOKED, nowMs());
    }

    /**
     * The operator deleted the mesh (its rows are gone): every lease ends ({@link Ending#MESH_DELETED}), the DMs held
     * are dropped, services holding something open let it go ({@link MeshDeletedListener}), peer watchers are told,
     * and every timer of the mesh stops. Idempotent.
     */
    void delete() {
        if (deleted) {
            return;
        }
        deleted = true;
        core.lifecycle.endAll(Ending.MESH_DELETED, nowMs());
        core.queues.clear();
        for (Object state : serviceStates) {
            if (state instanceof MeshDeletedListener l) {
                try {
                    l.meshDeleted();
                } catch (RuntimeException e) {
                    log.error("mesh {}: service state {} failed on delete", meshId, state.getClass().getName(), e);
                }
            }
        }
        peerWatch.meshDeleted();
        scope.close();
        log.info("mesh {} deleted: its leases ended and its state dropped", meshId);
    }

    /**
     * The operator's kick of a member (admin API): each of its session leases is audited {@code member_kicked} and
     * ended {@link Ending#KICKED}, as a mesh admin's {@code kick} does; control-plane leases are spared. Returns
     * {kicked, spared}.
     */
    int[] kickMember(String memberId) {
        int spared = 0;
        List<Lease> chosen = new ArrayList<>();
        for (Lease l : leases.all()) {
            if (l.member.id().equals(memberId)) {
                if (l.peerRole == PeerRole.CONTROL_PLANE) {
                    spared++;
                } else {
                    chosen.add(l);
                }
            }
        }
        for (Lease l : chosen) {
            core.audit(null, new AuditEvent.MemberKicked(l.member.pubkey(), Ending.KICKED.closeReason()));
            core.lifecycle.end(l, Ending.KICKED, nowMs());
        }
        return new int[] {chosen.size(), spared};
    }

    /** True once {@link #delete()} ran. */
    boolean deleted() {
        return deleted;
    }

    /** The mesh's timers (tests). */
    ScopedLoop scope() {
        return scope;
    }

    /** Broker shutdown: closes every socket 1001 and marks every presence disconnected. */
    void shutdown() {
        core.lifecycle.endAll(Ending.SHUTDOWN, nowMs());
    }

    /** Offers a status to {@code l} under the rules of {@link StatusRules}; true when it is now {@code status}. */
    boolean applyStatus(Lease l, Status status, StatusSource source) {
        return core.statusRules.apply(l, status, source, nowMs());
    }

    /** Audits a rejected hello; any thread. */
    void auditHelloRejected(Member m, HelloRejection reason) {
        core.journal.audit(m == null ? null : m.id(), new AuditEvent.HelloRejected(reason.code()), nowMs());
    }

    // ------------------------------------------------------------------------------------------ frames

    /**
     * Dispatches a frame of an authenticated socket to the handler registered for its type; frames of a socket that
     * no longer owns its lease are dropped. Unknown types get {@code unknown_message_type}, unparsable frames
     * {@code bad_request}.
     */
    void handle(PeerSession s, Inbound in) {
        Lease l = s.lease;
        if (l == null || s.replaced || l.session != s) {
            return;
        }
        HandlerRegistry.Route r = broker.registry.route(in);
        if (r == null) {
            unhandled(s, in);
            return;
        }
        r.requests.increment();
        try {
            r.handler.handle(serviceStates[r.service], s, in);
        } catch (RuntimeException e) {
            log.error("conn {}: the {} handler failed in mesh {}", s.conn.id(), r.type, meshId, e);
            broker.metrics.requestError(r.type, "internal_error");
            s.conn.send(Frames.error("internal_error", "the broker could not handle this " + r.type, in));
        }
    }

    /** True when {@link #handle} keeps nothing of {@code in} itself past the call ({@link HandlerRegistry#lendable}). */
    boolean lendable(Inbound in) {
        return broker.registry.lendable(in);
    }

    /**
     * Hands a checked {@code #<topicId>} send to the service that serves topic sends; false when none does (the
     * caller refuses the send).
     */
    boolean routeTopicSend(RoutedSend send) {
        HandlerRegistry.TopicRoute r = broker.registry.topicSends();
        if (r == null) {
            return false;
        }
        r.handler.handle(serviceStates[r.service], send);
        return true;
    }

    /** The per-mesh state of the first service whose state is a {@code type}, or null. Loop only. */
    <S> S serviceState(Class<S> type) {
        for (Object state : serviceStates) {
            if (type.isInstance(state)) {
                return type.cast(state);
            }
        }
        return null;
    }

    private void unhandled(PeerSession s, Inbound in) {
        if (in.type == Inbound.Type.MALFORMED) {
            log.info("conn {}: frame rejected: bad_request", s.conn.id());
            s.conn.send(Frames.error("bad_request", in.error, in));
            return;
        }
        broker.unknownTypes.seen(in.rawType, s.conn.id());
        s.conn.send(Frames.error("unknown_message_type",
                "unknown message type: " + (in.rawType == null ? "(none)" : in.rawType), in));
    }

    // ------------------------------------------------------------------------------------------ boot, admin, tests

    /** Adds a DM reloaded from the database at boot. */
    void restore(StoredMessage m) {
        core.queues.restore(m);
    }

    /** Remembers a send committed before a restart, as committed, unless the window already holds its key. */
    void restoreRecentSend(RecentSend r) {
        core.idempotency.restore(r, nowMs());
    }

    /** What the DM queues hold now (admin API). */
    QueueStats queueStats() {
        return new QueueStats(core.queues.size(), core.queues.claimedCount(), core.queues.oldestCreatedAtMs());
    }

    /** Live leases (socket attached) and all leases (grace included). */
    int[] leaseCounts() {
        int live = 0;
        for (Lease l : leases.all()) {
            if (l.live) {
                live++;
            }
        }
        return new int[] {live, leases.size()};
    }

    /** The {@code peers_list} peers array (admin API: every lease, hidden ones included). */
    byte[] peersJson() {
        JsonOut o = new JsonOut(512);
        ListPeersHandler.writePeers(o, leases, null);
        return o.toBytes();
    }

    /** Pushes {@code frame} to every live lease of the member {@code memberId} (e.g. {@code profile_updated}). */
    void pushToMember(String memberId, byte[] frame) {
        Fanout out = loop.fanout();
        for (Lease l : leases.all()) {
            if (l.member.id().equals(memberId)) {
                core.send(out, l, frame);
            }
        }
        out.finish();
    }

    /** The per-mesh state of the service at {@code index} (tests). */
    Object serviceState(int index) {
        return serviceStates[index];
    }

    /** Number of undelivered DMs held in memory (tests, metrics). */
    int queuedCount() {
        return core.queues.size();
    }
}
