package dev.claudemesh.broker.core.mesh;

import dev.claudemesh.broker.core.BrokerMetrics;
import dev.claudemesh.broker.core.BrokerSettings;
import dev.claudemesh.broker.core.audit.AuditEvent;
import dev.claudemesh.broker.core.crypto.Ed25519;
import dev.claudemesh.broker.core.envelope.BinaryClientCodec;
import dev.claudemesh.broker.core.envelope.WireFormat;
import dev.claudemesh.broker.core.model.Member;
import dev.claudemesh.broker.core.port.DurableOp;
import dev.claudemesh.broker.core.testing.FakeConnection;
import dev.claudemesh.broker.core.testing.FakeDirectory;
import dev.claudemesh.broker.core.testing.FakeDurableLog;
import dev.claudemesh.broker.core.testing.Identities;
import dev.claudemesh.broker.core.testing.ManualClock;
import dev.claudemesh.broker.core.testing.ManualLoop;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A broker on a manual clock and loop with fake ports, and helpers to connect peers and read what they got. Everything
 * runs on the test thread; nothing sleeps.
 */
final class MeshHarness {

    static final String MESH = "M0000000000000000000000000000001";

    final ManualClock clock = new ManualClock(1_700_000_000_000L);
    final ManualLoop loop = new ManualLoop(clock);
    final FakeDirectory directory = new FakeDirectory();
    final FakeDurableLog durable = new FakeDurableLog();
    final BrokerMetrics metrics = new BrokerMetrics();
    final Broker broker;
    private int members;

    MeshHarness() {
        this(BrokerSettings.defaults());
    }

    MeshHarness(BrokerSettings settings) {
        broker = new Broker(settings, clock, loop, directory, durable, metrics);
    }

    /** A broker with mesh services whose storage calls run on {@code storage}. */
    MeshHarness(Executor storage, List<MeshService<?>> services) {
        broker = new Broker(BrokerSettings.defaults(), clock, loop, directory, durable, metrics, storage, services);
    }

    /** A member of {@link #MESH} with default grants. */
    Identities.MemberKeys member(String name) {
        return member(name, Map.of());
    }

    Identities.MemberKeys member(String name, Map<String, List<String>> grants) {
        Ed25519.KeyPair kp = Ed25519.generate();
        String id = String.format("X%031d", ++members);
        directory.put(new Member(id, MESH, "conf", kp.publicKeyHex(), name, null, List.of(), grants, "push", false));
        return new Identities.MemberKeys(MESH, id, kp);
    }

    /** A connected peer: its fake socket, its session and its session key (null for a plain hello). */
    record Peer(FakeConnection conn, PeerSession session, Ed25519.KeyPair sessionKeys) {
        String key() {
            return sessionKeys.publicKeyHex();
        }

        String presenceId() {
            return field(conn.frames.get(0), "presenceId");
        }

        /** A frame written as JSON; a peer of the binary subprotocol sends its binary form. */
        void send(String json) {
            if (conn.format() == WireFormat.BINARY) {
                byte[] b = BinaryClientCodec.encode(json);
                session.onBinaryFrame(b, 0, b.length);
                return;
            }
            byte[] b = json.getBytes(StandardCharsets.UTF_8);
            session.onFrame(b, 0, b.length);
        }

        /** DM and multicast pushes (not system events). */
        List<String> pushes() {
            return conn.framesContaining("\"type\":\"push\",\"messageId\"");
        }
    }

    Peer session(Identities.MemberKeys m, String sessionId) {
        return session(m, Ed25519.generate(), sessionId);
    }

    Peer session(Identities.MemberKeys m, Ed25519.KeyPair keys, String sessionId) {
        return session(m, keys, sessionId, WireFormat.JSON);
    }

    /** A peer with a session key that speaks {@code format}. */
    Peer session(Identities.MemberKeys m, String sessionId, WireFormat format) {
        return session(m, Ed25519.generate(), sessionId, format);
    }

    Peer session(Identities.MemberKeys m, Ed25519.KeyPair keys, String sessionId, WireFormat format) {
        FakeConnection c = new FakeConnection(loop, format);
        PeerSession s = broker.open(c);
        Peer p = new Peer(c, s, keys);
        p.send(Identities.sessionHello(m, keys, sessionId, clock.millis(), 3_600_000, "n-" + sessionId, null));
        loop.runAll();
        return p;
    }

    /** A plain hello (control-plane lease) with {@code sessionId}, without a session key. */
    Peer hello(Identities.MemberKeys m, String sessionId) {
        return hello(m, null, sessionId);
    }

    Peer hello(Identities.MemberKeys m, String sessionPubkey, String sessionId) {
        FakeConnection c = new FakeConnection(loop);
        PeerSession s = broker.open(c);
        Peer p = new Peer(c, s, null);
        p.send(Identities.hello(m, sessionPubkey, sessionId, clock.millis(), "d-" + sessionId));
        loop.runAll();
        return p;
    }

    MeshState mesh() {
        return broker.mesh(MESH);
    }

    /** Status of {@code target} as {@code viewer} sees it in {@code list_peers}. */
    static String statusOf(Peer viewer, String targetKey, ManualLoop loop) {
        viewer.send("{\"type\":\"list_peers\"}");
        loop.runAll();
        Matcher m = Pattern.compile("\"pubkey\":\"" + targetKey + "\"[^{}]*?\"status\":\"([a-z]+)\"")
                .matcher(viewer.conn.last());
        if (!m.find()) {
            throw new AssertionError(targetKey + " not in " + viewer.conn.last());
        }
        return m.group(1);
    }

    /** Audit events committed so far, in order. */
    List<DurableOp.AppendAudit> audits() {
        durable.commitAll();
        return durable.committed.stream().filter(op -> op instanceof DurableOp.AppendAudit)
                .map(op -> (DurableOp.AppendAudit) op).toList();
    }

    List<DurableOp.AppendAudit> peerLeftAudits() {
        return audits().stream().filter(a -> a.event() instanceof AuditEvent.PeerLeft).toList();
    }

    /** Presence ids marked disconnected in committed ops. */
    List<String> disconnected() {
        durable.commitAll();
        return durable.committed.stream().filter(op -> op instanceof DurableOp.DisconnectPresence)
                .map(op -> ((DurableOp.DisconnectPresence) op).presenceId()).toList();
    }

    static String field(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\":\"([^\"]*)\"").matcher(json);
        return m.find() ? m.group(1) : null;
    }
}
