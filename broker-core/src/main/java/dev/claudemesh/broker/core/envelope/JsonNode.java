package dev.claudemesh.broker.core.envelope;

import java.math.BigDecimal;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * An immutable JSON value, as a mesh service reads the fields of a frame the envelope decoder does not know
 * ({@link Inbound#body()}), and as it writes one back ({@link JsonOut#value(JsonNode)}). Objects keep their key order
 * (a repeated key keeps its first position and its last value, as {@code JSON.parse} does); numbers keep their text,
 * so a value is written back exactly as it came. Thread-safe (immutable).
 */
public sealed interface JsonNode {

    /** Writes this value to {@code out}. */
    void writeTo(JsonOut out);

    /** A JSON object. */
    record ObjectNode(Map<String, JsonNode> fields) implements JsonNode {
        /** The empty object. */
        public static final ObjectNode EMPTY = new ObjectNode(new LinkedHashMap<>());

        /** Wraps {@code fields} (in their iteration order) without copying: callers hand over the map. */
        public ObjectNode {
            fields = Collections.unmodifiableMap(Objects.requireNonNull(fields, "fields"));
        }

        /** The value of {@code key}, or null when absent. */
        public JsonNode get(String key) {
            return fields.get(key);
        }

        public boolean has(String key) {
            return fields.containsKey(key);
        }

        /** The string value of {@code key}, or null when absent or not a string. */
        public String string(String key) {
            return fields.get(key) instanceof StringNode s ? s.value() : null;
        }

        public int size() {
            return fields.size();
        }

        @Override
        public void writeTo(JsonOut out) {
            out.beginObject();
            for (Map.Entry<String, JsonNode> e : fields.entrySet()) {
                out.name(e.getKey());
                e.getValue().writeTo(out);
            }
            out.endObject();
        }
    }

    /** A JSON array. */
    record ArrayNode(List<JsonNode> items) implements JsonNode {
        public ArrayNode {
            items = List.copyOf(items);
        }

        @Override
        public void writeTo(JsonOut out) {
            out.beginArray();
            for (JsonNode n : items) {
                n.writeTo(out);
            }
            out.endArray();
        }
    }

    /** A JSON string. */
    record StringNode(String value) implements JsonNode {
        public StringNode {
            Objects.requireNonNull(value, "value");
        }

        @Override
        public void writeTo(JsonOut out) {
            out.value(value);
        }
    }

    /**
     * A JSON number, as its text in the frame (e.g. {@code 1.50e3} stays {@code 1.50e3}).
     *
     * @param text valid JSON number text
     */
    record NumberNode(String text) implements JsonNode {
        public NumberNode {
            Objects.requireNonNull(text, "text");
        }

        /** True when the text is an integer that fits a {@code long}. */
        public boolean isLong() {
            try {
                Long.parseLong(text);
                return true;
            } catch (NumberFormatException e) {
                return false;
            }
        }

        /** The value as a long; throws {@link NumberFormatException} when it is not one ({@link #isLong()}). */
        public long longValue() {
            return Long.parseLong(text);
        }

        /** The exact value. */
        public BigDecimal decimalValue() {
            return new BigDecimal(text);
        }

        @Override
        public void writeTo(JsonOut out) {
            out.rawNumber(text);
        }
    }

    /** {@code true} or {@code false}. */
    record BooleanNode(boolean value) implements JsonNode {
        public static final BooleanNode TRUE = new BooleanNode(true);
        public static final BooleanNode FALSE = new BooleanNode(false);

        @Override
        public void writeTo(JsonOut out) {
            out.value(value);
        }
    }

    /** {@code null}. */
    record NullNode() implements JsonNode {
        public static final NullNode INSTANCE = new NullNode();

        @Override
        public void writeTo(JsonOut out) {
            out.nullValue();
        }
    }
}
