package dev.claudemesh.broker.core.mesh;

/** A send's priority (PROTOCOL §4.1, §4.3): which statuses it may interrupt. */
public enum Priority {

    /** Delivered whatever the status. */
    NOW("now"),
    /** The default: delivered when idle. */
    NEXT("next"),
    /** Delivered when idle. */
    LOW("low");

    private final String wire;

    Priority(String wire) {
        this.wire = wire;
    }

    /** The name on the wire and in the queue row. */
    public String wire() {
        return wire;
    }

    /** The priority named {@code wire}, or null when it names none. */
    public static Priority parse(String wire) {
        if (wire == null) {
            return null;
        }
        return switch (wire) {
            case "now" -> NOW;
            case "next" -> NEXT;
            case "low" -> LOW;
            default -> null;
        };
    }
}
