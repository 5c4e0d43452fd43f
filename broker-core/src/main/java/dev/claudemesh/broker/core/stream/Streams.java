package dev.claudemesh.broker.core.stream;

import dev.claudemesh.broker.core.BrokerMetrics;
import dev.claudemesh.broker.core.mesh.Ending;
import dev.claudemesh.broker.core.mesh.Lease;
import dev.claudemesh.broker.core.mesh.LeaseListener;
import dev.claudemesh.broker.core.mesh.MeshContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * One mesh's stream subscriptions (PROTOCOL-MESH §12), in memory only: a subscription is keyed by stream
 * <b>name</b> and lease (presence id), so it survives a grace reattach (same presence id) and ends with the lease
 * ({@link #leaseEnded}) or a restart.
 *
 * <p><b>Bounded buffers.</b> Each subscription holds at most {@link StreamService.Limits#subscriberBufferBytes} of
 * {@code stream_data} frames: those handed to its socket and not yet written out (at most
 * {@link #MAX_IN_FLIGHT_FRAMES}, and at most half the budget unless it is the only one), plus those waiting here.
 * When a new frame does not fit, the oldest waiting frames are dropped to make room: a live stream's newest data is
 * what a subscriber that catches up wants, and neither the publisher nor the other subscribers wait for a slow one
 * (unlike closing the socket, this keeps the subscriber's DMs and its other streams flowing). A frame that cannot fit
 * even then (the socket already holds the budget) is dropped itself. Every dropped frame is counted in
 * {@link BrokerMetrics#streamFramesDropped}; the bytes held are {@link BrokerMetrics#streamBufferedBytes}. A lease in
 * grace gets nothing (PROTOCOL-MESH §0.5), and what waited for its socket is let go when the socket closes.</p>
 *
 * <p><b>Thread:</b> the mesh loop only (write completions come back through {@link MeshContext#send(Lease, byte[],
 * Runnable)}, which runs them on the loop). Owned by the mesh's {@link StreamService} state.</p>
 */
public final class Streams implements LeaseListener {

    private static final Logger log = LoggerFactory.getLogger(Streams.class);
    /** Most frames of one subscription handed to its socket and not yet written out. */
    static final int MAX_IN_FLIGHT_FRAMES = 16;

    /** One lease's subscription to one stream, with its buffer. */
    static final class Subscriber {
        final Lease lease;
        final ArrayDeque<byte[]> waiting = new ArrayDeque<>();
        long waitingBytes;
        int inFlightFrames;
        long inFlightBytes;
        long dropped;
        boolean removed;

        Subscriber(Lease lease) {
            this.lease = lease;
        }
    }

    final MeshContext mesh;
    private final StreamService.Limits limits;
    private final BrokerMetrics metrics;
    /** Subscribers by stream name, in subscription order. */
    private final Map<String, LinkedHashMap<String, Subscriber>> byStream = new HashMap<>();
    /** Stream names by subscribed presence id. */
    private final Map<String, Set<String>> byPresence = new HashMap<>();

    Streams(MeshContext mesh, StreamService.Limits limits) {
        this.mesh = mesh;
        this.limits = limits;
        this.metrics = mesh.metrics();
    }

    /** Outcome of {@link #subscribe}. */
    enum Subscribed { ADDED, ALREADY, LIMIT_REACHED }

    Subscribed subscribe(Lease lease, String stream) {
        Set<String> mine = byPresence.get(lease.presenceId());
        if (mine != null && mine.contains(stream)) {
            return Subscribed.ALREADY;
        }
        if (mine != null && mine.size() >= limits.maxSubscriptionsPerLease()) {
            return Subscribed.LIMIT_REACHED;
        }
        byPresence.computeIfAbsent(lease.presenceId(), k -> new LinkedHashSet<>()).add(stream);
        byStream.computeIfAbsent(stream, k -> new LinkedHashMap<>()).put(lease.presenceId(), new Subscriber(lease));
        metrics.streamSubscriptions.incrementAndGet();
        return Subscribed.ADDED;
    }

    void unsubscribe(Lease lease, String stream) {
        Set<String> mine = byPresence.get(lease.presenceId());
        if (mine == null || !mine.remove(stream)) {
            return;
        }
        if (mine.isEmpty()) {
            byPresence.remove(lease.presenceId());
        }
        remove(stream, lease.presenceId());
    }

    /** Subscribers of {@code stream} (grace leases included), as {@code list_streams} counts them. */
    int subscriberCount(String stream) {
        Map<String, Subscriber> subs = byStream.get(stream);
        return subs == null ? 0 : subs.size();
    }

    /**
     * Offers one encoded {@code stream_data} frame to every subscriber of {@code stream} except {@code publisher}
     * (shared array: encoded once).
     */
    void publish(String stream, Lease publisher, byte[] frame) {
        Map<String, Subscriber> subs = byStream.get(stream);
        if (subs == null) {
            return;
        }
        for (Subscriber s : subs.values()) {
            if (s.lease != publisher) {
                offer(s, frame);
            }
        }
    }

    private void offer(Subscriber s, byte[] frame) {
        if (!s.lease.isLive()) {
            return; // a lease in grace misses live notifications (§0.5): not a back-pressure drop
        }
        long budget = limits.subscriberBufferBytes();
        int size = frame.length;
        while (s.inFlightBytes + s.waitingBytes + size > budget && !s.waiting.isEmpty()) {
            byte[] oldest = s.waiting.poll();
            s.waitingBytes -= oldest.length;
            metrics.streamBufferedBytes.addAndGet(-oldest.length);
            dropped(s);
        }
        if (s.inFlightBytes + size > budget) {
            dropped(s); // the socket already holds the whole budget (or the frame alone exceeds it)
            return;
        }
        s.waiting.add(frame);
        s.waitingBytes += size;
        metrics.streamBufferedBytes.addAndGet(size);
        pump(s);
    }

    /** Hands waiting frames to the socket while the in-flight window allows. */
    private void pump(Subscriber s) {
        long inFlightBudget = limits.subscriberBufferBytes() / 2;
        while (!s.removed && !s.waiting.isEmpty() && s.inFlightFrames < MAX_IN_FLIGHT_FRAMES
                && (s.inFlightFrames == 0 || s.inFlightBytes + s.waiting.peek().length <= inFlightBudget)) {
            byte[] frame = s.waiting.poll();
            int size = frame.length;
            s.waitingBytes -= size;
            s.inFlightFrames++;
            s.inFlightBytes += size;
            if (!mesh.send(s.lease, frame, () -> written(s, size))) {
                // no live socket: this frame and what waits behind it go (as any notification to a lease in grace)
                s.inFlightFrames--;
                s.inFlightBytes -= size;
                release(s, size + s.waitingBytes);
                s.waiting.clear();
                s.waitingBytes = 0;
                return;
            }
        }
    }

    private void written(Subscriber s, int size) {
        s.inFlightFrames--;
        s.inFlightBytes -= size;
        metrics.streamBufferedBytes.addAndGet(-size);
        pump(s);
    }

    private void dropped(Subscriber s) {
        metrics.streamFramesDropped.increment();
        if (s.dropped++ == 0) {
            log.warn("mesh {}: presence {} does not keep up with its stream subscription; its oldest stream frames "
                    + "are dropped (buffer {} bytes)", mesh.meshId(), s.lease.presenceId(),
                    limits.subscriberBufferBytes());
        }
    }

    private void release(Subscriber s, long bytes) {
        metrics.streamBufferedBytes.addAndGet(-bytes);
    }

    private void remove(String stream, String presenceId) {
        LinkedHashMap<String, Subscriber> subs = byStream.get(stream);
        Subscriber s = subs == null ? null : subs.remove(presenceId);
        if (s == null) {
            return;
        }
        if (subs.isEmpty()) {
            byStream.remove(stream);
        }
        s.removed = true;
        // frames in flight are released by their completions; the waiting ones go now
        release(s, s.waitingBytes);
        s.waiting.clear();
        s.waitingBytes = 0;
        metrics.streamSubscriptions.decrementAndGet();
    }

    /** The socket closed (grace): what waits for it is let go; the subscriptions stay for a reattach. */
    @Override
    public void socketClosed(Lease lease) {
        Set<String> mine = byPresence.get(lease.presenceId());
        if (mine == null) {
            return;
        }
        for (String stream : mine) {
            Subscriber s = byStream.get(stream).get(lease.presenceId());
            release(s, s.waitingBytes);
            s.waiting.clear();
            s.waitingBytes = 0;
        }
    }

    /** The lease ended, however (grace expiry, revoke, kick, ban, replacement, shutdown): its subscriptions go. */
    @Override
    public void leaseEnded(Lease lease, Ending ending) {
        Set<String> mine = byPresence.remove(lease.presenceId());
        if (mine == null) {
            return;
        }
        for (String stream : mine) {
            remove(stream, lease.presenceId());
        }
    }

    /** The streams with subscribers (tests). */
    Collection<String> subscribedStreams() {
        return byStream.keySet();
    }
}
