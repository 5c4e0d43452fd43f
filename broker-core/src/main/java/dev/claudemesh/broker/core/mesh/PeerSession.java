package dev.claudemesh.broker.core.mesh;

import dev.claudemesh.broker.core.envelope.BinaryDecoder;
import dev.claudemesh.broker.core.envelope.EnvelopeDecoder;
import dev.claudemesh.broker.core.envelope.EnvelopeReader;
import dev.claudemesh.broker.core.envelope.JsonOut;
import dev.claudemesh.broker.core.envelope.WireFormat;
import dev.claudemesh.broker.core.envelope.Frames;
import dev.claudemesh.broker.core.envelope.Inbound;
import dev.claudemesh.broker.core.port.PeerConnection;

import java.util.ArrayDeque;

/**
 * The domain side of one socket: authenticates it, then hands its frames, in arrival order, to the owning
 * mesh's loop. {@link #onFrame} and {@link #onClosed} are called on the socket's own thread, in order;
 * {@link #lease} is read and written only on the mesh loop once authenticated.
 */
public final class PeerSession {

    enum State { NEW, AUTHENTICATING, AUTHENTICATED, CLOSED }

    /** Frames buffered while a hello is being checked; more than this closes the socket. */
    static final int MAX_BUFFERED_FRAMES = 256;

    final Broker broker;
    final PeerConnection conn;
    private State state = State.NEW;
    private ArrayDeque<Inbound> buffered;
    /** Decodes this socket's JSON frames into one reused Inbound; socket thread only. */
    private final EnvelopeReader reader = new EnvelopeReader();
    /** True while the reader's Inbound is lent to the mesh (a frame that arrives meanwhile gets its own). */
    private boolean lending;
    /** The mesh this socket authenticated (or tries to authenticate) to; set on the socket thread. */
    volatile MeshState mesh;
    /** Set on the mesh loop when the lease is registered. */
    Lease lease;
    /** True once the socket is closed; written on the socket thread, read on the mesh loop. */
    volatile boolean closed;
    /** Set on the mesh loop when a newer socket replaced this one: its close must not touch the lease. */
    volatile boolean replaced;

    PeerSession(Broker broker, PeerConnection conn) {
        this.broker = broker;
        this.conn = conn;
    }

    public PeerConnection connection() {
        return conn;
    }

    /** The lease this socket authenticated; null before. Mesh loop only. */
    public Lease lease() {
        return lease;
    }

    /**
     * Writes a reply frame to this socket (any thread; never blocks). Ignored once the socket is closed, so an
     * asynchronous answer to a socket that went away is dropped.
     */
    public void reply(byte[] frame) {
        conn.send(frame);
    }

    /**
     * Writes the JSON reply that {@code scratch} holds (a scratch writer, {@link JsonOut#scratch()}, free again when
     * this returns): copied out by the transport on a JSON socket, converted on a binary one. Any thread.
     */
    public void reply(JsonOut scratch) {
        if (conn.format() == WireFormat.JSON) {
            conn.sendEncodedCopy(scratch.array(), 0, scratch.size());
        } else {
            conn.send(scratch.toBytes());
        }
    }

    /** Writes a reply already encoded in this socket's {@link #format()} (acks of the hot path). Any thread. */
    public void replyEncoded(byte[] frame) {
        conn.sendEncoded(frame);
    }

    /**
     * Writes the first {@code length} bytes of {@code frame}, a reply encoded in this socket's {@link #format()} in a
     * scratch writer (free again when this returns): copied out by the transport. Any thread.
     */
    public void replyEncodedCopy(byte[] frame, int length) {
        conn.sendEncodedCopy(frame, 0, length);
    }

    /** The encoding of this socket. */
    public WireFormat format() {
        return conn.format();
    }

    /** True once the hello succeeded (socket thread). */
    public boolean authenticated() {
        return state == State.AUTHENTICATED;
    }

    /**
     * One inbound frame's UTF-8 bytes; called on the socket's thread in arrival order. The frame is decoded into the
     * reader's reused Inbound; that is lent to the mesh only when the mesh is handled right here, on this thread, by a
     * handler that keeps nothing of it ({@link MeshState#lendable}): a {@code send} or a {@code client_ack}, after the
     * hello. Everything else (a hello, frames buffered during it, a hop to another loop, the mesh services' requests)
     * gets a copy, as it may be kept after this call.
     */
    public void onFrame(byte[] data, int off, int len) {
        if (lending) {
            // re-entered while the reused Inbound is out (not seen in practice): this frame gets its own
            onEnvelope(EnvelopeDecoder.decode(data, off, len));
            return;
        }
        lendOrCopy(reader.read(data, off, len));
    }

