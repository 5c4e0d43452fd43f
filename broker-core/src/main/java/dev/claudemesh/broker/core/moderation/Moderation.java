package dev.claudemesh.broker.core.moderation;

import dev.claudemesh.broker.core.envelope.Inbound;
import dev.claudemesh.broker.core.mesh.Ending;
import dev.claudemesh.broker.core.mesh.Lease;
import dev.claudemesh.broker.core.mesh.LeaseListener;
import dev.claudemesh.broker.core.mesh.MeshContext;
import dev.claudemesh.broker.core.mesh.PeerSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.Map;

/**
 * The moderation service's state of one mesh: its context, and since when each lease has been without a socket (for
 * {@code kick}/{@code disconnect} in stale mode). <b>Thread:</b> the mesh loop; created and owned by
 * {@link ModerationService}.
 */
public final class Moderation implements LeaseListener {

    private static final Logger log = LoggerFactory.getLogger(Moderation.class);

    final MeshContext mesh;
    /** Presence id → when its socket closed (epoch ms), for leases in grace. */
    private final Map<String, Long> socketGoneSinceMs = new HashMap<>();

    Moderation(MeshContext mesh) {
        this.mesh = mesh;
    }

    /**
     * When {@code lease} was last seen alive, epoch ms: {@code nowMs} for a live lease (the transport pings every live
     * socket and closes one that stops answering, after which it is in grace), else the moment its socket closed.
     */
    long lastSeenMs(Lease lease, long nowMs) {
        if (lease.isLive()) {
            return nowMs;
        }
        Long since = socketGoneSinceMs.get(lease.presenceId());
        return since != null ? since : lease.connectedAtMs();
    }

    @Override
    public void leaseRegistered(Lease lease, boolean reattached) {
        socketGoneSinceMs.remove(lease.presenceId());
    }

    @Override
    public void socketClosed(Lease lease) {
        socketGoneSinceMs.put(lease.presenceId(), mesh.nowMs());
    }

    @Override
    public void leaseEnded(Lease lease, Ending ending) {
        socketGoneSinceMs.remove(lease.presenceId());
    }

    /** Answers {@code in} with an error frame ({@link MeshContext#error} logs the one line: type and code only). */
    void refuse(PeerSession from, Inbound in, String code, String message) {
        mesh.error(from, in, code, message);
    }

    /** A storage call failed: logged once with its cause, answered {@code internal_error}. */
    void failed(PeerSession from, Inbound in, Throwable failure) {
        log.warn("mesh {} conn {}: {} failed: {}", mesh.meshId(), from.connection().id(), in.rawType,
                failure.toString());
        mesh.error(from, in, "internal_error", "moderation is unavailable right now");
    }

    /** The member id of {@code from}'s lease. */
    static String memberId(PeerSession from) {
        return from.lease().member().id();
    }
}
