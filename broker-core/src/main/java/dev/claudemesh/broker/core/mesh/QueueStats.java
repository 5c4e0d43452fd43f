package dev.claudemesh.broker.core.mesh;

/**
 * What one mesh's DM queues hold at a moment (admin API): undelivered DMs held in memory, those pushed and waiting for
 * their {@code client_ack}, and the arrival time of the oldest. Immutable.
 *
 * @param depth              undelivered DMs held (not yet client-acked, not expired)
 * @param claimed            of those, pushed to a socket and waiting for its {@code client_ack}
 * @param oldestCreatedAtMs  epoch ms of the oldest one's arrival; -1 when none is held
 */
public record QueueStats(int depth, int claimed, long oldestCreatedAtMs) {

    /** Nothing held (a mesh not in memory). */
    public static final QueueStats EMPTY = new QueueStats(0, 0, -1);

    /** How long the oldest DM has waited at {@code nowMs}; 0 when none is held. */
    public long oldestAgeMs(long nowMs) {
        return oldestCreatedAtMs < 0 ? 0 : Math.max(0, nowMs - oldestCreatedAtMs);
    }
}
