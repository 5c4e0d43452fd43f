package dev.claudemesh.broker.core.mesh;

/** A lease's status (PROTOCOL §4.3, §5): what priorities of held DMs it may receive. */
public enum Status {

    /** Every priority is delivered. */
    IDLE("idle"),
    /** Only {@code now} is delivered; {@code next} and {@code low} wait. Flips to idle after the status TTL. */
    WORKING("working"),
    /** Do not disturb: only {@code now}. Set by the user (or a hook); cleared only by the user's own set_status. */
    DND("dnd");

    private final String wire;

    Status(String wire) {
        this.wire = wire;
    }

    /** The name on the wire and in the presence row. */
    public String wire() {
        return wire;
    }

    /** The status named {@code wire}, or null when it names none. */
    public static Status parse(String wire) {
        if (wire == null) {
            return null;
        }
        return switch (wire) {
            case "idle" -> IDLE;
            case "working" -> WORKING;
            case "dnd" -> DND;
            default -> null;
        };
    }
}
