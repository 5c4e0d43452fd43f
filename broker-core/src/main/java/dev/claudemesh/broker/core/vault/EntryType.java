package dev.claudemesh.broker.core.vault;

/** How a vault entry is used by the member's tools: as an environment variable or as a mounted file. */
public enum EntryType {
    ENV("env"),
    FILE("file");

    private final String wire;

    EntryType(String wire) {
        this.wire = wire;
    }

    /** The value on the wire and in {@code vault_entry.entry_type}. */
    public String wire() {
        return wire;
    }

    /** The type named {@code wire}, or null. */
    public static EntryType of(String wire) {
        for (EntryType t : values()) {
            if (t.wire.equals(wire)) {
                return t;
            }
        }
        return null;
    }
}
