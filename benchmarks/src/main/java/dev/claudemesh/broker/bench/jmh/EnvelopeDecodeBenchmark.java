package dev.claudemesh.broker.bench.jmh;

import dev.claudemesh.broker.core.envelope.EnvelopeDecoder;
import dev.claudemesh.broker.core.envelope.EnvelopeReader;
import dev.claudemesh.broker.core.envelope.Inbound;
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
 * {@link EnvelopeDecoder#decode}: the first thing the broker does with every inbound frame, on the socket's loop.
 * A {@code send} (routing header read, nonce/ciphertext kept as bytes), a {@code client_ack} (the other frame of
 * every DM) and a {@code session_hello} (once per connection). {@code decode*} make a new {@link Inbound} per frame
 * (what a frame handed to another thread gets); {@code read*} decode into a socket's reused one ({@link EnvelopeReader},
 * what a {@code send} or {@code client_ack} handled on the socket's own thread costs).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class EnvelopeDecodeBenchmark {

    /** Ciphertext bytes before base64. */
    @Param({"256", "4096"})
    public int size;

    private byte[] send;
    private byte[] clientAck;
    private byte[] hello;
    private final EnvelopeReader reader = new EnvelopeReader();

    @Setup
    public void setUp() {
        send = Samples.sendFrame(size);
        clientAck = Samples.clientAckFrame();
        hello = Samples.sessionHello().frame();
        if (EnvelopeDecoder.decode(send).type != Inbound.Type.SEND
                || EnvelopeDecoder.decode(hello).type != Inbound.Type.SESSION_HELLO) {
            throw new IllegalStateException("sample frames do not decode");
        }
    }

    @Benchmark
    public Inbound decodeSend() {
        return EnvelopeDecoder.decode(send, 0, send.length);
    }

    @Benchmark
    public Inbound decodeClientAck() {
        return EnvelopeDecoder.decode(clientAck, 0, clientAck.length);
    }

    @Benchmark
    public Inbound readSend() {
        return reader.read(send, 0, send.length);
    }

    @Benchmark
    public Inbound readClientAck() {
        return reader.read(clientAck, 0, clientAck.length);
    }

    @Benchmark
    public Inbound decodeSessionHello() {
        return EnvelopeDecoder.decode(hello, 0, hello.length);
    }
}
