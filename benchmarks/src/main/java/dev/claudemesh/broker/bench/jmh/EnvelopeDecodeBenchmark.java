package dev.claudemesh.broker.bench.jmh;

import dev.claudemesh.broker.core.envelope.EnvelopeDecoder;
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
 * every DM) and a {@code session_hello} (once per connection).
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
    public Inbound decodeSessionHello() {
        return EnvelopeDecoder.decode(hello, 0, hello.length);
    }
}
