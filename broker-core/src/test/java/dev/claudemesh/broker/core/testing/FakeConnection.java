package dev.claudemesh.broker.core.testing;

import dev.claudemesh.broker.core.envelope.BinaryClientCodec;
import dev.claudemesh.broker.core.envelope.BinaryTranscoder;
import dev.claudemesh.broker.core.envelope.JsonOut;
import dev.claudemesh.broker.core.envelope.WireFormat;
import dev.claudemesh.broker.core.port.PeerConnection;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A connection that records frames and closes; its "own thread" is the test's {@link ManualLoop}. A connection of the
 * binary subprotocol records each frame as the JSON its binary form decodes to ({@link BinaryClientCodec#decode}),
 * converting a JSON frame at the edge first as the transport does ({@link BinaryTranscoder#toBinary}).
 */
public final class FakeConnection implements PeerConnection {

    private static long nextId = 1;
    private final long id = nextId++;
    private final ManualLoop loop;
    public final List<String> frames = new ArrayList<>();
    public Integer closeCode;
    public String closeReason;

    private final WireFormat format;

    public FakeConnection(ManualLoop loop) {
        this(loop, WireFormat.JSON);
    }

    public FakeConnection(ManualLoop loop, WireFormat format) {
        this.loop = loop;
        this.format = format;
    }

    @Override
    public WireFormat format() {
        return format;
    }

    @Override
    public synchronized void sendEncoded(byte[] frame) {
        if (format == WireFormat.JSON) {
            send(frame);
        } else if (closeCode == null) {
            frames.add(new JsonOut().value(BinaryClientCodec.decode(frame)).toString());
        }
    }

    @Override
    public long id() {
        return id;
    }

    @Override
    public String remoteAddress() {
        return "127.0.0.1:" + id;
    }

    @Override
    public synchronized void send(byte[] utf8Json) {
        if (format == WireFormat.BINARY) {
            sendEncoded(BinaryTranscoder.toBinary(utf8Json));
        } else if (closeCode == null) {
            frames.add(new String(utf8Json, StandardCharsets.UTF_8));
        }
    }

    /**
     * While true, {@link #send(byte[], Runnable)} records its frame but keeps the completion until
     * {@link #completeWrites} (a peer whose socket stopped taking bytes); false completes at once.
     */
    public boolean holdWrites;
    private final List<Runnable> heldCompletions = new ArrayList<>();

    @Override
    public void send(byte[] utf8Json, Runnable onDone) {
        boolean now;
        synchronized (this) {
            send(utf8Json);
            now = !holdWrites || closeCode != null;
            if (!now) {
                heldCompletions.add(onDone);
            }
        }
        if (now) {
            onDone.run();
        }
    }

    /** Completes up to {@code n} held writes, oldest first (the peer's socket took them); returns how many. */
    public int completeWrites(int n) {
        List<Runnable> done = new ArrayList<>();
        synchronized (this) {
            while (done.size() < n && !heldCompletions.isEmpty()) {
                done.add(heldCompletions.remove(0));
            }
        }
        done.forEach(Runnable::run);
        return done.size();
    }

    /** Writes sent but not yet completed. */
    public synchronized int heldWrites() {
        return heldCompletions.size();
    }

    /** Closes; writes still held are dropped, so their completions run (as a transport's failed writes do). */
    @Override
    public void close(int code, String reason) {
        synchronized (this) {
            if (closeCode == null) {
                closeCode = code;
                closeReason = reason;
            }
        }
        completeWrites(Integer.MAX_VALUE);
    }

    @Override
    public boolean isOpen() {
        return closeCode == null;
    }

    @Override
    public void execute(Runnable task) {
        loop.execute(task);
    }

    /** Frames whose text contains {@code needle}. */
    public synchronized List<String> framesContaining(String needle) {
        List<String> out = new ArrayList<>();
        for (String f : frames) {
            if (f.contains(needle)) {
                out.add(f);
            }
        }
        return out;
    }

    public synchronized String last() {
        return frames.isEmpty() ? null : frames.get(frames.size() - 1);
    }
}
