package dev.claudemesh.broker.core.port;

import dev.claudemesh.broker.core.envelope.WireFormat;

import java.util.Arrays;

/**
 * One peer's socket, as the domain sees it. Implemented by the transport (broker-netty).
 * All methods are thread-safe and never block: calls from other threads hop onto the socket's own thread.
 */
public interface PeerConnection {

    /** A process-unique connection id, for logs. */
    long id();

    /** The remote address as text (for logs and rate limits). */
    String remoteAddress();

    /**
     * Sends one text frame holding {@code utf8Json}. The array must not be modified afterwards; the same
     * array may be handed to many connections (encode once for a fan-out). Writes are flushed in batches.
     * Ignored when the socket is closed.
     */
    void send(byte[] utf8Json);

    /**
     * Sends like {@link #send(byte[])}, then runs {@code onDone} (on any thread, once) when the frame has left the
     * broker's buffers for the socket, or was dropped because the socket closed. A sender that must bound what it
     * keeps queued for a slow peer (stream subscribers, PROTOCOL-MESH §12) counts frames in flight with it. The
     * default, for transports without write completion, runs {@code onDone} at once.
     */
    default void send(byte[] utf8Json, Runnable onDone) {
        try {
            send(utf8Json);
        } finally {
            onDone.run();
        }
    }

    /**
     * The encoding this connection speaks, chosen at the upgrade ({@code docs/BINARY-PROTOCOL.md}). On a
     * {@link WireFormat#BINARY} connection {@link #send(byte[])} still takes JSON, which the transport converts at
     * the edge; the hot paths write the binary form themselves with {@link #sendEncoded}.
     */
    default WireFormat format() {
        return WireFormat.JSON;
    }

    /**
     * Sends one frame already encoded in {@link #format()}: JSON text, or a binary frame of the subprotocol. The same
     * sharing rules as {@link #send(byte[])}.
     */
    default void sendEncoded(byte[] frame) {
        send(frame);
    }

    /**
     * Sends like {@link #sendEncoded(byte[])} the {@code length} bytes of {@code frame} from {@code offset}, copied
     * before this returns, so the caller may reuse the array at once (a scratch encoder's buffer: the hot path's push
     * and ack then allocate no array per frame on the heap). The default copies to a new array; the Netty transport
     * copies into a pooled buffer.
     */
    default void sendEncodedCopy(byte[] frame, int offset, int length) {
        sendEncoded(Arrays.copyOfRange(frame, offset, offset + length));
    }

    /** Sends a close frame with {@code code} and {@code reason}, then closes the socket. Idempotent. */
    void close(int code, String reason);

    /** True until the socket is closed (or a close was requested). */
    boolean isOpen();

    /** Runs {@code task} on this socket's own thread (in order with its inbound frames). */
    void execute(Runnable task);
}
