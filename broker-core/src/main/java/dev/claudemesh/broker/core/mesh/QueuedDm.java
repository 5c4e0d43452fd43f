package dev.claudemesh.broker.core.mesh;

import dev.claudemesh.broker.core.envelope.BinaryFrames;
import dev.claudemesh.broker.core.envelope.BinaryWriter;
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
     * Pushes the DM to {@code conn} in its encoding, encoded in the thread's scratch writer and copied out by the
     * transport (no array per push on the heap; a redelivery encodes again). A DM whose values the binary form cannot
     * carry goes to a binary socket as its JSON push in a {@code 0x7F} frame.
     */
    void push(PeerConnection conn) {
        if (conn.format() == WireFormat.JSON) {
            JsonOut o = Frames.dmPushScratch(message);
            conn.sendEncodedCopy(o.array(), 0, o.size());
            return;
        }
        BinaryWriter w = BinaryFrames.dmPushScratch(message);
        if (w != null) {
            conn.sendEncodedCopy(w.array(), 0, w.size());
        } else {
            conn.sendEncoded(BinaryFrames.json(Frames.dmPush(message)));
        }
    }
}