    /**
     * One inbound frame of the binary subprotocol; called on the socket's thread in arrival order. Decoded into the
     * reader's reused Inbound and lent or copied exactly as {@link #onFrame} does.
     */
    public void onBinaryFrame(byte[] data, int off, int len) {
        if (lending) {
            onEnvelope(BinaryDecoder.decode(data, off, len));
            return;
        }
        lendOrCopy(reader.readBinary(data, off, len));
    }

    /** Hands a frame the reader decoded to the mesh: lent for the call where {@link #onFrame} says, else copied. */
    private void lendOrCopy(Inbound in) {
        if (!reader.owns(in)) {
            // a binary frame that is malformed or 0x7F JSON comes in an Inbound of its own
            reader.clear();
            onEnvelope(in);
            return;
        }
        MeshState m = mesh;
        if (state != State.AUTHENTICATED || !m.loop.inLoop() || !m.lendable(in)) {
            Inbound own = in.copy();
            reader.clear();
            onEnvelope(own);
            return;
        }
        lending = true;
        try {
            onEnvelope(in);
        } finally {
            lending = false;
            reader.clear();
        }
    }

    /** A frame that cannot be read at all (e.g. a text frame on a binary connection): answered {@code bad_request}. */
    public void onUnreadableFrame(String why) {
        onEnvelope(Inbound.malformed(why));
    }

    void onEnvelope(Inbound in) {
        switch (state) {
            case NEW -> {
                if (in.type == Inbound.Type.HELLO || in.type == Inbound.Type.SESSION_HELLO) {
                    state = State.AUTHENTICATING;
                    broker.authenticator.authenticate(this, in);
                } else if (in.type == Inbound.Type.MALFORMED) {
                    conn.send(Frames.error("bad_request", in.error, in));
                } else {
                    conn.send(Frames.error("no_hello", "must send hello first", in));
                }
            }
            case AUTHENTICATING -> {
                if (buffered == null) {
                    buffered = new ArrayDeque<>();
                }
                if (buffered.size() >= MAX_BUFFERED_FRAMES) {
                    conn.close(1008, "too_many_frames_before_hello_ack");
                    return;
                }
                buffered.add(in);
            }
            case AUTHENTICATED -> {
                if (in.type == Inbound.Type.HELLO || in.type == Inbound.Type.SESSION_HELLO) {
                    conn.send(Frames.error("already_authenticated", "this socket is already authenticated", in));
                    return;
                }
                MeshState m = mesh;
                if (m.loop.inLoop()) {
                    // This socket's thread owns the mesh (one socket in N for N loops): no hop needed. Order holds,
                    // as a socket's frames then always take this path, and the lease was registered before
                    // authSucceeded() let frames through.
                    m.handle(this, in);
                } else {
                    m.loop.execute(() -> m.handle(this, in));
                }
            }
            case CLOSED -> {
                // late frames after close: dropped
            }
        }
    }

    /** Called (via the socket thread) when the hello was rejected: the socket is being closed. */
    void authFailed() {
        state = State.CLOSED;
        buffered = null;
    }

    /** Called (via the socket thread) when the lease is registered: process the frames that waited. */
    void authSucceeded() {
        if (state != State.AUTHENTICATING) {
            return;
        }
        state = State.AUTHENTICATED;
        ArrayDeque<Inbound> waiting = buffered;
        buffered = null;
        if (waiting != null) {
            for (Inbound in : waiting) {
                onEnvelope(in);
            }
        }
    }

    /** The socket closed; called on the socket's thread. */
    public void onClosed() {
        if (closed) {
            return;
        }
        closed = true;
        state = State.CLOSED;
        buffered = null;
        MeshState m = mesh;
        if (m != null) {
            m.loop.execute(() -> m.socketClosed(this));
        }
        // after the hop: whoever sees the gauge drop knows the mesh loop has the close queued before its later work
        broker.metrics.connectionsActive.decrementAndGet();
    }
}
