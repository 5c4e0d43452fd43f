package dev.claudemesh.broker.bench.jmh;

import dev.claudemesh.broker.core.Ids;
import dev.claudemesh.broker.core.envelope.EnvelopeDecoder;
import dev.claudemesh.broker.core.envelope.Frames;
import dev.claudemesh.broker.core.envelope.Inbound;
import dev.claudemesh.broker.core.model.StoredMessage;
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

import java.util.concurrent.TimeUnit;

/**
 * Encoding what the broker sends per message: the DM {@code push} ({@link Frames#dmPush}), the multicast push
 * (encoded once per fan-out), the sender's {@code ack}, and the message id every send draws ({@link Ids#newId},
 * a CSPRNG).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class PushEncodeBenchmark {

    @Param({"256", "4096"})
    public int size;

    private StoredMessage dm;
    /** The DM's nonce and ciphertext text, taken out of its payload once (the broker hands the encoder arrays). */
    private byte[] nonce;
    private byte[] ciphertext;
    private Inbound send;

    @Setup
    public void setUp() {
        dm = Samples.dm(size);
        nonce = dm.nonce();
        ciphertext = dm.ciphertext();
        send = EnvelopeDecoder.decode(Samples.sendFrame(size));
    }

    @Benchmark
    public byte[] dmPush() {
        return Frames.dmPush(dm);
    }

    @Benchmark
    public byte[] multicastPush() {
        return Frames.multicastPush(dm.messageId(), dm.meshId(), dm.senderPubkey(), dm.priority(), nonce,
                ciphertext, dm.createdAtMs(), dm.clientMessageId(), null, dm.senderMemberPubkey(),
                dm.senderMemberId(), dm.senderName());
    }

    @Benchmark
    public byte[] ackQueued() {
        return Frames.ackQueued(send, dm.messageId());
    }

    @Benchmark
    public String newMessageId() {
        return Ids.newId();
    }
}
