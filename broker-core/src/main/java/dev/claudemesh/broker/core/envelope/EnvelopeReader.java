package dev.claudemesh.broker.core.envelope;

/**
 * One socket's JSON frame reader: decodes each frame ({@link EnvelopeDecoder}) into the same {@link Inbound}, so
 * that a frame handled before the next one is read (a {@code send} or {@code client_ack} whose mesh lives on the
 * socket's own thread) costs no Inbound. It also remembers the last {@code targetSpec} text, which a peer writing to
 * the same recipient again gets back instead of a new String.
 *
 * <p><b>Ownership.</b> The Inbound {@link #read} returns is this reader's: valid until the next {@link #read} or
 * {@link #clear}. Code that may keep it longer (another thread, a queued callback, a frame buffered during a hello)
 * must get {@link Inbound#copy()}. The values in it (Strings, the group list) are new for every frame and never
 * written afterwards, so they may be kept by anyone; nonce and ciphertext are ranges of the frame's own bytes, which
 * the transport reuses after the call: kept only through {@link Inbound#copy()} (which copies them out) or a
 * {@link dev.claudemesh.broker.core.model.Payload}. <b>Thread:</b> one thread at a time, the socket's.</p>
 */
public final class EnvelopeReader {

    private final Inbound in = new Inbound();
    /** The {@code targetSpec} of an earlier frame (a String: immutable, safe to share), or null. */
    String lastTargetSpec;

    /** Decodes {@code len} bytes of {@code data} from {@code off} into this reader's Inbound and returns it. */
    public Inbound read(byte[] data, int off, int len) {
        return EnvelopeDecoder.decode(data, off, len, in, this);
    }

    /** Drops what the last frame held (so a socket that goes quiet does not pin its last payload). */
    public void clear() {
        in.clear();
    }
}
