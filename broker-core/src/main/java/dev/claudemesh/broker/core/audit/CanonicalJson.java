package dev.claudemesh.broker.core.audit;

/**
 * Writes the canonical JSON of PROTOCOL §7 (keys sorted, no whitespace, {@code JSON.stringify} escaping) directly,
 * for payloads whose keys are known in advance: the caller names the keys of each object in ascending order, and
 * the writer refuses any other order, so the text is the one {@link AuditChain#canonicalJson} would give for the
 * same values without building and sorting a map. Keys are compared as {@link String#compareTo} does, which is the
 * order {@link AuditChain#canonicalJson} sorts by.
 *
 * <p>Not thread-safe; one per payload. Usage: {@code CanonicalJson.object().field("a", x).field("b", y).end()}.</p>
 */
public final class CanonicalJson {

    private static final int MAX_DEPTH = 8;

    private final StringBuilder sb = new StringBuilder(128); // a DM's payload (~100 chars) without a resize
    /** Last key written at each open object level (null when none yet, or when the level is an array). */
    private final String[] lastKey = new String[MAX_DEPTH];
    private final boolean[] first = new boolean[MAX_DEPTH];
    private final boolean[] isObject = new boolean[MAX_DEPTH];
    private int depth;
    private boolean afterName;

    private CanonicalJson() {
    }

    /** Starts a payload object. */
    public static CanonicalJson object() {
        CanonicalJson c = new CanonicalJson();
        c.open('{', true);
        return c;
    }

    /** The canonical text of the empty object {@code {}}. */
    public static final String EMPTY = "{}";

    private void open(char c, boolean object) {
        if (depth == MAX_DEPTH) {
            throw new IllegalStateException("depth: " + (depth + 1) + " (expected: <= " + MAX_DEPTH + ")");
        }
        beforeValue();
        sb.append(c);
        lastKey[depth] = null;
        first[depth] = true;
        isObject[depth] = object;
        depth++;
    }

    private void beforeValue() {
        if (afterName) {
            afterName = false;
            return;
        }
        if (depth > 0) {
            if (isObject[depth - 1]) {
                throw new IllegalStateException("a value inside an object needs a key first");
            }
            if (!first[depth - 1]) {
                sb.append(',');
            }
            first[depth - 1] = false;
        }
    }

    /** Writes the next key of the current object; keys must come in ascending order. */
    public CanonicalJson name(String key) {
        if (depth == 0 || !isObject[depth - 1] || afterName) {
            throw new IllegalStateException("a key belongs inside an object, before its value");
        }
        String last = lastKey[depth - 1];
        if (last != null && last.compareTo(key) >= 0) {
            throw new IllegalStateException("key \"" + key + "\" after \"" + last + "\" (expected: ascending keys)");
        }
        lastKey[depth - 1] = key;
        if (!first[depth - 1]) {
            sb.append(',');
        }
        first[depth - 1] = false;
        AuditChain.quote(sb, key);
        sb.append(':');
        afterName = true;
        return this;
    }

    /** A string value, or {@code null}. */
    public CanonicalJson value(String v) {
        beforeValue();
        if (v == null) {
            sb.append("null");
        } else {
            AuditChain.quote(sb, v);
        }
        return this;
    }

    /** An integer value. */
    public CanonicalJson value(long v) {
        beforeValue();
        sb.append(v);
        return this;
    }

    /** A boolean value. */
    public CanonicalJson value(boolean v) {
        beforeValue();
        sb.append(v);
        return this;
    }

    /** {@code name(key).value(v)}. */
    public CanonicalJson field(String key, String v) {
        return name(key).value(v);
    }

    /** {@code name(key).value(v)}. */
    public CanonicalJson field(String key, long v) {
        return name(key).value(v);
    }

    /** {@code name(key).value(v)}. */
    public CanonicalJson field(String key, boolean v) {
        return name(key).value(v);
    }

    public CanonicalJson beginObject() {
        open('{', true);
        return this;
    }

    public CanonicalJson endObject() {
        close('}', true);
        return this;
    }

    public CanonicalJson beginArray() {
        open('[', false);
        return this;
    }

    public CanonicalJson endArray() {
        close(']', false);
        return this;
    }

    private void close(char c, boolean object) {
        if (depth == 0 || isObject[depth - 1] != object || afterName) {
            throw new IllegalStateException("unbalanced " + c);
        }
        depth--;
        sb.append(c);
    }

    /** Closes the payload object and returns its text. */
    public String end() {
        endObject();
        if (depth != 0) {
            throw new IllegalStateException("unclosed object or array");
        }
        return sb.toString();
    }
}
