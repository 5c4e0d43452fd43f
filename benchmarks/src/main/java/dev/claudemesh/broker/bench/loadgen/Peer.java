package dev.claudemesh.broker.bench.loadgen;

import dev.claudemesh.broker.core.crypto.Ed25519;
import io.netty.channel.Channel;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * One simulated peer: a WebSocket, the session it authenticated as, and its send schedule. After the connection
 * is ready, the fields below {@link #worker} are confined to the peer's event loop, except {@link #inFlight}.
 */
final class Peer {

    static final int CONNECTING = 0;
    static final int READY = 1;
    static final int FAILED = 2;
    static final int CLOSED = 3;

    final int index;
    final int mesh;
    /** Parent member; null for the bare relay. */
    final Topology.Member member;
    /** Session key pair; null for the bare relay. */
    final Ed25519.KeyPair session;
    /** The session key as ASCII hex: what DMs to this peer carry as targetSpec. */
    final byte[] routingKey;
    final boolean inGroup;

    volatile Channel channel;
    volatile int state = CONNECTING;
    volatile long connectStartNanos;
    volatile long readyNanos;
    /** Code and reason of a close frame from the server, if one came. */
    volatile String closeReason;

    /** Messages sent and not yet complete (closed loop). */
    final AtomicInteger inFlight = new AtomicInteger();

    Worker worker;
    /** Pushes this peer should get per multicast it sends (eligible recipients). */
    int multicastFanOut;
    /** Open loop: the intended time of this peer's next send. */
    long nextIntendedNanos;
    /** Open loop: nanoseconds between two sends of this peer. */
    long intervalNanos;
    /** Something was written since the last flush (loop-confined). */
    boolean unflushed;

    Peer(int index, int mesh, Topology.Member member, Ed25519.KeyPair session, boolean inGroup) {
        this.index = index;
        this.mesh = mesh;
        this.member = member;
        this.session = session;
        this.routingKey = session == null ? Wire.ascii(Integer.toString(index))
                : Wire.ascii(session.publicKeyHex());
        this.inGroup = inGroup;
    }

    boolean ready() {
        return state == READY;
    }
}
