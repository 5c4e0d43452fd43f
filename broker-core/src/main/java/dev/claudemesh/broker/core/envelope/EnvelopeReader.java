package dev.claudemesh.broker.core.envelope;

/**
 * One socket's frame reader: decodes each frame ({@link EnvelopeDecoder}, or {@link BinaryDecoder} on a socket of the
 * binary subprotocol: {@link #readBinary}) into the same {@link Inbound}, so
 * that a frame handled before the next one is read (a {@code send} or {@code client_ack} whose mesh lives on the
 * socket's own thread) costs no Inbound. It also remembers the last {@code targetSpec} text, which a peer writing to
 * the same recipient again gets back instead of a new String.
 *
 * <p><b>Ownership.</b> The Inbound {@link #read} returns is this reader's: valid until the next {@link #read} or
 * {@link #clear}. Code that may keep it longer (another thread, a queued callback, a frame buffered during a hello)
 * must get {@link Inbound#copy()}. The values in it (Strings, the group list) are never written after decoding, so
 * they may be kept by anyone; nonce and ciphertext are ranges of the frame's own bytes (of a binary frame: of the
 * thread's work array that holds their base64 text), which are reused after the call: kept only through
 * {@link Inbound#copy()} (which copies them out) or a {@link dev.claudemesh.broker.core.model.Payload}.
 * <b>Thread:</b> one thread at a time, the socket's.</p>
 */
public final class EnvelopeReader {

    private final Inbound in = new Inbound();
    /** The {@code targetSpec} of an earlier frame (a String: immutable, safe to share), or null. */
    String lastTargetSpec;
    /** On a binary socket: the raw key whose hex text {@link #lastTargetSpec} is, or null (never a JSON socket's). */
    byte[] lastTargetKey;

    /** Decodes {@code len} bytes of {@code data} from {@code off} into this reader's Inbound and returns it. */
    public Inbound read(byte[] data, int off, int len) {
        return EnvelopeDecoder.decode(data, off, len, in, this);
    }

    /** Decodes a frame of the binary subprotocol into this reader's Inbound (or another: {@link BinaryDecoder}). */
    public Inbound readBinary(byte[] data, int off, int len) {
        return BinaryDecoder.decode(data, off, len, in, this);
    }

    /** True when {@code inbound} is this reader's reused Inbound. */
    public boolean owns(Inbound inbound) {
        return inbound == in;
    }

    /** Drops what the last frame held (so a socket that goes quiet does not pin its last payload). */
    public void clear() {
        in.clear();
    }
}
