package dev.claudemesh.broker.core.workspace;

import dev.claudemesh.broker.core.envelope.JsonNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Reads the fields of a service request ({@link dev.claudemesh.broker.core.envelope.Inbound#body()}) and checks them
 * against the protocol's rules and the broker's limits (PROTOCOL-MESH §0.3 [fix]: bad input is answered
 * {@code bad_request}, never dropped). Text that PostgreSQL cannot store as given is refused here rather than failing
 * in the database: U+0000 (not allowed in {@code text} nor in {@code jsonb}) and unpaired surrogates (the driver
 * would silently replace them, and {@code jsonb} refuses their escapes). Lengths are in UTF-16 units, as JavaScript
 * clients count them. Stateless; thread-safe.
 */
public final class RequestFields {

    private RequestFields() {
    }

    /**
     * A field that breaks the rules: the request is answered {@code bad_request} with {@link #getMessage()}, which
     * names the field and the rule, never its value.
     */
    public static final class BadRequest extends Exception {
        private static final long serialVersionUID = 1L;

        public BadRequest(String message) {
            super(message, null, false, false);
        }
    }

    /** A present, non-blank string of at most {@code maxChars} that PostgreSQL can store. */
    public static String requiredText(JsonNode.ObjectNode body, String name, int maxChars) throws BadRequest {
        JsonNode n = body.get(name);
        if (n == null || n instanceof JsonNode.NullNode) {
            throw new BadRequest(name + " is required");
        }
        if (!(n instanceof JsonNode.StringNode s)) {
            throw new BadRequest(name + " must be a string");
        }
        if (s.value().isBlank()) {
            throw new BadRequest(name + " must not be empty");
        }
        return checkText(name, s.value(), maxChars);
    }

    /** A string of at most {@code maxChars}, or null when the field is absent or JSON {@code null}. */
    public static String optionalText(JsonNode.ObjectNode body, String name, int maxChars) throws BadRequest {
        JsonNode n = body.get(name);
        if (n == null || n instanceof JsonNode.NullNode) {
            return null;
        }
        if (!(n instanceof JsonNode.StringNode s)) {
            throw new BadRequest(name + " must be a string");
        }
        return checkText(name, s.value(), maxChars);
    }

    /**
     * An array of at most {@code maxTags} strings of at most {@code maxTagChars} each; empty when the field is absent
     * or JSON {@code null}.
     */
    public static List<String> tags(JsonNode.ObjectNode body, String name, int maxTags, int maxTagChars)
            throws BadRequest {
        JsonNode n = body.get(name);
        if (n == null || n instanceof JsonNode.NullNode) {
            return List.of();
        }
        if (!(n instanceof JsonNode.ArrayNode a)) {
            throw new BadRequest(name + " must be an array of strings");
        }
        if (a.items().size() > maxTags) {
            throw new BadRequest(name + " has " + a.items().size() + " entries (the most is " + maxTags + ")");
        }
        List<String> out = new ArrayList<>(a.items().size());
        for (int i = 0; i < a.items().size(); i++) {
            if (!(a.items().get(i) instanceof JsonNode.StringNode s)) {
                throw new BadRequest(name + " must be an array of strings");
            }
            out.add(checkText(name + "[" + i + "]", s.value(), maxTagChars));
        }
        return List.copyOf(out);
    }

    /** Returns {@code value} when it has at most {@code maxChars} and can be stored; else throws. */
    public static String checkText(String name, String value, int maxChars) throws BadRequest {
        if (value.length() > maxChars) {
            throw new BadRequest(name + " is " + value.length() + " chars (the most is " + maxChars + ")");
        }
        String problem = textProblem(value);
        if (problem != null) {
            throw new BadRequest(name + " " + problem);
        }
        return value;
    }

    /** Why PostgreSQL could not store {@code s} as given, or null when it can. */
    public static String textProblem(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == 0) {
                return "must not contain U+0000";
            }
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return "must be valid Unicode (an unpaired surrogate)";
            }
        }
        return null;
    }

    /** Why PostgreSQL's {@code jsonb} could not store {@code value} (a string or key it cannot hold), or null. */
    public static String jsonProblem(JsonNode value) {
        if (value instanceof JsonNode.StringNode s) {
            return textProblem(s.value());
        }
        if (value instanceof JsonNode.ArrayNode a) {
            for (JsonNode item : a.items()) {
                String p = jsonProblem(item);
                if (p != null) {
                    return p;
                }
            }
        } else if (value instanceof JsonNode.ObjectNode o) {
            for (Map.Entry<String, JsonNode> e : o.fields().entrySet()) {
                String p = textProblem(e.getKey());
                if (p == null) {
                    p = jsonProblem(e.getValue());
                }
                if (p != null) {
                    return p;
                }
            }
        }
        return null;
    }
}
