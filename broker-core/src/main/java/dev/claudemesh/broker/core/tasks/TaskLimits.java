package dev.claudemesh.broker.core.tasks;

/**
 * How large the task list may grow (settings {@code TASK_*}, {@code WORKSPACE_MAX_TAG*}). Immutable, validated at
 * construction.
 *
 * @param maxTextChars    longest title, result, assignee or priority, UTF-16 units
 * @param maxTags         most tags of one task
 * @param maxTagChars     longest tag, UTF-16 units
 * @param maxTasksPerMesh most tasks per mesh, done ones included (a create at the cap makes room by deleting the
 *                        oldest done tasks, and is refused when there are none)
 * @param doneRetentionMs a done task is deleted this long after its completion
 */
public record TaskLimits(int maxTextChars, int maxTags, int maxTagChars, int maxTasksPerMesh, long doneRetentionMs) {

    /** Most tasks in one {@code task_list} (PROTOCOL-MESH §6.4). */
    public static final int LIST_LIMIT = 100;

    public TaskLimits {
        positive("maxTextChars", maxTextChars);
        positive("maxTags", maxTags);
        positive("maxTagChars", maxTagChars);
        positive("maxTasksPerMesh", maxTasksPerMesh);
        positive("doneRetentionMs", doneRetentionMs);
    }

    /** The settings' defaults: 2000-char texts, 20 tags of 64 chars, 10 000 tasks per mesh, done kept 30 days. */
    public static TaskLimits defaults() {
        return new TaskLimits(2_000, 20, 64, 10_000, 30 * 86_400_000L);
    }

    private static void positive(String name, long v) {
        if (v < 1) {
            throw new IllegalArgumentException(name + ": " + v + " (expected: > 0)");
        }
    }
}
