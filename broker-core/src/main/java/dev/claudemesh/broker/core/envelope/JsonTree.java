package dev.claudemesh.broker.core.envelope;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parses JSON text into a {@link JsonNode} tree with jackson-core's streaming parser, under the decoder's limits
 * (nesting depth, number length). Stateless and thread-safe.
 */
public final class JsonTree {

    private JsonTree() {
    }

    /**
     * Parses one JSON object from {@code len} bytes of {@code data} at {@code off}.
     *
     * @throws IllegalArgumentException when the bytes are not exactly one JSON object within the limits
     */
    public static JsonNode.ObjectNode parseObject(byte[] data, int off, int len) {
        try (JsonParser p = EnvelopeDecoder.FACTORY.createParser(data, off, len)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IllegalArgumentException("not a JSON object");
            }
            JsonNode.ObjectNode o = (JsonNode.ObjectNode) value(p);
            if (p.nextToken() != null) {
                throw new IllegalArgumentException("trailing data after JSON object");
            }
            return o;
        } catch (IOException e) {
            throw new IllegalArgumentException("invalid JSON", e);
        }
    }

    /**
     * Parses exactly one JSON value of any kind from {@code len} bytes of {@code data} at {@code off}, under the same
     * limits as {@link #parseObject}.
     *
     * @throws IllegalArgumentException when the bytes are not exactly one JSON value within the limits
     */
    static JsonNode parseValue(byte[] data, int off, int len) {
        try (JsonParser p = EnvelopeDecoder.FACTORY.createParser(data, off, len)) {
            if (p.nextToken() == null) {
                throw new IllegalArgumentException("no JSON value");
            }
            JsonNode v = value(p);
            if (p.nextToken() != null) {
                throw new IllegalArgumentException("trailing data after JSON value");
            }
            return v;
        } catch (IOException e) {
            throw new IllegalArgumentException("invalid JSON", e);
        }
    }

    private static JsonNode value(JsonParser p) throws IOException {
        JsonToken t = p.currentToken();
        return switch (t) {
            case START_OBJECT -> {
                Map<String, JsonNode> fields = new LinkedHashMap<>();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String name = p.currentName();
                    p.nextToken();
                    fields.put(name, value(p));
                }
                yield new JsonNode.ObjectNode(fields);
            }
            case START_ARRAY -> {
                List<JsonNode> items = new ArrayList<>();
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    items.add(value(p));
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
