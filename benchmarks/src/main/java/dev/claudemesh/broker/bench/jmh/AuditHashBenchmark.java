package dev.claudemesh.broker.bench.jmh;

import dev.claudemesh.broker.core.audit.AuditChain;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The audit chain (PROTOCOL §7) per routed message: the {@code message_sent} payload's canonical JSON (computed
 * by the writer's submit, on the mesh loop) and the chain hash (on the writer thread); also the bigger
 * {@code peer_joined} payload of every hello.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class AuditHashBenchmark {

    private Map<String, Object> messageSent;
    private Map<String, Object> peerJoined;
    private String messageSentCanonical;
    private String prev;

    @Setup
    public void setUp() {
        messageSent = new LinkedHashMap<>();
        messageSent.put("targetSpec", Samples.hex64(3));
        messageSent.put("priority", "next");
        peerJoined = new LinkedHashMap<>();
        peerJoined.put("pubkey", Samples.hex64(4));
        peerJoined.put("groups", List.of(Map.of("name", "be", "role", "lead")));
        peerJoined.put("role", "dev");
        peerJoined.put("session_pubkey", Samples.hex64(5));
        peerJoined.put("via", "session_hello");
        messageSentCanonical = AuditChain.canonicalJson(messageSent);
        prev = AuditChain.sha256Hex("genesis".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    @Benchmark
    public String canonicalMessageSent() {
        return AuditChain.canonicalJson(messageSent);
    }

    @Benchmark
    public String canonicalPeerJoined() {
        return AuditChain.canonicalJson(peerJoined);
    }

    @Benchmark
    public String hashMessageSent() {
        return AuditChain.hash(prev, Samples.MESH_ID, "message_sent", Samples.MEMBER_ID, messageSentCanonical,
                Samples.NOW_MS);
    }

    /** What one message_sent costs the chain in all: canonical JSON + hash. */
    @Benchmark
    public String canonicalAndHashMessageSent() {
        return AuditChain.hash(prev, Samples.MESH_ID, "message_sent", Samples.MEMBER_ID,
                AuditChain.canonicalJson(messageSent), Samples.NOW_MS);
    }
}
