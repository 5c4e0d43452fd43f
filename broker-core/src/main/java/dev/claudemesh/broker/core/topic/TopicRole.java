package dev.claudemesh.broker.core.topic;

/** A subscriber's role in a topic (PROTOCOL-MESH §8.1): a lead may invite members to a restricted topic. */
public enum TopicRole {

    LEAD("lead"),
    MEMBER("member"),
    OBSERVER("observer");

    private final String wire;

    TopicRole(String wire) {
        this.wire = wire;
    }

    /** The name on the wire and in {@code topic_member.role}. */
    public String wire() {
        return wire;
    }

    /** The role named {@code wire}, or null when it names none. */
    public static TopicRole parse(String wire) {
        if (wire == null) {
            return null;
        }
        return switch (wire) {
            case "lead" -> LEAD;
            case "member" -> MEMBER;
            case "observer" -> OBSERVER;
            default -> null;
        };
    }
}
