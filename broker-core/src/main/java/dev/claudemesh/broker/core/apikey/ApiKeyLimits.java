package dev.claudemesh.broker.core.apikey;

/**
 * The limits of API keys, from the configuration ({@code API_KEYS_MAX_PER_MEMBER}, {@code API_KEY_MAX_TTL_HOURS},
 * {@code API_KEY_RETENTION_HOURS}). Immutable.
 *
 * @param maxActivePerMember keys a member may hold that are neither revoked nor expired; more are refused with
 *                           {@code limit_exceeded}
 * @param maxTtlMs           the longest lifetime of a key: a key asked for without {@code expiresAt}, or for later,
 *                           expires this long after its creation
 * @param retentionMs        keys revoked or expired longer ago than this are deleted (when the mesh mints a key)
 */
public record ApiKeyLimits(int maxActivePerMember, long maxTtlMs, long retentionMs) {

    public ApiKeyLimits {
        if (maxActivePerMember < 1) {
            throw new IllegalArgumentException("maxActivePerMember: " + maxActivePerMember + " (expected: > 0)");
        }
        if (maxTtlMs < 1) {
            throw new IllegalArgumentException("maxTtlMs: " + maxTtlMs + " (expected: > 0)");
        }
        if (retentionMs < 0) {
            throw new IllegalArgumentException("retentionMs: " + retentionMs + " (expected: >= 0)");
        }
    }

    /** The defaults of the settings: 50 keys, 30 days, 7 days. */
    public static ApiKeyLimits defaults() {
        return new ApiKeyLimits(50, 30L * 86_400_000L, 7L * 86_400_000L);
    }
}
