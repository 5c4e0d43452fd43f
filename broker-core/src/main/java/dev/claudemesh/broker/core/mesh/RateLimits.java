package dev.claudemesh.broker.core.mesh;

import java.util.HashMap;

/**
 * The send token buckets of one mesh (PROTOCOL §4.1): one per member, shared by its sessions. <b>Thread:</b> the mesh
 * loop.
 */
final class RateLimits {

    private final int sendPerMin;
    private final int sendBurst;
    private final String sendLimitText;
    private final HashMap<String, TokenBucket> sendBucketByMemberId = new HashMap<>();

    /** {@code sendPerMin} 0 turns the limit off. */
    RateLimits(int sendPerMin, int sendBurst) {
        this.sendPerMin = sendPerMin;
        this.sendBurst = sendBurst;
        this.sendLimitText = "rate_limit: max " + sendPerMin + " msg/min (burst " + sendBurst + ") — slow down";
    }

    /** Takes a send token for the member; false when its bucket is empty. */
    boolean trySend(String memberId, long nowMs) {
        if (sendPerMin <= 0) {
            return true;
        }
        TokenBucket b = sendBucketByMemberId.get(memberId);
        if (b == null) {
            b = new TokenBucket(sendPerMin, sendBurst, nowMs);
            sendBucketByMemberId.put(memberId, b);
        }
        return b.tryTake(nowMs);
    }

    /** The failed ack's error text for an empty bucket. */
    String sendLimitText() {
        return sendLimitText;
    }
}
