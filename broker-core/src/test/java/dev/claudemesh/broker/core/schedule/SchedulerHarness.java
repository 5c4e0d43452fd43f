package dev.claudemesh.broker.core.schedule;

import dev.claudemesh.broker.core.BrokerMetrics;
import dev.claudemesh.broker.core.BrokerSettings;
import dev.claudemesh.broker.core.crypto.Ed25519;
import dev.claudemesh.broker.core.mesh.Broker;
import dev.claudemesh.broker.core.mesh.MeshContext;
import dev.claudemesh.broker.core.mesh.MeshService;
import dev.claudemesh.broker.core.mesh.PeerSession;
import dev.claudemesh.broker.core.mesh.RoutedSend;
import dev.claudemesh.broker.core.mesh.SendRejection;
import dev.claudemesh.broker.core.model.Member;
import dev.claudemesh.broker.core.port.DurableOp;
import dev.claudemesh.broker.core.testing.FakeConnection;
import dev.claudemesh.broker.core.testing.FakeDirectory;
import dev.claudemesh.broker.core.testing.FakeDurableLog;
import dev.claudemesh.broker.core.testing.Identities;
import dev.claudemesh.broker.core.testing.ManualClock;
import dev.claudemesh.broker.core.testing.ManualLoop;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A broker with the scheduler on a manual clock and loop, fake ports and an in-memory store whose storage calls run
 * inline; "restarts" build a new broker (and loop) over the same store, directory and durable log. Everything runs
 * on the test thread; nothing sleeps.
 */
final class SchedulerHarness {

    static final String MESH = "M0000000000000000000000000000001";

    final ManualClock clock = new ManualClock(Instant.parse("2026-03-10T10:00:00Z").toEpochMilli());
    final FakeDirectory directory = new FakeDirectory();
    final FakeDurableLog durable = new FakeDurableLog();
    final Map<String, Member> membersById = new ConcurrentHashMap<>();
    final MemoryScheduleStore store = new MemoryScheduleStore(membersById::get, durable);
    final BrokerSettings settings;
    final ScheduleLimits limits;
    ManualLoop loop;
    Broker broker;
    BrokerMetrics metrics;
    /** The scheduler state of {@link #MESH} in the current broker. */
    Schedules schedules;
    /** Answers {@code #topic} sends (the real topic service needs PostgreSQL). */
    final ScriptedTopics topics = new ScriptedTopics();
    private int members;

    SchedulerHarness(BrokerSettings settings, ScheduleLimits limits) {
        this.settings = settings;
        this.limits = limits;
        start();
    }

    SchedulerHarness() {
        this(BrokerSettings.defaults().withSendRate(0, 10), ScheduleLimits.defaults());
    }

    /** A broker (after a stop, a "restarted" one) with its boot meshes opened. */
    void start() {
        loop = new ManualLoop(clock);
        metrics = new BrokerMetrics();
        schedules = null;
        SchedulerService real = new SchedulerService(store, limits);
        MeshService<Schedules> capturing = new MeshService<>() {
            @Override
            public String name() {
                return real.name();
            }

            @Override
            public void registerHandlers(Registrar<Schedules> r) {
                real.registerHandlers(r);
            }

            @Override
            public Schedules createMeshState(MeshContext mesh) {
                Schedules s = real.createMeshState(mesh);
                if (mesh.meshId().equals(MESH)) {
                    schedules = s;
                }
                return s;
            }

            @Override
            public Collection<String> bootMeshIds() {
                return real.bootMeshIds();
            }
        };
        broker = new Broker(settings, clock, loop, directory, durable, metrics, Runnable::run,
                List.of(capturing, topics));
        broker.openBootMeshes();
        settle();
    }

    /**
     * The broker process ends: its loop (and every timer on it) is dropped, what the writer accepted is committed.
     * Sockets of the old broker are closed.
     */
    void stop(Peer... peers) {
        for (Peer p : peers) {
            p.conn().close(1001, "shutdown");
        }
        durable.commitAll();
        broker = null;
        loop = null;
    }

    Identities.MemberKeys member(String name) {
        Ed25519.KeyPair kp = Ed25519.generate();
        String id = String.format("X%031d", ++members);
        Member m = new Member(id, MESH, "conf", kp.publicKeyHex(), name, null, List.of(), Map.of(), "push", false);
        directory.put(m);
        membersById.put(id, m);
        return new Identities.MemberKeys(MESH, id, kp);
    }

    void revoke(Identities.MemberKeys k) {
        Member m = membersById.get(k.memberId());
        Member revoked = new Member(m.id(), m.meshId(), m.meshName(), m.pubkey(), m.displayName(), m.roleTag(),
                m.defaultGroups(), m.peerGrants(), m.messageMode(), true);
        membersById.put(m.id(), revoked);
        directory.put(revoked);
    }

    /** A connected peer. */
    record Peer(FakeConnection conn, PeerSession session, String key, Identities.MemberKeys member) {
        void send(String json) {
            byte[] b = json.getBytes(StandardCharsets.UTF_8);
            session.onFrame(b, 0, b.length);
        }

