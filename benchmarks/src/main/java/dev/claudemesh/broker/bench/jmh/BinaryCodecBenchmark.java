package dev.claudemesh.broker.bench.jmh;

import dev.claudemesh.broker.core.envelope.BinaryClientCodec;
import dev.claudemesh.broker.core.envelope.BinaryDecoder;
import dev.claudemesh.broker.core.envelope.BinaryFrames;
import dev.claudemesh.broker.core.envelope.BinaryWire;
import dev.claudemesh.broker.core.envelope.EnvelopeDecoder;
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
 * The binary subprotocol's per-message work ({@code docs/BINARY-PROTOCOL.md}), the twin of
 * {@link EnvelopeDecodeBenchmark} and {@link PushEncodeBenchmark} on the same samples: decoding a {@code send}
 * (raw nonce and ciphertext base64-encoded once into the broker's internal form), a {@code client_ack} and a
 * {@code session_hello}; encoding the DM push (base64 decoded once into raw bytes), the multicast push and the ack.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class BinaryCodecBenchmark {

    /** Ciphertext bytes (raw; base64 in the JSON twins). */
    @Param({"256", "4096"})
    public int size;

    private byte[] send;
    private byte[] clientAck;
    private byte[] hello;
    private StoredMessage dm;
    /** The DM's nonce and ciphertext text, taken out of its payload once (the broker hands the encoder arrays). */
    private byte[] nonce;
    private byte[] ciphertext;
    private Inbound sendIn;

    @Setup
    public void setUp() {
        send = BinaryClientCodec.encode(Samples.sendFrame(size));
        clientAck = BinaryClientCodec.encode(Samples.clientAckFrame());
        hello = BinaryClientCodec.encode(Samples.sessionHello().frame());
        if (send[1] != BinaryWire.SEND || hello[1] != BinaryWire.SESSION_HELLO
                || BinaryDecoder.decode(send).type != Inbound.Type.SEND
                || BinaryDecoder.decode(hello).type != Inbound.Type.SESSION_HELLO) {
            throw new IllegalStateException("sample frames have no compact binary form");
        }
        dm = Samples.dm(size);
        nonce = dm.nonce();
        ciphertext = dm.ciphertext();
        sendIn = EnvelopeDecoder.decode(Samples.sendFrame(size));
    }

    @Benchmark
    public Inbound decodeSend() {
        return BinaryDecoder.decode(send, 0, send.length);
    }

    @Benchmark
    public Inbound decodeClientAck() {
        return BinaryDecoder.decode(clientAck, 0, clientAck.length);
    }

    @Benchmark
    public Inbound decodeSessionHello() {
        return BinaryDecoder.decode(hello, 0, hello.length);
    }

    @Benchmark
    public byte[] dmPush() {
        return BinaryFrames.dmPush(dm);
    }

    @Benchmark
    public byte[] multicastPush() {
        return BinaryFrames.multicastPush(dm.messageId(), dm.meshId(), dm.senderPubkey(), dm.priority(), nonce,
                ciphertext, dm.createdAtMs(), dm.clientMessageId(), null, dm.senderMemberPubkey(),
                dm.senderMemberId(), dm.senderName(), null);
    }

    @Benchmark
    public byte[] ackQueued() {
        return BinaryFrames.ackQueued(sendIn, dm.messageId());
    }
}
