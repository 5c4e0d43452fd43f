package dev.claudemesh.broker.core.model;

import java.util.Objects;

/** A group membership: {@code name} and an optional {@code role} (null when unset). Immutable. */
public record GroupRole(String name, String role) {
    public GroupRole {
        Objects.requireNonNull(name, "name");
    }
}
