package dev.claudemesh.broker.core.testing;

import dev.claudemesh.broker.core.BrokerMetrics;
import dev.claudemesh.broker.core.BrokerSettings;
import dev.claudemesh.broker.core.crypto.Ed25519;
import dev.claudemesh.broker.core.mesh.Broker;
import dev.claudemesh.broker.core.mesh.MeshService;
import dev.claudemesh.broker.core.mesh.PeerSession;
import dev.claudemesh.broker.core.model.GroupRole;
import dev.claudemesh.broker.core.model.Member;
import dev.claudemesh.broker.core.port.DurableOp;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A broker with mesh services, on a manual clock and loop with fake ports, for unit tests of a service from its own
 * package (only the public API of {@code core.mesh}). Storage calls run inline on the test thread (a direct executor),
 * their continuations on the manual loop, so {@link #run()} brings every answer in. Nothing sleeps.
 */
public final class ServiceHarness {

    public static final String MESH = "M0000000000000000000000000000001";

    public final ManualClock clock = new ManualClock(1_700_000_000_000L);
    public final ManualLoop loop = new ManualLoop(clock);
    public final FakeDirectory directory = new FakeDirectory();
    public final FakeDurableLog durable = new FakeDurableLog();
    public final BrokerMetrics metrics = new BrokerMetrics();
    public final Broker broker;
    private int members;

    public ServiceHarness(List<MeshService<?>> services) {
        this(BrokerSettings.defaults(), services);
    }

    public ServiceHarness(BrokerSettings settings, List<MeshService<?>> services) {
        broker = new Broker(settings, clock, loop, directory, durable, metrics, Runnable::run, services);
    }

    /** A member of {@link #MESH} (not revoked, default groups {@code groups}). */
    public Identities.MemberKeys member(String name, GroupRole... groups) {
        Ed25519.KeyPair kp = Ed25519.generate();
        String id = String.format("X%031d", ++members);
        directory.put(new Member(id, MESH, "conf", kp.publicKeyHex(), name, null, List.of(groups), Map.of(), "push",
                false));
        return new Identities.MemberKeys(MESH, id, kp);
    }

    /** Marks {@code m} revoked in the directory (what the database holds after a ban). */
    public void markRevoked(Identities.MemberKeys m, String name, boolean revoked) {
        directory.put(new Member(m.memberId(), MESH, "conf", m.pubkey(), name, null, List.of(), Map.of(), "push",
                revoked));
    }

    /** A connected peer: its fake socket and session, its presence id and routing key. */
    public record Peer(FakeConnection conn, PeerSession session, String key) {

        public String presenceId() {
            return field(conn.frames.get(0), "presenceId");
        }

        public void send(String json) {
            byte[] b = json.getBytes(StandardCharsets.UTF_8);
            session.onFrame(b, 0, b.length);
        }

        /** The frames of {@code type} received so far. */
        public List<String> ofType(String type) {
            return conn.framesContaining("\"type\":\"" + type + "\"");
        }

        /** The last frame received. */
        public String last() {
            return conn.last();
        }
    }

    /** A {@code session_hello} peer, named {@code n-<sessionId>}, in {@code groupsJson} (null: none). */
    public Peer session(Identities.MemberKeys m, String sessionId, String groupsJson) {
        Ed25519.KeyPair keys = Ed25519.generate();
        FakeConnection c = new FakeConnection(loop);
        Peer p = new Peer(c, broker.open(c), keys.publicKeyHex());
        p.send(Identities.sessionHello(m, keys, sessionId, clock.millis(), 3_600_000, "n-" + sessionId, groupsJson));
        run();
        return p;
    }

    public Peer session(Identities.MemberKeys m, String sessionId) {
        return session(m, sessionId, null);
    }

    /** A plain {@code hello} peer (a control-plane lease), named {@code d-<sessionId>}. */
    public Peer hello(Identities.MemberKeys m, String sessionId) {
        FakeConnection c = new FakeConnection(loop);
        Peer p = new Peer(c, broker.open(c), m.pubkey());
        p.send(Identities.hello(m, null, sessionId, clock.millis(), "d-" + sessionId));
        run();
        return p;
    }

    /** Runs every queued task (storage continuations included). */
    public void run() {
        loop.runAll();
    }

    /** Audit events committed so far, in order. */
    public List<DurableOp.AppendAudit> audits() {
        durable.commitAll();
        return durable.committed.stream().filter(op -> op instanceof DurableOp.AppendAudit)
                .map(op -> (DurableOp.AppendAudit) op).toList();
    }

    /** The audit events of {@code type}, in order. */
    public List<DurableOp.AppendAudit> audits(String type) {
        return audits().stream().filter(a -> a.event().type().equals(type)).toList();
    }

    /** The string value of {@code name} in {@code json} (first occurrence), or null. */
    public static String field(String json, String name) {
        Matcher m = Pattern.compile("\"" + Pattern.quote(name) + "\":\"([^\"]*)\"").matcher(json);
        return m.find() ? m.group(1) : null;
    }
}
