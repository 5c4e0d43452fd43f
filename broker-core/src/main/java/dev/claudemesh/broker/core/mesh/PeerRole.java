package dev.claudemesh.broker.core.mesh;

/** The role of a lease (PROTOCOL §5): what kind of hello created it. */
public enum PeerRole {

    /** A member-key {@code hello}: the CLI daemon's control-plane socket (or a cold-path CLI call). */
    CONTROL_PLANE("control-plane"),
    /** A {@code session_hello}: one launched session, identified by its own proven session key. */
    SESSION("session");

    private final String wire;

    PeerRole(String wire) {
        this.wire = wire;
    }

    /** The name on the wire ({@code peerRole} of {@code list_peers}) and in the presence row. */
    public String wire() {
        return wire;
    }
}
