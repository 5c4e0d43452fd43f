package dev.claudemesh.broker.core.mesh;

/** Who set a lease's status (PROTOCOL §5), ranked: a hook outranks the user's set_status, which outranks the TTL. */
public enum StatusSource {

    /** The TTL sweep (working turned idle). */
    TTL,
    /** The peer's own {@code set_status}. */
    MANUAL,
    /** An editor hook ({@code POST /hook/set-status}). */
    HOOK;

    /** True when this source ranks below {@code other}. */
    boolean outrankedBy(StatusSource other) {
        return ordinal() < other.ordinal();
    }
}