        String presenceId() {
            return field(conn.frames.get(0), "presenceId");
        }

        /**
         * DM and multicast pushes (not system events), each message once: the fake peers never {@code client_ack},
         * so the core redelivers an un-acked DM every redelivery period under the same message id.
         */
        List<String> pushes() {
            List<String> out = new java.util.ArrayList<>();
            java.util.Set<String> seen = new java.util.HashSet<>();
            for (String f : conn.framesContaining("\"type\":\"push\",\"messageId\"")) {
                if (seen.add(field(f, "messageId"))) {
                    out.add(f);
                }
            }
            return out;
        }

        String last() {
            return conn.frames.get(conn.frames.size() - 1);
        }

        void close() {
            session.onClosed();
        }
    }

    Peer session(Identities.MemberKeys m, String sessionId) {
        return session(m, Ed25519.generate(), sessionId);
    }

    Peer session(Identities.MemberKeys m, Ed25519.KeyPair keys, String sessionId) {
        FakeConnection c = new FakeConnection(loop);
        PeerSession s = broker.open(c);
        Peer p = new Peer(c, s, keys.publicKeyHex(), m);
        p.send(Identities.sessionHello(m, keys, sessionId, clock.millis(), 3_600_000, sessionId, null));
        settle();
        if (!c.frames.get(0).contains("hello_ack")) {
            throw new AssertionError("hello failed: " + c.frames);
        }
        return p;
    }

    /** A plain hello without a session key (a daemon's control-plane lease). */
    Peer controlPlane(Identities.MemberKeys m, String sessionId) {
        FakeConnection c = new FakeConnection(loop);
        PeerSession s = broker.open(c);
        Peer p = new Peer(c, s, m.pubkey(), m);
        p.send(Identities.hello(m, null, sessionId, clock.millis(), "daemon-" + sessionId));
        settle();
        return p;
    }

    /** Sends {@code json} from {@code p} and returns the first frame it got back (the reply). */
    String request(Peer p, String json) {
        int before = p.conn().frames.size();
        p.send(json);
        settle();
        if (p.conn().frames.size() == before) {
            throw new AssertionError("no reply to " + json);
        }
        return p.conn().frames.get(before);
    }

    /** Runs loop tasks and "commits" the writer until nothing is left. */
    void settle() {
        for (int i = 0; i < 100; i++) {
            loop.runAll();
            if (durable.pendingCount() == 0) {
                return;
            }
            durable.commitAll();
        }
        throw new AssertionError("does not settle");
    }

    /** Moves the clock forward, running timers (the scheduler's tick among them), in steps of the tick. */
    void advance(long ms) {
        long end = clock.millis() + ms;
        while (clock.millis() < end) {
            long step = Math.min(limits.tickMs(), end - clock.millis());
            loop.advance(step);
            settle();
        }
    }

    /** Moves the clock without running anything, as while a broker is down. */
    void jump(long ms) {
        clock.advance(ms);
    }

    /** The queue rows (DMs made durable) committed so far, in order. */
    List<DurableOp.EnqueueMessage> queued() {
        durable.commitAll();
        return durable.committed.stream().filter(op -> op instanceof DurableOp.EnqueueMessage)
                .map(op -> (DurableOp.EnqueueMessage) op).toList();
    }

    /** Audit events of a type, committed so far. */
    List<DurableOp.AppendAudit> audits(String type) {
        durable.commitAll();
        return durable.committed.stream().filter(op -> op instanceof DurableOp.AppendAudit a
                        && a.event().type().equals(type))
                .map(op -> (DurableOp.AppendAudit) op).toList();
    }

    long now() {
        return clock.millis();
    }

    /**
     * A topic service for the scheduler's tests: each {@code #topic} send is answered by the next outcome of
     * {@link #outcomes} ({@code null} = accepted, stored under {@link RoutedSend#messageId} as the real one does; else
     * refused for that reason), and the ids it stored are kept. Loop-confined.
     */
    static final class ScriptedTopics implements MeshService<Object> {
        final java.util.ArrayDeque<SendRejection> outcomes = new java.util.ArrayDeque<>();
        final List<String> stored = new java.util.ArrayList<>();
        final List<String> refusedIds = new java.util.ArrayList<>();

        @Override
        public String name() {
            return "topics";
        }

        @Override
        public void registerHandlers(Registrar<Object> r) {
            r.handleTopicSends((state, send) -> {
                SendRejection next = outcomes.poll();
                if (next == null) {
                    stored.add(send.messageId());
                    send.accepted(send.messageId());
                } else {
                    refusedIds.add(send.messageId());
                    send.rejected(next, next.metricReason() + ": scripted");
                }
            });
        }

        @Override
        public Object createMeshState(MeshContext mesh) {
            return new Object();
        }
    }

    static String field(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\":\"([^\"]*)\"").matcher(json);
        return m.find() ? m.group(1) : null;
    }

    static String b64(String text) {
        return java.util.Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }
}
