package dev.claudemesh.broker.core.mesh;

import dev.claudemesh.broker.core.envelope.BinaryFrames;
import dev.claudemesh.broker.core.envelope.Frames;
import dev.claudemesh.broker.core.envelope.JsonOut;
import dev.claudemesh.broker.core.envelope.WireFormat;
import dev.claudemesh.broker.core.model.StoredMessage;
import dev.claudemesh.broker.core.port.PeerConnection;

/** A DM waiting in a recipient queue, with its claim (pushed, not yet client-acked). Mesh-loop confined. */
final class QueuedDm {

    final StoredMessage message;
    /** The message's priority (a reloaded row with an unknown one counts as {@code next}, the default). */
    final Priority priority;
    private byte[] binaryPushFrame;
    /** The lease it was pushed to, or null when unclaimed. */
    Lease claimedBy;
    PeerSession claimedSession;
    long claimedAtMs;

    QueuedDm(StoredMessage message) {
        this.message = message;
        Priority p = Priority.parse(message.priority());
        this.priority = p == null ? Priority.NEXT : p;
    }

    /**
     * Pushes the DM to {@code conn}: a JSON socket gets it encoded in the thread's scratch writer and copied out by the
     * transport (no array per push on the heap; a redelivery encodes again), a binary socket the binary form, encoded
     * at most once and kept for a redelivery.
     */
    void push(PeerConnection conn) {
        if (conn.format() == WireFormat.JSON) {
            JsonOut o = Frames.dmPushScratch(message);
            conn.sendEncodedCopy(o.array(), 0, o.size());
            return;
        }
        if (binaryPushFrame == null) {
            binaryPushFrame = BinaryFrames.dmPush(message);
        }
        conn.sendEncoded(binaryPushFrame);
    }
}
