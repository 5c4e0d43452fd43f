package dev.claudemesh.broker.core.model;

/** A mesh row: {@code id} (32 alnum), display {@code name} and {@code slug}. Immutable. */
public record Mesh(String id, String name, String slug) {
}
