package dev.claudemesh.broker.core.port;

/**
 * One fan-out: the frames a loop writes to many sockets in one go (a multicast, a {@code peer_joined} to every
 * other lease), handed to the transport together so that it can move them to each socket's thread in one hop per
 * thread instead of one per recipient. Obtained from {@link MeshLoop#fanout()} at the start of a fan-out, filled with
 * {@link #send}/{@link #sendEncoded}, then {@link #finish()}ed at once.
 *
 * <p><b>Thread:</b> the loop it came from, only. <b>Ordering:</b> the frames queued for one connection go out in the
 * order they were queued; a frame sent to that connection through {@link PeerConnection} after {@link #finish()}
 * goes out after them. Between the first {@code send} and {@code finish()} the caller must not write to the same
 * connections another way (the fan-outs here are plain loops over the lease table, followed by {@code finish()}).
 * A frame may be written before {@code finish()}: a transport without batching ({@link #DIRECT}) sends each at
 * once. The arrays follow {@link PeerConnection#send(byte[])}'s sharing rules: one array for many recipients, never
 * modified afterwards.</p>
 */
public interface Fanout {

    /** Queues {@code utf8Json} for {@code to}, as {@link PeerConnection#send(byte[])} would send it. */
    void send(PeerConnection to, byte[] utf8Json);

    /** Queues {@code frame}, already in {@code to}'s {@link PeerConnection#format()}, as {@code sendEncoded} would. */
    void sendEncoded(PeerConnection to, byte[] frame);

    /** Hands everything queued to the transport. The object may be reused for the loop's next fan-out after this. */
    void finish();

    /** No batching: every frame is sent at once through its connection (transports and test loops without one). */
    Fanout DIRECT = new Fanout() {
        @Override
        public void send(PeerConnection to, byte[] utf8Json) {
            to.send(utf8Json);
        }

        @Override
        public void sendEncoded(PeerConnection to, byte[] frame) {
            to.sendEncoded(frame);
        }

        @Override
        public void finish() {
            // nothing was held back
        }
    };
}
