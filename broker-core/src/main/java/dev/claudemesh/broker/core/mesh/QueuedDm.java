package dev.claudemesh.broker.core.mesh;

import dev.claudemesh.broker.core.envelope.BinaryFrames;
import dev.claudemesh.broker.core.envelope.Frames;
import dev.claudemesh.broker.core.envelope.WireFormat;
import dev.claudemesh.broker.core.model.StoredMessage;

/** A DM waiting in a recipient queue, with its claim (pushed, not yet client-acked). Mesh-loop confined. */
final class QueuedDm {

    final StoredMessage message;
    /** The message's priority (a reloaded row with an unknown one counts as {@code next}, the default). */
    final Priority priority;
    private byte[] pushFrame;
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

    /** The push frame, encoded once and reused for redelivery. */
    byte[] pushFrame() {
        if (pushFrame == null) {
            pushFrame = Frames.dmPush(message);
        }
        return pushFrame;
    }

    /** The push frame in {@code format}, each form encoded at most once (a redelivery may meet another socket). */
    byte[] pushFrame(WireFormat format) {
        if (format == WireFormat.JSON) {
            return pushFrame();
        }
        if (binaryPushFrame == null) {
            binaryPushFrame = BinaryFrames.dmPush(message);
        }
        return binaryPushFrame;
    }
}
