package dev.claudemesh.broker.core.mesh;

import dev.claudemesh.broker.bench.jmh.BenchConnection;
import dev.claudemesh.broker.bench.jmh.InlineDurableLog;
import dev.claudemesh.broker.bench.jmh.Samples;
import dev.claudemesh.broker.core.BrokerMetrics;
import dev.claudemesh.broker.core.BrokerSettings;
import dev.claudemesh.broker.core.envelope.EnvelopeDecoder;
import dev.claudemesh.broker.core.envelope.Inbound;
import dev.claudemesh.broker.core.model.GroupRole;
import dev.claudemesh.broker.core.model.Member;
import dev.claudemesh.broker.core.port.MemberDirectory;
import dev.claudemesh.broker.core.port.MeshLoop;
import dev.claudemesh.broker.core.testing.InlineLoop;
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

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Routing on the mesh loop ({@code MeshState.handle}) with 10, 100 and 10 000 live session leases of distinct
 * members: a DM (lease lookup by session key, queue + claim, push encode, ack, then the recipient's
 * {@code client_ack} that dequeues it), a {@code @group} multicast (one lease in ten holds the group) and a
 * {@code *} broadcast (to every other lease). The ports are no-ops except the durable log, which does on the
 * caller's thread what {@code PgDurableLog.submit} does there (the audit event's canonical JSON) and then runs the
 * commit callback at once. No sockets; a DM's nonce and ciphertext go to Netty's pool as in the server
 * ({@code PooledPayloads}), and the benchmark runs on Netty's thread kind ({@code EventLoopThreads}), where the pool's
 * buffer objects are recycled.
 *
 * <p>Lives in {@code dev.claudemesh.broker.core.mesh} (a split package, on the class path only) because the
 * mesh state is package-private; nothing in broker-core was opened up for it.</p>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Djmh.executor=CUSTOM",
        "-Djmh.executor.class=dev.claudemesh.broker.bench.jmh.EventLoopThreads"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class RoutingBenchmark {

    @Param({"10", "100", "10000"})
    public int leases;

    private MeshState mesh;
    private PeerSession[] sessions;
    private String[] sessionKeys;
    private final InlineDurableLog durable = new InlineDurableLog();
    private Inbound send;
    private Inbound ack;
    /** Distinct client message ids, more than the broker's idempotency map keeps (100 000), used in turn. */
    private final String[] clientIds = new String[1 << 18];
    private int next;

    @Setup
    public void setUp() {
        for (int i = 0; i < clientIds.length; i++) {
            clientIds[i] = "c-" + i;
        }
        BrokerSettings settings = BrokerSettings.defaults().withMaxConnectionsPerMesh(leases + 1).withSendRate(0, 10);
        InlineLoop loop = new InlineLoop();
        BrokerMetrics metrics = new BrokerMetrics();
        Broker broker = new Broker(settings, () -> Samples.NOW_MS, meshId -> loop, new NoDirectory(), durable,
                metrics).usePayloads(new PooledPayloads(PooledByteBufAllocator.DEFAULT, metrics.payloadBuffers));
        mesh = broker.mesh(Samples.MESH_ID);
        sessions = new PeerSession[leases];
        sessionKeys = new String[leases];
        for (int i = 0; i < leases; i++) {
            String memberKey = Samples.hex64(1_000_000 + i);
            Member m = new Member(String.format("M%031d", i), Samples.MESH_ID, "bench", memberKey, "peer-" + i, null,
                    List.of(), Map.of(), "push", false);
            Inbound hello = new Inbound();
            hello.type = Inbound.Type.SESSION_HELLO;
            hello.sessionPubkey = Samples.hex64(2_000_000 + i);
            hello.sessionId = "s-" + i;
            hello.displayName = "peer-" + i;
            hello.groups = List.of(new GroupRole(i % 10 == 0 ? "bench" : "other", null));
            PeerSession s = broker.open(new BenchConnection());
            HelloRejection rejected = mesh.register(s, hello, m);
            if (rejected != null || s.lease == null) {
                throw new IllegalStateException("lease " + i + " rejected: " + rejected);
            }
            sessions[i] = s;
            sessionKeys[i] = hello.sessionPubkey;
        }
        send = EnvelopeDecoder.decode(Samples.sendFrame(256));
        ack = new Inbound();
        ack.type = Inbound.Type.CLIENT_ACK;
    }

    private String nextClientId() {
        String id = clientIds[next++ & (clientIds.length - 1)];
        send.id = id;
        send.clientMessageId = id;
        return id;
    }

    /** One DM from sender to recipient (round robin over the leases) and the recipient's client_ack. */
    @Benchmark
    public int dmSendAndAck() {
        int n = next;
        int from = n % leases;
        int to = (from + 1 + (n / leases) % (leases - 1)) % leases;
        String id = nextClientId();
        send.targetSpec = sessionKeys[to];
        mesh.handle(sessions[from], send);
        ack.clientMessageId = id;
        ack.brokerMessageId = durable.lastMessageId;
        mesh.handle(sessions[to], ack);
        return durable.ops;
    }

    /** A {@code @bench} multicast: one lease in ten holds the group; the sender is one of them. */
    @Benchmark
    public int group() {
        nextClientId();
        send.targetSpec = "@bench";
        mesh.handle(sessions[0], send);
        return durable.ops;
    }

    /** A {@code *} broadcast to every other lease. */
    @Benchmark
    public int broadcast() {
        nextClientId();
        send.targetSpec = "*";
        mesh.handle(sessions[0], send);
        return durable.ops;
    }

    /** Never used: leases are registered directly. */
    static final class NoDirectory implements MemberDirectory {
        @Override
        public CompletableFuture<Optional<Member>> findByPubkey(String meshId, String pubkey) {
            return CompletableFuture.completedFuture(Optional.empty());
        }

        @Override
        public void invalidate(String meshId, String pubkey) {
        }
    }
}
