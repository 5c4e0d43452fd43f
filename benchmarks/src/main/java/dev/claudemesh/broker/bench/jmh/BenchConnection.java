package dev.claudemesh.broker.bench.jmh;

import dev.claudemesh.broker.core.port.PeerConnection;

/**
 * The socket of the mesh-loop benchmarks: writes nothing, counts frames and bytes (so the JIT keeps the calls) and
 * keeps a reference to the last frame (no copy); a close is recorded, not acted on. Runs tasks on the caller's
 * thread.
 */
public final class BenchConnection implements PeerConnection {

    private static long ids;
    private final long id = ++ids;
    public long frames;
    public long bytes;
    public byte[] last = new byte[0];
    /** The code of a close the broker asked for, or null. */
    public Integer closedWith;

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
