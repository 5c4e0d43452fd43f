package dev.claudemesh.broker.core.mesh;

import dev.claudemesh.broker.core.Ids;
import dev.claudemesh.broker.core.audit.AuditChain;
import dev.claudemesh.broker.core.audit.AuditEvent;
import dev.claudemesh.broker.core.crypto.Hex;
import dev.claudemesh.broker.core.envelope.Frames;
import dev.claudemesh.broker.core.envelope.Inbound;
import dev.claudemesh.broker.core.envelope.JsonOut;
import dev.claudemesh.broker.core.model.GroupRole;
import dev.claudemesh.broker.core.model.Member;
import dev.claudemesh.broker.core.model.RecentSend;
import dev.claudemesh.broker.core.model.StoredMessage;
import dev.claudemesh.broker.core.port.DurableOp;
import dev.claudemesh.broker.core.port.MeshLoop;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * All state of one mesh: leases, groups, status, DM queues, claims, rate limits, idempotency.
 * <b>Thread:</b> every method except the constructor and the read-only capacity probes runs on {@link #loop};
 * nothing here is locked. Sockets of other loops are written through {@link dev.claudemesh.broker.core.port.PeerConnection#send},
 * which hops threads itself.
 */
public final class MeshState {

    private static final Logger log = LoggerFactory.getLogger(MeshState.class);
    private static final List<String> DEFAULT_CAPS = List.of("read", "dm", "broadcast", "state-read");
    private static final int MAX_GROUPS_PER_LEASE = 64;
    private static final int MAX_GROUP_NAME = 128;
    private static final int MAX_SUMMARY = 1024;

    final String meshId;
    final MeshLoop loop;
    private final Broker broker;

    final LeaseTable leases = new LeaseTable();

    final DmQueues queues;
    private final HashMap<String, TokenBucket> sendBucketByMemberId = new HashMap<>();
    final IdempotencyWindow idempotency;
    final StatusRules statusRules;

    MeshState(Broker broker, String meshId, MeshLoop loop) {
        this.broker = broker;
        this.meshId = meshId;
        this.loop = loop;
        this.queues = new DmQueues(leases, broker.metrics, broker.settings.redeliveryMs());
        this.idempotency = new IdempotencyWindow(loop, broker.settings.idempotencyWindowMs());
        this.statusRules = new StatusRules(broker.settings.hookFreshWindowMs(), broker.settings.statusTtlMs(), queues,
                broker.metrics);
        long redeliverySweep = Math.max(50, Math.min(1000, broker.settings.redeliveryMs() / 10));
        loop.scheduleAtFixedRate(() -> queues.redeliver(broker.clock.millis()), redeliverySweep);
        loop.scheduleAtFixedRate(() -> statusRules.sweep(leases.all(), broker.clock.millis()),
                broker.settings.statusSweepMs());
        loop.scheduleAtFixedRate(() -> queues.expire(broker.clock.millis()), 60_000);
    }

    // ------------------------------------------------------------------------------------------ registration

    /** Registers (or reattaches) the lease of an authenticated socket. Returns a rejection code, or null. */
    String register(PeerSession s, Inbound in, Member m) {
        if (s.closed) {
            s.conn.execute(s::authFailed);
            return null;
        }
        boolean sessionHello = in.type == Inbound.Type.SESSION_HELLO;
        String skey = in.sessionPubkey == null || in.sessionPubkey.isEmpty() ? null : in.sessionPubkey;
        long now = broker.clock.millis();
        Lease existing = leases.bySessionKey(skey);
        if (existing != null && !existing.member.id().equals(m.id())) {
            if (!sessionHello || existing.peerRole != PeerRole.CONTROL_PLANE) {
                return "session_pubkey_in_use";
            }
            // a session_hello proves possession of the key; a hello only claims it. The proven owner wins and the
            // unproven claim of another member is dropped, so a key cannot be squatted after its lease was evicted.
            log.warn("mesh {}: presence {} claimed a session key it could not prove; dropped for its owner", meshId,
                    existing.presenceId);
            end(existing, Ending.UNPROVEN_CLAIM, now);
            existing = null;
        }
        Lease reattach = existing;
        if (reattach == null && !sessionHello && in.sessionId != null) {
            for (Lease l : leases.ofMember(m.pubkey())) {
                if (!l.live && l.sessionPubkey == null && in.sessionId.equals(l.sessionId)) {
                    reattach = l;
                    break;
                }
            }
        }
        if (reattach != null) {
            takeOver(reattach, s, in, now);
            return null;
        }
        if (in.sessionId != null) {
            for (Lease l : new ArrayList<>(leases.ofMember(m.pubkey()))) {
                if (in.sessionId.equals(l.sessionId)) {
                    // sessionId dedup: the newer hello replaces the older lease, capacity freed, no peer_left
                    end(l, Ending.SESSION_REPLACED, now);
                }
            }
        }
        if (leases.size() >= broker.settings.maxConnectionsPerMesh()) {
            return "capacity";
        }
        Lease l = new Lease(Ids.newId(), this, m, sessionHello ? PeerRole.SESSION : PeerRole.CONTROL_PLANE, now);
        l.sessionPubkey = skey;
        applyHelloFields(l, in);
        List<GroupRole> groups = in.groups != null && !in.groups.isEmpty() ? in.groups : m.defaultGroups();
        l.groups.addAll(groups);
        l.role = in.role != null ? in.role : m.roleTag();
        l.session = s;
        l.live = true;
        s.lease = l;
        leases.add(l);
        broker.hooks.indexLease(l);
        broker.metrics.connectionsTotal.increment();

        s.conn.send(Frames.helloAck(l.presenceId, m.displayName(), m.roleTag(), l.groups, m.messageMode(), true));
        s.conn.execute(s::authSucceeded);
        log.info("conn {} {} accepted: mesh {} member {} presence {}", s.conn.id(),
                sessionHello ? "session_hello" : "hello", meshId, m.id(), l.presenceId);

        upsertPresence(l);
        broker.durable.submit(new DurableOp.AppendAudit(meshId, m.id(),
                new AuditEvent.PeerJoined(m.pubkey(), l.groups, l.role, sessionHello ? skey : null), now));

        Map<String, Object> data = new LinkedHashMap<>();
        data.put("name", l.displayName);
        data.put("pubkey", l.routingKey());
        data.put("groups", groupsAsMaps(l.groups));
        byte[] joined = Frames.systemEvent(Ids.newId(), meshId, "peer_joined", data, now);
        for (Lease other : leases.all()) {
            if (other == l || !other.live) {
                continue;
            }
            if (!sessionHello && other.member.id().equals(m.id())) {
                continue;
            }
            other.session.conn.send(joined);
        }
        broker.hooks.applyPending(l);
        queues.drain(l, now);
        return null;
    }

    private void takeOver(Lease l, PeerSession s, Inbound in, long now) {
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
        broker.hooks.indexLease(l);
        broker.metrics.connectionsTotal.increment();
        s.conn.send(Frames.helloAck(l.presenceId, l.member.displayName(), null, null, null, false));
        s.conn.execute(s::authSucceeded);
        log.info("conn {} reattached presence {} in mesh {}", s.conn.id(), l.presenceId, meshId);
        upsertPresence(l);
        broker.hooks.applyPending(l);
        queues.drain(l, now);
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

    private void upsertPresence(Lease l) {
        broker.durable.submit(new DurableOp.UpsertPresence(meshId, l.presenceId, l.member.id(), l.sessionPubkey,
                l.sessionId, l.displayName, l.cwd, l.pid, l.status.wire(), l.peerRole.wire(), l.connectedAtMs));
    }

    private static List<Object> groupsAsMaps(List<GroupRole> groups) {
        List<Object> out = new ArrayList<>(groups.size());
        for (GroupRole g : groups) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", g.name());
            if (g.role() != null) {
                m.put("role", g.role());
            }
            out.add(m);
        }
        return out;
    }

    void auditHelloRejected(Member m, String reason) {
        broker.durable.submit(new DurableOp.AppendAudit(meshId, m == null ? null : m.id(),
                new AuditEvent.HelloRejected(reason), broker.clock.millis()));
    }

    // ------------------------------------------------------------------------------------------ socket life

    /** The socket of {@code s} closed: its lease (if it still owns it) enters grace. */
    void socketClosed(PeerSession s) {
        queues.unclaimAll(s);
        Lease l = s.lease;
        if (l == null || s.replaced || l.session != s || l.removed) {
            return;
        }
        l.session = null;
        l.live = false;
        l.graceTask = loop.schedule(() -> graceExpired(l), broker.settings.graceMs());
        log.info("conn {} closed: presence {} in grace", s.conn.id(), l.presenceId);
        queues.drainMember(l.member.pubkey(), broker.clock.millis());
    }

    private void graceExpired(Lease l) {
        if (!l.removed && !l.live) {
            end(l, Ending.GRACE_EXPIRED, broker.clock.millis());
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
     * {@code peer_left} push when the ending calls for them.
     */
    void end(Lease l, Ending ending, long now) {
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
        broker.hooks.unindexLease(l);
        log.info("presence {} of mesh {} ended: {}", l.presenceId, meshId, ending);
        broker.durable.submit(new DurableOp.DisconnectPresence(meshId, l.presenceId, now));
        if (ending.audited()) {
            broker.durable.submit(new DurableOp.AppendAudit(meshId, l.member.id(), AuditEvent.PeerLeft.INSTANCE, now));
        }
        if (ending.notifiesPeers()) {
            sendPeerLeft(l, now);
        }
    }

    private void sendPeerLeft(Lease l, long now) {
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("name", l.displayName);
        data.put("pubkey", l.routingKey());
        byte[] left = Frames.systemEvent(Ids.newId(), meshId, "peer_left", data, now);
        for (Lease other : leases.all()) {
            if (other.live && !other.member.id().equals(l.member.id())) {
                other.session.conn.send(left);
            }
        }
    }

    /** Closes and removes every lease of a revoked member (close 4002 {@code banned}). */
    void revoke(String memberId) {
        long now = broker.clock.millis();
        for (Lease l : new ArrayList<>(leases.all())) {
            if (l.member.id().equals(memberId)) {
                end(l, Ending.REVOKED, now);
            }
        }
    }

    /** Broker shutdown: close every live socket 1001 and mark every presence disconnected. */
    void shutdown() {
        long now = broker.clock.millis();
        for (Lease l : new ArrayList<>(leases.all())) {
            end(l, Ending.SHUTDOWN, now);
        }
    }

    // ------------------------------------------------------------------------------------------ frames

    void handle(PeerSession s, Inbound in) {
        Lease l = s.lease;
        if (l == null || s.replaced || l.session != s) {
            return;
        }
        switch (in.type) {
            case SEND -> send(s, l, in);
            case CLIENT_ACK -> clientAck(l, in);
            case LIST_PEERS -> s.conn.send(peersListFrame(in));
            case SET_STATUS -> setStatus(s, l, in);
            case SET_SUMMARY -> setSummary(s, l, in);
            case JOIN_GROUP -> joinGroup(s, l, in);
            case LEAVE_GROUP -> leaveGroup(s, l, in);
            case MALFORMED -> s.conn.send(Frames.error("bad_request", in.error, in));
            default -> s.conn.send(Frames.error("unknown_message_type",
                    "unknown message type: " + (in.rawType == null ? "(none)" : in.rawType), in));
        }
    }

    private void rejectSend(PeerSession s, Inbound in, String reason, String error) {
        broker.metrics.messageRejected(reason);
        s.conn.send(Frames.ackFailed(in, error));
    }

    private void send(PeerSession s, Lease l, Inbound in) {
        long now = broker.clock.millis();
        int perMin = broker.settings.sendRateLimitPerMin();
        if (perMin > 0) {
            TokenBucket b = sendBucketByMemberId.get(l.member.id());
            if (b == null) {
                b = new TokenBucket(perMin, broker.settings.sendRateBurst(), now);
                sendBucketByMemberId.put(l.member.id(), b);
            }
            if (!b.tryTake(now)) {
                rejectSend(s, in, "rate_limit", "rate_limit: max " + perMin + " msg/min (burst "
                        + broker.settings.sendRateBurst() + ") — slow down");
                return;
            }
        }
        int size = (in.nonce == null ? 0 : in.nonce.length) + (in.ciphertext == null ? 0 : in.ciphertext.length)
                + (in.targetSpec == null ? 0 : utf8Length(in.targetSpec));
        if (size > broker.settings.maxMessageBytes()) {
            rejectSend(s, in, "payload_too_large", "payload_too_large: " + size + " bytes > MAX_MESSAGE_BYTES="
                    + broker.settings.maxMessageBytes());
            return;
        }
        String invalid = validateSend(in);
        if (invalid != null) {
            rejectSend(s, in, "invalid", "invalid: " + invalid);
            return;
        }
        String priority = in.priority == null ? "next" : in.priority;
        String target = in.targetSpec;
        String senderKey = l.routingKey();

        IdempotencyWindow.Entry previous = null;
        String idemKey = null;
        if (in.clientMessageId != null && !in.clientMessageId.isEmpty()) {
            idemKey = IdempotencyWindow.key(senderKey, in.clientMessageId);
            previous = idempotency.lookup(idemKey, now);
        }
        if (previous != null) {
            byte[] ack = Frames.ackQueued(in, previous.messageId);
            if (!idempotency.deferUntilCommitted(previous, () -> s.conn.send(ack))) {
                s.conn.send(ack);
            }
            return;
        }

        if (target.equals("*") || target.equals("@all") || target.startsWith("@")) {
            multicast(s, l, in, target, priority, now, idemKey);
            return;
        }
        // DM: a session key first, else a member key
        Lease recipient = leases.bySessionKey(target);
        Member recipientMember;
        if (recipient != null) {
            if (recipient == l) {
                rejectSend(s, in, "no_peer", NO_PEER);
                return;
            }
            recipientMember = recipient.member;
        } else {
            List<Lease> ml = leases.ofMember(target);
            Lease any = null;
            for (Lease c : ml) {
                if (c != l) {
                    any = c;
                    break;
                }
            }
            if (any == null) {
                rejectSend(s, in, "no_peer", NO_PEER);
                return;
            }
            recipientMember = any.member;
        }
        if (!granted(recipientMember, l.member.pubkey(), "dm")) {
            broker.metrics.droppedByGrant("dm");
            rejectSend(s, in, "grants", "blocked by recipient grants (sender lacks dm capability)");
            return;
        }
        String messageId = Ids.newId();
        StoredMessage msg = new StoredMessage(messageId, meshId, l.member.id(), l.member.pubkey(), senderKey,
                l.displayName, target, priority, in.nonce, in.ciphertext, in.clientMessageId,
                in.requestFingerprint, now, now + broker.settings.dmExpiryMs());
        QueuedDm dm = new QueuedDm(msg);
        queues.enqueue(dm);
        broker.metrics.messageRouted(priority);
        // push before the commit: lowest latency; a crash now yields at most a duplicate (no ack was sent)
        if (recipient != null) {
            if (recipient.live && recipient.deliverable(dm.priority)) {
                queues.push(dm, recipient, now);
            }
        } else {
            Lease preferred = leases.preferredLease(target);
            if (preferred != null && preferred.deliverable(dm.priority)) {
                queues.push(dm, preferred, now);
            }
        }
        IdempotencyWindow.Entry idem = idempotency.remember(idemKey, messageId, now, now);
        byte[] ack = Frames.ackQueued(in, messageId);
        // on the writer thread, after the commit: the ack needs no mesh state; the window is told on the loop
        broker.durable.submit(new DurableOp.EnqueueMessage(msg), () -> {
            s.conn.send(ack);
            idempotency.committedOnWriter(idem);
        });
        broker.durable.submit(new DurableOp.AppendAudit(meshId, l.member.id(),
                new AuditEvent.MessageSent(target, priority), now));
    }

    private static final String NO_PEER =
            "no connected peer for target (not online, or targetSpec is your own key without another session)";

    private static int utf8Length(String s) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n++;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                n += 4;
                i++;
            } else {
                n += 3;
            }
        }
        return n;
    }

    private static String validateSend(Inbound in) {
        if (!in.hasId) {
            return "missing id";
        }
        if (in.targetSpec == null || in.targetSpec.isEmpty()) {
            return "missing targetSpec";
        }
        String t = in.targetSpec;
        if (!(t.equals("*") || t.equals("@all") || (t.startsWith("@") && t.length() > 1 && t.length() <= 1 + MAX_GROUP_NAME)
                || Hex.isLowerHex(t, 64))) {
            return "targetSpec must be a 64-hex key, *, @all or @group";
        }
        if (in.priority != null && Priority.parse(in.priority) == null) {
            return "unknown priority";
        }
        if (in.wrongTypeField != null && !"summary".equals(in.wrongTypeField)) {
            return in.wrongTypeField + " has the wrong type";
        }
        if (in.nonce == null) {
            return "missing nonce";
        }
        if (in.ciphertext == null) {
            return "missing ciphertext";
        }
        if (in.badBase64Field != null) {
            return in.badBase64Field + " is not base64";
        }
        return null;
    }

    private static boolean granted(Member recipient, String senderMemberPubkey, String capability) {
        List<String> caps = recipient.peerGrants().get(senderMemberPubkey);
        return (caps == null ? DEFAULT_CAPS : caps).contains(capability);
    }

    private void multicast(PeerSession s, Lease l, Inbound in, String target, String priority, long now, String idemKey) {
        String group = target.equals("*") || target.equals("@all") ? null : target.substring(1);
        String messageId = Ids.newId();
        byte[] frame = null;
        for (Lease r : leases.all()) {
            if (!r.live || r.member.id().equals(l.member.id())) {
                continue;
            }
            if (group != null && !r.inGroup(group)) {
                continue;
            }
            if (!granted(r.member, l.member.pubkey(), "broadcast")) {
                broker.metrics.droppedByGrant("broadcast");
                continue;
            }
            if (frame == null) {
                frame = Frames.multicastPush(messageId, meshId, l.routingKey(), priority, in.nonce, in.ciphertext,
                        now, in.clientMessageId, in.requestFingerprint, l.member.pubkey(), l.member.id(),
                        l.displayName);
            }
            r.session.conn.send(frame);
            broker.metrics.pushesTotal.increment();
        }
        broker.metrics.messageRouted(priority);
        // multicast is live-only and never stored: its ack goes out at once, so its entry is committed at once
        idempotency.committed(idempotency.remember(idemKey, messageId, now, now));
        s.conn.send(Frames.ackQueued(in, messageId));
        broker.durable.submit(new DurableOp.AppendAudit(meshId, l.member.id(),
                new AuditEvent.MessageSent(target, priority), now));
    }

    // ------------------------------------------------------------------------------------------ DM queues

    /** Remembers a send committed before a restart, as committed, unless the window already holds its key. */
    void restoreRecentSend(RecentSend r) {
        idempotency.restore(r, broker.clock.millis());
    }

    /** Adds a DM reloaded from the database at boot. */
    void restore(StoredMessage m) {
        queues.restore(m);
    }

    private void clientAck(Lease l, Inbound in) {
        QueuedDm dm = queues.ack(l, in.brokerMessageId, in.clientMessageId);
        if (dm != null) {
            broker.durable.submit(new DurableOp.MarkDelivered(meshId, dm.message.messageId(), broker.clock.millis()));
        }
    }

    // ------------------------------------------------------------------------------------------ status

    /** Offers a status to {@code l} under the rules of {@link StatusRules}; true when it is now {@code status}. */
    boolean applyStatus(Lease l, Status status, StatusSource source) {
        return statusRules.apply(l, status, source, broker.clock.millis());
    }

    private void setStatus(PeerSession s, Lease l, Inbound in) {
        Status st = Status.parse(in.status);
        if (st == null) {
            s.conn.send(Frames.error("bad_request", "status must be idle, working or dnd", in));
            return;
        }
        applyStatus(l, st, StatusSource.MANUAL);
    }

    private void setSummary(PeerSession s, Lease l, Inbound in) {
        if (!in.hasSummary || ("summary".equals(in.wrongTypeField))
                || (in.summary != null && in.summary.length() > MAX_SUMMARY)) {
            s.conn.send(Frames.error("bad_request", "summary must be a string of at most " + MAX_SUMMARY
                    + " chars", in));
            return;
        }
        l.summary = in.summary;
    }

    private void joinGroup(PeerSession s, Lease l, Inbound in) {
        String n = in.name;
        if (n == null || n.isEmpty() || n.length() > MAX_GROUP_NAME || "name".equals(in.wrongTypeField)
                || "role".equals(in.wrongTypeField)) {
            s.conn.send(Frames.error("bad_request", "join_group needs a name of 1.." + MAX_GROUP_NAME + " chars", in));
            return;
        }
        for (int i = 0; i < l.groups.size(); i++) {
            if (l.groups.get(i).name().equals(n)) {
                l.groups.set(i, new GroupRole(n, in.role));
                return;
            }
        }
        if (l.groups.size() >= MAX_GROUPS_PER_LEASE) {
            s.conn.send(Frames.error("bad_request", "at most " + MAX_GROUPS_PER_LEASE + " groups", in));
            return;
        }
        l.groups.add(new GroupRole(n, in.role));
    }

    private void leaveGroup(PeerSession s, Lease l, Inbound in) {
        String n = in.name;
        if (n == null || n.isEmpty() || "name".equals(in.wrongTypeField)) {
            s.conn.send(Frames.error("bad_request", "leave_group needs a name", in));
            return;
        }
        l.groups.removeIf(g -> g.name().equals(n));
    }

    // ------------------------------------------------------------------------------------------ listing

    private byte[] peersListFrame(Inbound in) {
        JsonOut o = new JsonOut(512).beginObject().field("type", "peers_list");
        if (in.reqId != null) {
            o.name("_reqId");
            if (in.reqIdNumeric) {
                o.value(Long.parseLong(in.reqId));
            } else {
                o.value(in.reqId);
            }
        }
        o.name("peers");
        writePeers(o);
        return o.endObject().toBytes();
    }

    /** The peers array of {@code peers_list} (also served by the admin API). */
    void writePeers(JsonOut o) {
        o.beginArray();
        for (Lease l : leases.all()) {
            o.beginObject().field("pubkey", l.routingKey()).field("memberPubkey", l.member.pubkey())
                    .field("displayName", l.displayName).field("status", l.status.wire()).field("summary", l.summary)
                    .name("groups");
            Frames.groups(o, l.groups);
            o.field("sessionId", l.sessionId).field("connectedAt", AuditChain.isoMillis(l.connectedAtMs))
                    .field("cwd", l.cwd).field("peerRole", l.peerRole.wire());
            if (l.hostname != null) {
                o.field("hostname", l.hostname);
            }
            if (l.peerType != null) {
                o.field("peerType", l.peerType);
            }
            if (l.channel != null) {
                o.field("channel", l.channel);
            }
            if (l.model != null) {
                o.field("model", l.model);
            }
            o.endObject();
        }
        o.endArray();
    }

    byte[] peersJson() {
        JsonOut o = new JsonOut(512);
        writePeers(o);
        return o.toBytes();
    }

    /** Number of undelivered DMs held in memory (tests, metrics). */
    int queuedCount() {
        return queues.size();
    }

    int leaseCountOnLoop() {
        return leases.size();
    }

    static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
