package dev.claudemesh.broker.core.workspace;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import dev.claudemesh.broker.core.envelope.EnvelopeDecoder;
import dev.claudemesh.broker.core.envelope.JsonNode;
import dev.claudemesh.broker.core.envelope.JsonOut;

import java.io.IOException;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * JSON values kept in PostgreSQL {@code jsonb} (shared state, PROTOCOL-MESH §4.4): how large a value will be once
 * stored and read back, and parsing it back into a {@link JsonNode}.
 *
 * <p>{@code jsonb} keeps numbers as {@code numeric} and writes them out in plain notation: {@code 1e300} comes back
 * as 301 digits. A value's size is therefore counted with every number at its plain length ({@link #storedBytes}),
 * so that a limit on it also bounds what {@code get_state} and {@code list_state} send; numbers that
 * {@code numeric} cannot hold are refused ({@link #numberProblem}). Stateless; thread-safe.</p>
 */
public final class StoredJson {

    /** Digits {@code numeric} holds before the decimal point. */
    private static final int MAX_INTEGER_DIGITS = 131_072;
    /** Digits {@code numeric} holds after the decimal point. */
    private static final int MAX_FRACTION_DIGITS = 16_383;

    /** Read-back parser: the frame's nesting limit, numbers as long as {@code numeric} writes them. */
    private static final JsonFactory STORED = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(EnvelopeDecoder.MAX_DEPTH + 1)
                    .maxNumberLength(MAX_INTEGER_DIGITS + MAX_FRACTION_DIGITS + 2)
                    .build())
            .build();

    private StoredJson() {
    }

    /**
     * UTF-8 bytes of {@code value} as compact JSON with every number in plain notation (what reading it back from
     * {@code jsonb} and writing it compactly produces, at most), or -1 when a number cannot be stored.
     */
    public static long storedBytes(JsonNode value) {
        long[] extra = {0};
        if (!numbers(value, extra)) {
            return -1;
        }
        return new JsonOut().value(value).size() + extra[0];
    }

    /** Why {@code numeric} cannot hold a number of {@code value}, or null. */
    public static String numberProblem(JsonNode value) {
        return numbers(value, new long[1]) ? null : "holds a number PostgreSQL cannot store";
    }

    /** Adds each number's plain length minus its text length to {@code extra[0]}; false on an unstorable number. */
    private static boolean numbers(JsonNode value, long[] extra) {
        if (value instanceof JsonNode.NumberNode n) {
            BigDecimal d;
            try {
                d = new BigDecimal(n.text());
            } catch (NumberFormatException | ArithmeticException e) {
                return false; // exponent out of int range
            }
            long precision = d.precision();
            long scale = d.scale();
            long integerDigits = Math.max(1, precision - scale);
            long fractionDigits = Math.max(0, scale);
            if (integerDigits > MAX_INTEGER_DIGITS || fractionDigits > MAX_FRACTION_DIGITS) {
                return false;
            }
            long plain = (d.signum() < 0 ? 1 : 0) + integerDigits + (fractionDigits > 0 ? 1 + fractionDigits : 0);
            extra[0] += Math.max(0, plain - n.text().length());
            return true;
        }
        if (value instanceof JsonNode.ArrayNode a) {
            for (JsonNode item : a.items()) {
                if (!numbers(item, extra)) {
                    return false;
                }
            }
        } else if (value instanceof JsonNode.ObjectNode o) {
            for (JsonNode item : o.fields().values()) {
                if (!numbers(item, extra)) {
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * Parses JSON text as PostgreSQL wrote it ({@code jsonb::text}) into a tree whose numbers keep their text.
     *
     * @throws IllegalArgumentException when it is not exactly one JSON value
     */
    public static JsonNode parse(String json) {
        try (JsonParser p = STORED.createParser(json)) {
            JsonToken t = p.nextToken();
            if (t == null) {
                throw new IllegalArgumentException("empty JSON text");
            }
            JsonNode v = value(p, t);
            if (p.nextToken() != null) {
                throw new IllegalArgumentException("trailing data after the JSON value");
            }
            return v;
        } catch (IOException e) {
            throw new IllegalArgumentException("invalid JSON", e);
        }
    }

    private static JsonNode value(JsonParser p, JsonToken t) throws IOException {
        return switch (t) {
            case START_OBJECT -> {
                Map<String, JsonNode> fields = new LinkedHashMap<>();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String name = p.currentName();
                    fields.put(name, value(p, p.nextToken()));
                }
                yield new JsonNode.ObjectNode(fields);
            }
            case START_ARRAY -> {
                List<JsonNode> items = new ArrayList<>();
                JsonToken x;
                while ((x = p.nextToken()) != JsonToken.END_ARRAY) {
                    items.add(value(p, x));
                }
                yield new JsonNode.ArrayNode(items);
            }
            case VALUE_STRING -> new JsonNode.StringNode(p.getText());
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> new JsonNode.NumberNode(p.getText());
            case VALUE_TRUE -> JsonNode.BooleanNode.TRUE;
            case VALUE_FALSE -> JsonNode.BooleanNode.FALSE;
            case VALUE_NULL -> JsonNode.NullNode.INSTANCE;
            default -> throw new IOException("unexpected token " + t);
        };
    }
}
