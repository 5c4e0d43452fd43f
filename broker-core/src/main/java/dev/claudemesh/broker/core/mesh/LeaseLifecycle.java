package dev.claudemesh.broker.core.mesh;

import dev.claudemesh.broker.core.BrokerMetrics;
import dev.claudemesh.broker.core.Ids;
import dev.claudemesh.broker.core.audit.AuditEvent;
import dev.claudemesh.broker.core.envelope.Frames;
import dev.claudemesh.broker.core.envelope.Inbound;
import dev.claudemesh.broker.core.model.Member;
import dev.claudemesh.broker.core.port.Fanout;
import dev.claudemesh.broker.core.port.MeshLoop;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * A lease's life in one mesh (PROTOCOL §5): registration of an authenticated socket (new lease, reattach, sessionId
 * dedup, a proven session key taking over an unproven claim), grace when its socket closes, and the one ending path
 * {@link #end(Lease, Ending, long)}. Tells the services' {@link LeaseListener}s after each step. <b>Thread:</b> the
 * mesh loop.
 */
final class LeaseLifecycle {

    private static final Logger log = LoggerFactory.getLogger(LeaseLifecycle.class);
    private static final LeaseListener[] NO_LISTENERS = new LeaseListener[0];

    private final MeshState mesh;
    private final MeshLoop loop;
    private final long graceMs;
    private final int maxLeases;
    private final BrokerMetrics metrics;
    private final HookIndex hooks;
    private final LeaseTable leases;
    private final DmQueues queues;
    private final Journal journal;
    private LeaseListener[] listeners = NO_LISTENERS;
    /** True when a service restores saved peer state into hello leases ({@link LeaseRestorer}). */
    private boolean restoring;

    LeaseLifecycle(MeshState mesh, MeshLoop loop, long graceMs, int maxLeases, BrokerMetrics metrics, HookIndex hooks,
                   LeaseTable leases, DmQueues queues, Journal journal) {
        this.mesh = mesh;
        this.loop = loop;
        this.graceMs = graceMs;
        this.maxLeases = maxLeases;
        this.metrics = metrics;
        this.hooks = hooks;
        this.leases = leases;
        this.queues = queues;
        this.journal = journal;
    }

    /** The services' states that listen to lease events (set once the services exist). */
    void listeners(List<LeaseListener> l) {
        listeners = l.toArray(NO_LISTENERS);
    }

    /** Whether a service restores saved peer state into hello leases (set once the services exist). */
    void restoring(boolean restoring) {
        this.restoring = restoring;
    }

    /**
     * True when {@code register} would not make a new lease for this hello of {@code m}: it takes a lease over (a
     * reattach) or is refused for a key another member holds. Nothing needs restoring then.
     */
    boolean reattaches(Inbound in, Member m) {
        String skey = in.sessionPubkey == null || in.sessionPubkey.isEmpty() ? null : in.sessionPubkey;
        if (leases.bySessionKey(skey) != null) {
            return true;
        }
        return in.type == Inbound.Type.HELLO && graceLeaseOfSession(m, in.sessionId) != null;
    }

    /** The grace control-plane lease of {@code m} without a session key whose sessionId is {@code sessionId}. */
    private Lease graceLeaseOfSession(Member m, String sessionId) {
        if (sessionId == null) {
            return null;
        }
        for (Lease l : leases.ofMember(m.pubkey())) {
            if (!l.live && l.sessionPubkey == null && sessionId.equals(l.sessionId)) {
                return l;
            }
        }
        return null;
    }

    /**
     * Registers (or reattaches) the lease of an authenticated socket. Returns the rejection, or null.
     *
     * @param restored the member's saved peer state loaded for this hello (PROTOCOL-MESH §2.2), or null; ignored for
     *                 a reattach
     */
    HelloRejection register(PeerSession s, Inbound in, Member m, long nowMs, SavedPeerState restored) {
        boolean sessionHello = in.type == Inbound.Type.SESSION_HELLO;
        String skey = in.sessionPubkey == null || in.sessionPubkey.isEmpty() ? null : in.sessionPubkey;
        Lease existing = leases.bySessionKey(skey);
        if (existing != null && !existing.member.id().equals(m.id())) {
            if (!sessionHello || existing.peerRole != PeerRole.CONTROL_PLANE) {
                return HelloRejection.SESSION_PUBKEY_IN_USE;
            }
            // a session_hello proves possession of the key; a hello only claims it. The proven owner wins and the
            // unproven claim of another member is dropped, so a key cannot be squatted after its lease was evicted.
            log.warn("mesh {}: presence {} claimed a session key it could not prove; dropped for its owner",
                    mesh.meshId, existing.presenceId);
            end(existing, Ending.UNPROVEN_CLAIM, nowMs);
            existing = null;
        }
        Lease reattach = existing;
        if (reattach == null && !sessionHello) {
            reattach = graceLeaseOfSession(m, in.sessionId);
        }
        if (reattach != null) {
            takeOver(reattach, s, in, nowMs);
            return null;
        }
        // before the sessionId dedup: a lease it replaces means the member never left
        boolean memberPresent = !leases.ofMember(m.pubkey()).isEmpty();
        if (in.sessionId != null) {
            for (Lease l : new ArrayList<>(leases.ofMember(m.pubkey()))) {
                if (in.sessionId.equals(l.sessionId)) {
                    end(l, Ending.SESSION_REPLACED, nowMs);
                }
            }
        }
        if (leases.size() >= maxLeases) {
            return HelloRejection.CAPACITY;
        }
        Lease l = new Lease(Ids.newId(), mesh, m, sessionHello ? PeerRole.SESSION : PeerRole.CONTROL_PLANE, nowMs);
        l.sessionPubkey = skey;
        applyHelloFields(l, in);
        if (sessionHello) {
            restored = null; // a session_hello never restores (PROTOCOL-MESH §2.2)
        }
        boolean helloHasGroups = in.groups != null && !in.groups.isEmpty();
        boolean restoredGroups = !helloHasGroups && restored != null && !restored.groups().isEmpty();
        l.groups.addAll(helloHasGroups ? in.groups : restoredGroups ? restored.groups() : m.defaultGroups());
        if (restored != null) {
            l.visible = restored.visible();
            l.profile = restored.profile();
            l.restored = restored;
        }
        // a return only when the member was away: it had no lease in the mesh (PROTOCOL-MESH §16 defect 11 [fix])
        boolean returning = restored != null && !memberPresent;
        l.role = in.role != null ? in.role : m.roleTag();
        l.session = s;
        l.live = true;
        s.lease = l;
        leases.add(l);
        hooks.indexLease(l);
        metrics.connectionsTotal.increment();

        s.conn.send(sessionHello
                ? Frames.helloAck(l.presenceId, m.displayName(), m.roleTag(), l.groups, m.messageMode(), true)
                : HelloAcks.hello(l, m, restored, restoredGroups));
        s.conn.execute(s::authSucceeded);
        log.info("conn {} {} accepted: mesh {} member {} presence {}{}", s.conn.id(),
                sessionHello ? "session_hello" : "hello", mesh.meshId, m.id(), l.presenceId,
                restored != null ? " (peer state restored)" : "");

        journal.presence(l);
        Boolean restoredFlag = sessionHello || !restoring ? null : restored != null;
        journal.audit(m.id(), new AuditEvent.PeerJoined(m.pubkey(), l.groups, l.role, sessionHello ? skey : null,
                restoredFlag), nowMs);
        byte[] joined = returning ? journal.peerReturned(l, restored, nowMs) : journal.peerJoined(l, nowMs);
        Fanout out = loop.fanout(); // one hop per socket thread (ARCHITECTURE "Fan-out batching")
        for (Lease other : leases.all()) {
            // a session_hello is announced to every other live lease; a hello to other members' leases only
            if (other != l && other.live && (sessionHello || !other.member.id().equals(m.id()))) {
                out.send(other.session.conn, joined);
            }
        }
        out.finish();
        hooks.applyPending(l);
        queues.drain(l, nowMs);
        tell(l, listener -> listener.leaseRegistered(l, false));
        return null;
    }

    /** A reattach: the lease keeps its presence id, groups and status; no system event. */
    private void takeOver(Lease l, PeerSession s, Inbound in, long nowMs) {
        PeerSession old = l.session;
        if (old != null && old != s) {
            detach(old, 1000, "session_replaced");
        }
        if (l.graceTask != null) {
            l.graceTask.cancel();
            l.graceTask = null;
        }
        applyHelloFields(l, in);
        l.session = s;
        l.live = true;
        s.lease = l;
        hooks.indexLease(l);
        metrics.connectionsTotal.increment();
        s.conn.send(in.type == Inbound.Type.HELLO ? HelloAcks.helloReattach(l)
                : Frames.helloAck(l.presenceId, l.member.displayName(), null, null, null, false));
        s.conn.execute(s::authSucceeded);
        log.info("conn {} reattached presence {} in mesh {}", s.conn.id(), l.presenceId, mesh.meshId);
        journal.presence(l);
        hooks.applyPending(l);
        queues.drain(l, nowMs);
        tell(l, listener -> listener.leaseRegistered(l, true));
    }

    private static void applyHelloFields(Lease l, Inbound in) {
        if (in.sessionId != null) {
            l.sessionId = in.sessionId;
        }
        if (in.displayName != null && !in.displayName.isEmpty()) {
            l.displayName = in.displayName;
        } else if (l.displayName == null) {
            l.displayName = l.member.displayName();
        }
        if (in.pid != null) {
            l.pid = in.pid;
        }
        if (in.cwd != null) {
            l.cwd = in.cwd;
        }
        if (in.hostname != null) {
            l.hostname = in.hostname;
        }
        if (in.peerType != null) {
            l.peerType = in.peerType;
        }
        if (in.channel != null) {
            l.channel = in.channel;
        }
        if (in.model != null) {
            l.model = in.model;
        }
    }

    /** The socket of {@code s} closed: its claims are released; its lease (if it still owns it) enters grace. */
    void socketClosed(PeerSession s, long nowMs) {
        queues.unclaimAll(s);
        Lease l = s.lease;
        if (l == null || s.replaced || l.session != s || l.removed) {
            return;
        }
        l.session = null;
        l.live = false;
        l.graceTask = loop.schedule(() -> graceExpired(l), graceMs);
        log.info("conn {} closed: presence {} in grace", s.conn.id(), l.presenceId);
        queues.drainMember(l.member.pubkey(), nowMs);
        tell(l, listener -> listener.socketClosed(l));
    }

    private void graceExpired(Lease l) {
        if (!l.removed && !l.live) {
            end(l, Ending.GRACE_EXPIRED, mesh.nowMs());
        }
    }

    /** Closes a socket that no longer owns its lease: its later close is ignored, its claimed DMs are released. */
    private void detach(PeerSession s, int code, String reason) {
        s.replaced = true;
        queues.unclaimAll(s);
        s.conn.close(code, reason);
    }

    /**
     * The one way a lease ends (see {@link Ending}): its socket (if any) detached and closed with the ending's code,
     * the lease removed from every index (capacity freed), its presence row disconnected, then the audit and the
     * {@code peer_left} push when the ending calls for them, then the services' listeners.
     */
    void end(Lease l, Ending ending, long nowMs) {
        if (l.removed) {
            return;
        }
        PeerSession s = l.session;
        if (s != null && ending.closeCode() != 0) {
            detach(s, ending.closeCode(), ending.closeReason());
        }
        l.removed = true;
        l.live = false;
        if (l.graceTask != null) {
            l.graceTask.cancel();
            l.graceTask = null;
        }
        leases.remove(l);
        hooks.unindexLease(l);
        log.info("presence {} of mesh {} ended: {}", l.presenceId, mesh.meshId, ending);
        journal.disconnected(l, nowMs);
        if (ending.audited()) {
            journal.audit(l.member.id(), AuditEvent.PeerLeft.INSTANCE, nowMs);
        }
        if (ending.notifiesPeers()) {
            byte[] left = journal.peerLeft(l, nowMs);
            Fanout out = loop.fanout();
            for (Lease other : leases.all()) {
                if (other.live && !other.member.id().equals(l.member.id())) {
                    out.send(other.session.conn, left);
                }
            }
            out.finish();
        }
        tell(l, listener -> listener.leaseEnded(l, ending));
    }

    /** Tells every listener; one that throws is logged and does not stop the core or the other listeners. */
    private void tell(Lease l, Consumer<LeaseListener> event) {
        for (LeaseListener listener : listeners) {
            try {
                event.accept(listener);
            } catch (RuntimeException e) {
                log.error("mesh {}: lease listener {} failed on presence {}", mesh.meshId,
                        listener.getClass().getName(), l.presenceId, e);
            }
        }
    }

    /** Ends every lease of the member {@code memberId} with {@code ending}. */
    void endMember(String memberId, Ending ending, long nowMs) {
        for (Lease l : new ArrayList<>(leases.all())) {
            if (l.member.id().equals(memberId)) {
                end(l, ending, nowMs);
            }
        }
    }

    /** Ends every lease with {@code ending}. */
    void endAll(Ending ending, long nowMs) {
        for (Lease l : new ArrayList<>(leases.all())) {
            end(l, ending, nowMs);
        }
    }
}
