package dev.claudemesh.broker.core;

/**
 * Immutable domain settings, validated once (PROTOCOL §8 and its constants). Units are in the names.
 *
 * @param maxConnectionsPerMesh leases per mesh, grace leases included
 * @param maxMessageBytes       limit on nonce+ciphertext+targetSpec of a send
 * @param sendRateLimitPerMin   send tokens per member per minute; 0 = off
 * @param sendRateBurst         token bucket size
 * @param statusTtlMs           working older than this flips to idle
 * @param hookFreshWindowMs     a hook status outranks manual/ttl for this long
 * @param hookRateLimitPerMin   hook requests per pid:cwd per minute; 0 = off
 * @param graceMs               lease grace after its socket closes
 * @param skewMs                allowed hello timestamp skew
 * @param attestationMaxMs      longest attestation lifetime
 * @param redeliveryMs          un-acked DM push is redelivered after this
 * @param pendingHookMs         an unmatched hook status waits this long for its lease
 * @param dmExpiryMs            undelivered DMs expire after this
 * @param idempotencyWindowMs   repeated client_message_id window
 * @param statusSweepMs         TTL sweep period
 */
public record BrokerSettings(int maxConnectionsPerMesh, int maxMessageBytes, int sendRateLimitPerMin,
                             int sendRateBurst, long statusTtlMs, long hookFreshWindowMs, int hookRateLimitPerMin,
                             long graceMs, long skewMs, long attestationMaxMs, long redeliveryMs,
                             long pendingHookMs, long dmExpiryMs, long idempotencyWindowMs, long statusSweepMs) {

    public BrokerSettings {
        positive("maxConnectionsPerMesh", maxConnectionsPerMesh);
        positive("maxMessageBytes", maxMessageBytes);
        nonNegative("sendRateLimitPerMin", sendRateLimitPerMin);
        positive("sendRateBurst", sendRateBurst);
        positive("statusTtlMs", statusTtlMs);
        nonNegative("hookFreshWindowMs", hookFreshWindowMs);
        nonNegative("hookRateLimitPerMin", hookRateLimitPerMin);
        positive("graceMs", graceMs);
        positive("skewMs", skewMs);
        positive("attestationMaxMs", attestationMaxMs);
        positive("redeliveryMs", redeliveryMs);
        positive("pendingHookMs", pendingHookMs);
        positive("dmExpiryMs", dmExpiryMs);
        positive("idempotencyWindowMs", idempotencyWindowMs);
        positive("statusSweepMs", statusSweepMs);
    }

    /** The protocol's defaults. */
    public static BrokerSettings defaults() {
        return new BrokerSettings(100, 65536, 60, 10, 60_000, 30_000, 30,
                90_000, 60_000, 24L * 3600_000, 30_000, 10_000, 7L * 24 * 3600_000, 10 * 60_000, 15_000);
    }

    private static void positive(String name, long v) {
        if (v <= 0) {
            throw new IllegalArgumentException(name + ": " + v + " (expected: > 0)");
        }
    }

    private static void nonNegative(String name, long v) {
        if (v < 0) {
            throw new IllegalArgumentException(name + ": " + v + " (expected: >= 0)");
        }
    }

    public BrokerSettings withGraceMs(long v) {
        return new BrokerSettings(maxConnectionsPerMesh, maxMessageBytes, sendRateLimitPerMin, sendRateBurst,
                statusTtlMs, hookFreshWindowMs, hookRateLimitPerMin, v, skewMs, attestationMaxMs, redeliveryMs,
                pendingHookMs, dmExpiryMs, idempotencyWindowMs, statusSweepMs);
    }

    public BrokerSettings withRedeliveryMs(long v) {
        return new BrokerSettings(maxConnectionsPerMesh, maxMessageBytes, sendRateLimitPerMin, sendRateBurst,
                statusTtlMs, hookFreshWindowMs, hookRateLimitPerMin, graceMs, skewMs, attestationMaxMs, v,
                pendingHookMs, dmExpiryMs, idempotencyWindowMs, statusSweepMs);
    }

    public BrokerSettings withSendRate(int perMin, int burst) {
        return new BrokerSettings(maxConnectionsPerMesh, maxMessageBytes, perMin, burst,
                statusTtlMs, hookFreshWindowMs, hookRateLimitPerMin, graceMs, skewMs, attestationMaxMs, redeliveryMs,
                pendingHookMs, dmExpiryMs, idempotencyWindowMs, statusSweepMs);
    }

    public BrokerSettings withMaxConnectionsPerMesh(int v) {
        return new BrokerSettings(v, maxMessageBytes, sendRateLimitPerMin, sendRateBurst,
                statusTtlMs, hookFreshWindowMs, hookRateLimitPerMin, graceMs, skewMs, attestationMaxMs, redeliveryMs,
                pendingHookMs, dmExpiryMs, idempotencyWindowMs, statusSweepMs);
    }

    public BrokerSettings withStatusTiming(long ttlMs, long freshWindowMs, long sweepMs) {
        return new BrokerSettings(maxConnectionsPerMesh, maxMessageBytes, sendRateLimitPerMin, sendRateBurst,
                ttlMs, freshWindowMs, hookRateLimitPerMin, graceMs, skewMs, attestationMaxMs, redeliveryMs,
                pendingHookMs, dmExpiryMs, idempotencyWindowMs, sweepMs);
    }
}
