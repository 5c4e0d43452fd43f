package dev.claudemesh.broker.bench.jmh;

import dev.claudemesh.broker.core.envelope.WireFormat;
import dev.claudemesh.broker.core.port.PeerConnection;

/**
 * The socket of the mesh-loop benchmarks: writes nothing, counts frames and bytes (so the JIT keeps the calls) and
 * keeps the last frame: a reference to an array sent (no copy), or, for {@link #sendEncodedCopy}, a copy into one
 * reused buffer, as the Netty transport copies into a pooled (recycled, off-heap) buffer. A close is recorded, not
 * acted on. Runs tasks on the caller's thread.
 */
public final class BenchConnection implements PeerConnection {

    private static long ids;
    private final long id = ++ids;
    public long frames;
    public long bytes;
    /** The last frame's bytes: {@link #lastLength} of them from index 0. */
    public byte[] last = new byte[0];
    public int lastLength;
    private byte[] copyBuffer = new byte[1024];
    /** The code of a close the broker asked for, or null. */
    public Integer closedWith;
    private final WireFormat format;

    /** A socket of the JSON protocol. */
    public BenchConnection() {
        this(WireFormat.JSON);
    }

    /** A socket of {@code format} (its frames are kept as the broker encodes them). */
    public BenchConnection(WireFormat format) {
        this.format = format;
    }

    @Override
    public WireFormat format() {
        return format;
    }

    @Override
    public long id() {
        return id;
    }

    @Override
    public String remoteAddress() {
        return "127.0.0.1";
    }

    @Override
    public void send(byte[] utf8Json) {
        frames++;
        bytes += utf8Json.length;
        last = utf8Json;
        lastLength = utf8Json.length;
    }

    @Override
    public void sendEncodedCopy(byte[] frame, int offset, int length) {
        if (copyBuffer.length < length) {
            copyBuffer = new byte[Math.max(length, copyBuffer.length * 2)];
        }
        System.arraycopy(frame, offset, copyBuffer, 0, length);
        frames++;
        bytes += length;
        last = copyBuffer;
        lastLength = length;
    }

    @Override
    public void close(int code, String reason) {
        closedWith = code;
    }

    @Override
    public boolean isOpen() {
        return closedWith == null;
    }

    @Override
    public void execute(Runnable task) {
        task.run();
    }
}
