package dev.claudemesh.broker.core.mesh;

import dev.claudemesh.broker.core.BrokerMetrics;

/**
 * Who may change a lease's status, and when (PROTOCOL §5):
 * <ul>
 *   <li>{@code dnd} takes effect at once, whoever set the status before and however recently;</li>
 *   <li>a {@code dnd} is cleared only by the peer's own {@code set_status} (idle or working): hooks never clear it,
 *       and the TTL never touches it;</li>
 *   <li>between {@code idle} and {@code working}, sources rank hook &gt; manual &gt; ttl, and a lower-ranked source
 *       may replace the status only once the higher one is older than the hook-fresh window;</li>
 *   <li>every sweep, {@code working} older than the status TTL turns {@code idle} (source ttl).</li>
 * </ul>
 * A change that lets held DMs through drains them at once. <b>Thread:</b> the mesh loop.
 */
final class StatusRules {

    private final long hookFreshWindowMs;
    private final long statusTtlMs;
    private final DmQueues queues;
    private final BrokerMetrics metrics;

    StatusRules(long hookFreshWindowMs, long statusTtlMs, DmQueues queues, BrokerMetrics metrics) {
        this.hookFreshWindowMs = hookFreshWindowMs;
        this.statusTtlMs = statusTtlMs;
        this.queues = queues;
        this.metrics = metrics;
    }

    /** Offers {@code status} from {@code source}; true when the lease's status is now {@code status}. */
    boolean apply(Lease l, Status status, StatusSource source, long nowMs) {
        if (l.status == Status.DND && status != Status.DND) {
            if (source != StatusSource.MANUAL) {
                return false;
            }
        } else if (status != Status.DND
                && source.outrankedBy(l.statusSource) && nowMs - l.statusSetAtMs < hookFreshWindowMs) {
            return false;
        }
        set(l, status, source, nowMs);
        return true;
    }

    /** The TTL sweep: {@code working} older than the TTL turns {@code idle}. */
    void sweep(Iterable<Lease> leases, long nowMs) {
        metrics.ttlSweepsTotal.increment();
        for (Lease l : leases) {
            if (l.status == Status.WORKING && nowMs - l.statusSetAtMs >= statusTtlMs) {
                set(l, Status.IDLE, StatusSource.TTL, nowMs);
            }
        }
    }

    private void set(Lease l, Status status, StatusSource source, long nowMs) {
        l.status = status;
        l.statusSource = source;
        l.statusSetAtMs = nowMs;
        queues.drain(l, nowMs);
    }
}
