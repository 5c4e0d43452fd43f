package dev.claudemesh.broker.core.presence;

/**
 * The presence service's limits, from the configuration. Immutable.
 *
 * @param leaseMetadataMaxBytes the largest profile ({@code set_profile}) or stats object ({@code set_stats}) a lease
 *                              may hold, in bytes of its JSON text; both are kept per member in {@code peer_state}
 */
public record PresenceLimits(int leaseMetadataMaxBytes) {

    /** The default: {@value #DEFAULT_LEASE_METADATA_MAX_BYTES} bytes. */
    public static final int DEFAULT_LEASE_METADATA_MAX_BYTES = 4096;

    public PresenceLimits {
        if (leaseMetadataMaxBytes < 64) {
            throw new IllegalArgumentException("leaseMetadataMaxBytes: " + leaseMetadataMaxBytes + " (expected: >= 64)");
        }
    }

    /** The defaults. */
    public static PresenceLimits defaults() {
        return new PresenceLimits(DEFAULT_LEASE_METADATA_MAX_BYTES);
    }
}
