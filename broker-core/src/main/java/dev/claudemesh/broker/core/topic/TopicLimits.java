package dev.claudemesh.broker.core.topic;

/**
 * The limits of the topic feature, from the configuration ({@code TOPICS_MAX_PER_MESH},
 * {@code TOPIC_STREAMS_MAX_PER_MESH}). Immutable.
 *
 * @param maxTopicsPerMesh  topics a mesh may hold (archived ones count); {@code topic_create} beyond it is refused
 *                          with {@code limit_exceeded}
 * @param maxStreamsPerMesh open server-sent-event streams per mesh; more are refused (HTTP 429)
 */
public record TopicLimits(int maxTopicsPerMesh, int maxStreamsPerMesh) {

    /** Longest topic name accepted, in chars. */
    public static final int MAX_NAME_CHARS = 256;
    /** Longest topic description accepted, in chars. */
    public static final int MAX_DESCRIPTION_CHARS = 4096;

    public TopicLimits {
        if (maxTopicsPerMesh < 1) {
            throw new IllegalArgumentException("maxTopicsPerMesh: " + maxTopicsPerMesh + " (expected: > 0)");
        }
        if (maxStreamsPerMesh < 1) {
            throw new IllegalArgumentException("maxStreamsPerMesh: " + maxStreamsPerMesh + " (expected: > 0)");
        }
    }

    /** The defaults of the settings. */
    public static TopicLimits defaults() {
        return new TopicLimits(1000, 100);
    }
}
