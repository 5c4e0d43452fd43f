package dev.claudemesh.broker.core.envelope;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Typed reads of a mesh service's own request fields ({@link Inbound#body()}), for the validation PROTOCOL-MESH §0.3
 * [fix] asks for: a missing or ill-typed field is a {@link BadField} naming the field (the handler answers
 * {@code bad_request} with its message), never a silent failure further down. Stateless.
 */
public final class JsonFields {

    private JsonFields() {
    }

    /** A request field that is missing or of the wrong type; the message names it (never its value). */
    public static final class BadField extends Exception {
        private static final long serialVersionUID = 1L;

        public BadField(String message) {
            super(message, null, false, false);
        }
    }

    /** The string {@code key}, required and non-empty, of at most {@code maxChars} characters. */
    public static String requiredString(JsonNode.ObjectNode body, String key, int maxChars) throws BadField {
        String s = optionalString(body, key);
        if (s == null || s.isEmpty()) {
            throw new BadField(key + " must be a non-empty string");
        }
        if (s.length() > maxChars) {
            throw new BadField(key + " must be at most " + maxChars + " characters");
        }
        return s;
    }

    /** The string {@code key}, required (it may be empty). */
    public static String requiredText(JsonNode.ObjectNode body, String key) throws BadField {
        String s = optionalString(body, key);
        if (s == null) {
            throw new BadField(key + " must be a string");
        }
        return s;
    }

    /**
     * The string {@code key}, or null when absent or JSON {@code null}.
     *
     * @throws BadField when present with another type
     */
    public static String optionalString(JsonNode.ObjectNode body, String key) throws BadField {
        JsonNode n = body.get(key);
        if (n == null || n instanceof JsonNode.NullNode) {
            return null;
        }
        if (n instanceof JsonNode.StringNode s) {
            return s.value();
        }
        throw new BadField(key + " must be a string");
    }

    /**
     * The array of strings {@code key}: empty when absent or JSON {@code null} (as the original's {@code ?? []}).
     *
     * @throws BadField when present with another type, an item is not a string, or it has more than
     *                  {@code maxItems} items
     */
    public static List<String> stringArray(JsonNode.ObjectNode body, String key, int maxItems) throws BadField {
        JsonNode n = body.get(key);
        if (n == null || n instanceof JsonNode.NullNode) {
            return List.of();
        }
        if (!(n instanceof JsonNode.ArrayNode a)) {
            throw new BadField(key + " must be an array of strings");
        }
        if (a.items().size() > maxItems) {
            throw new BadField(key + " must have at most " + maxItems + " items");
        }
        List<String> out = new ArrayList<>(a.items().size());
        for (JsonNode item : a.items()) {
            if (!(item instanceof JsonNode.StringNode s)) {
                throw new BadField(key + " must be an array of strings");
            }
            out.add(s.value());
        }
        return List.copyOf(out);
    }

    /** UTF-8 length of {@code s} (0 for null), without encoding it. */
    public static long utf8Length(String s) {
        if (s == null) {
            return 0;
        }
        long n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n++;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                n += 4;
                i++;
            } else {
                n += 3;
            }
        }
        return n;
    }

    /** The exact JSON text of {@code value} (numbers as they came, keys in order): how a tree is stored verbatim. */
    public static String text(JsonNode value) {
        Objects.requireNonNull(value, "value");
        return new String(new JsonOut().value(value).toBytes(), StandardCharsets.UTF_8);
    }

    /**
     * Parses JSON text written by {@link #text} back into a tree (any JSON value, not only an object).
     *
     * @throws IllegalArgumentException when {@code json} is not one JSON value
     */
    public static JsonNode parse(String json) {
        byte[] b = json.getBytes(StandardCharsets.UTF_8);
        return JsonTree.parseValue(b, 0, b.length);
    }
}
