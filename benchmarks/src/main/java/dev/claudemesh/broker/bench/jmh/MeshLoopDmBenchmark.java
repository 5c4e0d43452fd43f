package dev.claudemesh.broker.bench.jmh;

import dev.claudemesh.broker.core.BrokerMetrics;
import dev.claudemesh.broker.core.BrokerSettings;
import dev.claudemesh.broker.core.crypto.Ed25519;
import dev.claudemesh.broker.core.envelope.BinaryClientCodec;
import dev.claudemesh.broker.core.envelope.JsonOut;
import dev.claudemesh.broker.core.envelope.WireFormat;
import dev.claudemesh.broker.core.mesh.Broker;
import dev.claudemesh.broker.core.mesh.PeerSession;
import dev.claudemesh.broker.core.model.Member;
import dev.claudemesh.broker.core.testing.FakeDirectory;
import dev.claudemesh.broker.core.testing.Identities;
import dev.claudemesh.broker.core.testing.ManualClock;
import dev.claudemesh.broker.core.testing.ManualLoop;
import dev.claudemesh.broker.netty.pipeline.PooledPayloads;
import io.netty.buffer.PooledByteBufAllocator;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One durable DM through the mesh loop, everything the broker does for it except the sockets and the database:
 * decode alice's {@code send}, route it, encode and "write" bob's push, submit the queue row and audit event, run the
 * commit callback (the ack to alice), decode bob's {@code client_ack} and submit the delivered mark. Sockets are
 * {@link BenchConnection}s that keep the last frame (no copy); the durable log ({@link InlineDurableLog}) does what the
 * real one does on the caller's thread and "commits" at once. With {@code -prof gc}
 * its {@code gc.alloc.rate.norm} is the heap allocated per DM on the mesh loop (issue 15's ≤ 1 KB goal), harness
 * included (it allocates nothing per op but the clock's step every 1 024 DMs). {@code protocol=binary}: both peers
 * speak the binary subprotocol ({@code docs/BINARY-PROTOCOL.md}), the same DM in its binary frames.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
// on the kind of thread the broker's mesh loops are (EventLoopThreads): the pooled payload buffers recycle there
@Fork(value = 1, jvmArgsAppend = {"-Djmh.executor=CUSTOM",
        "-Djmh.executor.class=dev.claudemesh.broker.bench.jmh.EventLoopThreads"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class MeshLoopDmBenchmark {

    private static final String MESH = "M0000000000000000000000000000001";
    private static final byte[] MESSAGE_ID = "\"messageId\":\"".getBytes(StandardCharsets.US_ASCII);
    private static final int COUNTER_DIGITS = 12;
    /** Where a binary push's messageId starts: the 4-byte header, then its 1-byte length (BINARY-PROTOCOL §2.2). */
    static final int BINARY_PUSH_MESSAGE_ID_AT = 5;

    /** {@code json}: the text protocol; {@code binary}: the binary subprotocol, both peers. */
    @Param({"json", "binary"})
    public String protocol = "json";
    private boolean binary;

    private ManualClock clock;
    private ManualLoop loop;
    private BenchConnection aliceConn;
    private BenchConnection bobConn;
    private PeerSession alice;
    private PeerSession bob;
    private InlineDurableLog durable;
    private byte[] send;
    private int sendCounterAt;
    private int sendClientIdAt;
    private byte[] ack;
    private int ackCounterAt;
    private int ackIdAt;
    private long n;

    @Setup
    public void setUp() {
        clock = new ManualClock(1_764_000_000_000L);
        loop = new ManualLoop(clock);
        FakeDirectory directory = new FakeDirectory();
        durable = new InlineDurableLog();
        // no send rate limit, as in the load tests (SEND_RATE_LIMIT_PER_MIN=0): every DM is routed, none refused
        BrokerMetrics metrics = new BrokerMetrics();
        Broker broker = new Broker(BrokerSettings.defaults().withSendRate(0, 1), clock, loop, directory, durable,
                metrics)
                // as the server runs it: nonce and ciphertext in the pool, off the heap
                .usePayloads(new PooledPayloads(PooledByteBufAllocator.DEFAULT, metrics.payloadBuffers));
        Identities.MemberKeys a = member(directory, "X0000000000000000000000000000001", "alice");
        Identities.MemberKeys b = member(directory, "X0000000000000000000000000000002", "bob");
        Ed25519.KeyPair aliceSession = Ed25519.generate();
        Ed25519.KeyPair bobSession = Ed25519.generate();
        binary = protocol.equals("binary");
        WireFormat format = binary ? WireFormat.BINARY : WireFormat.JSON;
        aliceConn = new BenchConnection(format);
        bobConn = new BenchConnection(format);
        alice = broker.open(aliceConn);
        bob = broker.open(bobConn);
        frame(alice, Identities.sessionHello(a, aliceSession, "s-alice", clock.millis(), 86_400_000, "alice", null));
        frame(bob, Identities.sessionHello(b, bobSession, "s-bob", clock.millis(), 86_400_000, "bob", null));
        loop.runAll();

        String ct = new String(Samples.base64(256, 1), StandardCharsets.US_ASCII);
        String nonce = new String(Samples.base64(24, 2), StandardCharsets.US_ASCII);
        String counter = "0".repeat(COUNTER_DIGITS);
        String sendJson = "{\"type\":\"send\",\"id\":\"c-" + counter + "\",\"client_message_id\":\"c-" + counter
                + "\",\"targetSpec\":\"" + bobSession.publicKeyHex() + "\",\"priority\":\"now\",\"nonce\":\"" + nonce
                + "\",\"ciphertext\":\"" + ct + "\"}";
        send = binary ? BinaryClientCodec.encode(sendJson) : sendJson.getBytes(StandardCharsets.UTF_8);
        byte[] counterText = ("c-" + counter).getBytes(StandardCharsets.US_ASCII);
        sendCounterAt = indexOf(send, counterText, 0) + 2;
        sendClientIdAt = indexOf(send, counterText, sendCounterAt) + 2;
        String ackJson = "{\"type\":\"client_ack\",\"clientMessageId\":\"c-" + counter + "\",\"brokerMessageId\":\""
                + "x".repeat(32) + "\"}";
        ack = binary ? BinaryClientCodec.encode(ackJson) : ackJson.getBytes(StandardCharsets.UTF_8);
        ackCounterAt = indexOf(ack, counterText, 0) + 2;
        ackIdAt = indexOf(ack, "x".repeat(32).getBytes(StandardCharsets.US_ASCII), 0);
    }

    @Benchmark
    public int dm() {
        long id = ++n;
        writeCounter(send, sendCounterAt, id);
        writeCounter(send, sendClientIdAt, id);
        if (binary) {
            alice.onBinaryFrame(send, 0, send.length);
        } else {
            alice.onFrame(send, 0, send.length); // the queue row and audit event "commit" at once: alice is acked
        }
        loop.runAll();
        byte[] push = bobConn.last;
        int at = binary ? BINARY_PUSH_MESSAGE_ID_AT : indexOf(push, MESSAGE_ID, 0) + MESSAGE_ID.length;
        System.arraycopy(push, at, ack, ackIdAt, 32);
        writeCounter(ack, ackCounterAt, id);
        if (binary) {
            bob.onBinaryFrame(ack, 0, ack.length);
        } else {
            bob.onFrame(ack, 0, ack.length);
        }
        loop.runAll();
        if ((id & 1023) == 0) {
            loop.advance(10_000); // lets the idempotency window and timers age as they would at ~100 DMs/s per mesh
        }
        return aliceConn.lastLength + durable.ops;
    }

    /** The last frame alice's and bob's sockets got, as JSON (a binary one decoded; for the smoke test). */
    String lastToAlice() {
        return lastAsJson(aliceConn);
    }

    String lastToBob() {
        return lastAsJson(bobConn);
    }

    private String lastAsJson(BenchConnection c) {
        byte[] frame = java.util.Arrays.copyOf(c.last, c.lastLength);
        return binary ? new JsonOut().value(BinaryClientCodec.decode(frame)).toString()
                : new String(frame, StandardCharsets.UTF_8);
    }

    boolean anyClosed() {
        return aliceConn.closedWith != null || bobConn.closedWith != null;
    }

    int opsSubmitted() {
        return durable.ops;
    }

    private static Identities.MemberKeys member(FakeDirectory directory, String id, String name) {
        Ed25519.KeyPair kp = Ed25519.generate();
        directory.put(new Member(id, MESH, "conf", kp.publicKeyHex(), name, null, List.of(), Map.of(), "push", false));
        return new Identities.MemberKeys(MESH, id, kp);
    }

    private void frame(PeerSession s, String json) {
        if (binary) {
            byte[] b = BinaryClientCodec.encode(json);
            s.onBinaryFrame(b, 0, b.length);
        } else {
            byte[] b = json.getBytes(StandardCharsets.UTF_8);
            s.onFrame(b, 0, b.length);
        }
    }

    private static void writeCounter(byte[] buf, int at, long v) {
        for (int i = at + COUNTER_DIGITS - 1; i >= at; i--) {
            buf[i] = (byte) ('0' + (v % 10));
            v /= 10;
        }
    }

    private static int indexOf(byte[] hay, byte[] needle, int from) {
        outer:
        for (int i = from; i <= hay.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new IllegalStateException("not in the frame: " + new String(needle, StandardCharsets.US_ASCII));
    }
}
