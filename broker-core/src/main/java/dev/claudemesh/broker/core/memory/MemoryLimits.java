package dev.claudemesh.broker.core.memory;

/**
 * How large mesh memory may grow (settings {@code MEMORY_*}, {@code WORKSPACE_MAX_TAG*}). Immutable, validated at
 * construction.
 *
 * @param maxContentChars      longest content (and recall query), UTF-16 units
 * @param maxTags              most tags of one memory
 * @param maxTagChars          longest tag, UTF-16 units
 * @param maxRowsPerMesh       most rows per mesh, forgotten ones included (a remember at the cap makes room by
 *                             deleting the oldest forgotten rows, and is refused when there are none)
 * @param forgottenRetentionMs a forgotten row is deleted this long after its {@code forget}
 */
public record MemoryLimits(int maxContentChars, int maxTags, int maxTagChars, int maxRowsPerMesh,
                           long forgottenRetentionMs) {

    /** Most rows in one recall answer (PROTOCOL-MESH §5.2). */
    public static final int RECALL_LIMIT = 20;

    public MemoryLimits {
        positive("maxContentChars", maxContentChars);
        positive("maxTags", maxTags);
        positive("maxTagChars", maxTagChars);
        positive("maxRowsPerMesh", maxRowsPerMesh);
        positive("forgottenRetentionMs", forgottenRetentionMs);
    }

    /** The settings' defaults: 8192-char contents, 20 tags of 64 chars, 10 000 rows per mesh, forgotten kept 7 days. */
    public static MemoryLimits defaults() {
        return new MemoryLimits(8_192, 20, 64, 10_000, 7 * 86_400_000L);
    }

    private static void positive(String name, long v) {
        if (v < 1) {
            throw new IllegalArgumentException(name + ": " + v + " (expected: > 0)");
        }
    }
}
