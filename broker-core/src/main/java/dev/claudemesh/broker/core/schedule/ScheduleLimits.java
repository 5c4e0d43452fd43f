package dev.claudemesh.broker.core.schedule;

/**
 * The scheduler's limits and periods, from the configuration. Immutable.
 *
 * @param maxPendingPerMember pending entries one member may have ({@code SCHEDULE_MAX_PENDING_PER_MEMBER})
 * @param minCronIntervalMs   shortest time a cron expression may leave between two fires
 *                            ({@code SCHEDULE_MIN_CRON_INTERVAL_SECONDS})
 * @param retryMs             an entry whose send was refused for a reason that may pass (recipient offline, rate
 *                            limit, grants) is tried again after this ({@code SCHEDULE_RETRY_SECONDS})
 * @param tickMs              how often a mesh with pending entries looks at its clock
 *                            ({@code BROKER_SCHEDULE_TICK_MS})
 */
public record ScheduleLimits(int maxPendingPerMember, long minCronIntervalMs, long retryMs, long tickMs) {

    public ScheduleLimits {
        if (maxPendingPerMember <= 0) {
            throw new IllegalArgumentException("maxPendingPerMember: " + maxPendingPerMember + " (expected: > 0)");
        }
        if (minCronIntervalMs <= 0) {
            throw new IllegalArgumentException("minCronIntervalMs: " + minCronIntervalMs + " (expected: > 0)");
        }
        if (retryMs <= 0) {
            throw new IllegalArgumentException("retryMs: " + retryMs + " (expected: > 0)");
        }
        if (tickMs <= 0) {
            throw new IllegalArgumentException("tickMs: " + tickMs + " (expected: > 0)");
        }
    }

    /** The defaults of the settings: 100 entries, 60 s, 60 s, 1 s. */
    public static ScheduleLimits defaults() {
        return new ScheduleLimits(100, 60_000, 60_000, 1_000);
    }
}
