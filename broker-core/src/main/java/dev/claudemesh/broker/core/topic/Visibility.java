package dev.claudemesh.broker.core.topic;

/**
 * Who may see and join a topic (PROTOCOL-MESH §8.1, §8.12). {@code private} and {@code dm} are restricted: joining
 * needs a lead of the topic or a mesh admin, and history, members and sends need a subscription.
 */
public enum Visibility {

    PUBLIC("public"),
    PRIVATE("private"),
    DM("dm");

    private final String wire;

    Visibility(String wire) {
        this.wire = wire;
    }

    /** The name on the wire and in {@code topic.visibility}. */
    public String wire() {
        return wire;
    }

    /** True for the visibilities that need a subscription (everything but {@code public}). */
    public boolean restricted() {
        return this != PUBLIC;
    }

    /** The visibility named {@code wire}, or null when it names none. */
    public static Visibility parse(String wire) {
        if (wire == null) {
            return null;
        }
        return switch (wire) {
            case "public" -> PUBLIC;
            case "private" -> PRIVATE;
            case "dm" -> DM;
            default -> null;
        };
    }
}
