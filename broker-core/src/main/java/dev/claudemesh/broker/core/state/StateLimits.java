package dev.claudemesh.broker.core.state;

/**
 * How large shared state may grow (settings {@code STATE_*}). Immutable, validated at construction.
 *
 * @param maxKeyChars       longest key, UTF-16 units
 * @param maxValueBytes     largest value, UTF-8 bytes of its compact JSON with numbers in plain notation
 *                          ({@link dev.claudemesh.broker.core.workspace.StoredJson#storedBytes})
 * @param maxEntriesPerMesh most keys per mesh (keys are never deleted: a new key over this is refused)
 * @param listMaxEntries    most entries in one {@code state_list} reply (the first ones by key)
 */
public record StateLimits(int maxKeyChars, int maxValueBytes, int maxEntriesPerMesh, int listMaxEntries) {

    public StateLimits {
        positive("maxKeyChars", maxKeyChars);
        positive("maxValueBytes", maxValueBytes);
        positive("maxEntriesPerMesh", maxEntriesPerMesh);
        positive("listMaxEntries", listMaxEntries);
    }

    /** The settings' defaults: keys of 256 chars, values of 16 KiB, 1000 keys per mesh, 500 per list. */
    public static StateLimits defaults() {
        return new StateLimits(256, 16_384, 1_000, 500);
    }

    private static void positive(String name, int v) {
        if (v < 1) {
            throw new IllegalArgumentException(name + ": " + v + " (expected: > 0)");
        }
    }
}
