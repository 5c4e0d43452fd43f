package dev.claudemesh.broker.netty.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a small HTTP request body (admin and hook routes, at most {@code MAX_MESSAGE_BYTES}) into plain Java
 * values with jackson-core's streaming parser: objects become {@link LinkedHashMap}s, arrays {@link ArrayList}s,
 * strings {@link String}s, integers {@link Long} (or {@link java.math.BigInteger} when too large), other numbers
 * {@link Double}, plus {@link Boolean} and {@code null}. Not for the WebSocket hot path, which has its own decoder.
 *
 * <p>Stateless and thread-safe. Does not take ownership of the buffer: it reads it without moving its indexes.</p>
 */
public final class JsonBody {

    /** Nesting deeper than this is refused; no admin or hook body needs more than three levels. */
    static final int MAX_DEPTH = 16;

    private static final JsonFactory FACTORY = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH).build())
            .build();

    /** The body is not a single well-formed JSON value (message for logs, never echoed with secrets). */
    public static final class BadJsonException extends Exception {
        private static final long serialVersionUID = 1L;

        BadJsonException(String message) {
            super(message, null, false, false);
        }
    }

    private JsonBody() {
    }

    /** Parses {@code body} as exactly one JSON object. */
    public static Map<String, Object> parseObject(ByteBuf body) throws BadJsonException {
        if (!body.isReadable()) {
            throw new BadJsonException("empty body");
        }
        try (JsonParser p = parser(body)) {
            JsonToken t = p.nextToken();
            if (t != JsonToken.START_OBJECT) {
                throw new BadJsonException("expected a JSON object");
            }
            Map<String, Object> root = readObject(p);
            if (p.nextToken() != null) {
                throw new BadJsonException("trailing data after the JSON object");
            }
            return root;
        } catch (IOException e) {
            // JsonProcessingException (syntax, constraints) and stream errors alike: the client sent bad JSON
            String why = e instanceof com.fasterxml.jackson.core.JsonProcessingException jpe
                    ? jpe.getOriginalMessage() : e.getMessage();
            throw new BadJsonException("malformed JSON: " + why);
        }
    }

    private static JsonParser parser(ByteBuf body) throws IOException {
        if (body.hasArray()) {
            return FACTORY.createParser(body.array(), body.arrayOffset() + body.readerIndex(), body.readableBytes());
        }
        return FACTORY.createParser((InputStream) new ByteBufInputStream(body.duplicate()));
    }

    private static Map<String, Object> readObject(JsonParser p) throws IOException {
        Map<String, Object> out = new LinkedHashMap<>();
        JsonToken t;
        while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            p.nextToken();
            out.put(name, readValue(p));
        }
        if (t != JsonToken.END_OBJECT) {
            throw new IOException("unterminated object");
        }
        return out;
    }

    private static List<Object> readArray(JsonParser p) throws IOException {
        List<Object> out = new ArrayList<>();
        JsonToken t;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            if (t == null) {
                throw new IOException("unterminated array");
            }
            out.add(readValue(p));
        }
        return out;
    }

    private static Object readValue(JsonParser p) throws IOException {
        JsonToken t = p.currentToken();
        if (t == null) {
            throw new IOException("unexpected end of input");
        }
        return switch (t) {
            case START_OBJECT -> readObject(p);
            case START_ARRAY -> readArray(p);
            case VALUE_STRING -> p.getText();
            case VALUE_NUMBER_INT -> p.getNumberType() == JsonParser.NumberType.BIG_INTEGER
                    ? p.getBigIntegerValue() : (Object) p.getLongValue();
            case VALUE_NUMBER_FLOAT -> p.getDoubleValue();
            case VALUE_TRUE -> Boolean.TRUE;
            case VALUE_FALSE -> Boolean.FALSE;
            case VALUE_NULL -> null;
            default -> throw new IOException("unexpected token " + t);
        };
    }
}
