package dev.claudemesh.broker.core.state;

import java.util.Objects;

/**
 * One stored state entry, as the store read it. Immutable.
 *
 * @param key         the key
 * @param valueJson   the value as JSON text (PostgreSQL's {@code jsonb} output)
 * @param updatedBy   the member name of the last writer; null when unknown
 * @param updatedAtMs when it was last written, epoch milliseconds
 */
public record StateEntry(String key, String valueJson, String updatedBy, long updatedAtMs) {
    public StateEntry {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(valueJson, "valueJson");
    }
}
