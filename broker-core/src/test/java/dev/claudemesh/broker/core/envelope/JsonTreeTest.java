package dev.claudemesh.broker.core.envelope;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The JSON tree of frames the envelope does not model: exact round trips, key order, lazy parsing. */
class JsonTreeTest {

    private static JsonNode.ObjectNode parse(String json) {
        byte[] b = json.getBytes(StandardCharsets.UTF_8);
        return JsonTree.parseObject(b, 0, b.length);
    }

    private static String write(JsonNode n) {
        return new JsonOut().value(n).toString();
    }

    @Test
    void shouldWriteBackExactlyWhatItRead() {
        String json = "{\"type\":\"set_state\",\"key\":\"release\",\"value\":{\"version\":\"1.5.1\",\"frozen\":true,"
                + "\"n\":[0,-1,1.50e3,12345678901234567890,0.1,-0.0],\"nil\":null,"
                + "\"s\":\"a\\\"b\\\\c\\nd\\u0001é😀\"}}";
        assertThat(write(parse(json))).isEqualTo(json);
    }

    @Test
    void shouldKeepKeyOrderAndLetARepeatedKeyKeepItsPlaceWithItsLastValue() {
        JsonNode.ObjectNode o = parse("{\"z\":1,\"a\":2,\"z\":3}");
        assertThat(o.fields().keySet()).containsExactly("z", "a");
        assertThat(write(o)).isEqualTo("{\"z\":3,\"a\":2}");
    }

    @Test
    void shouldReadTypedFields() {
        JsonNode.ObjectNode o = parse("{\"title\":\"Fix\",\"tags\":[\"ci\",\"be\"],\"n\":42,\"f\":1.5,\"big\":1e400}");
        assertThat(o.string("title")).isEqualTo("Fix");
        assertThat(o.string("n")).isNull();
        assertThat(o.string("missing")).isNull();
        assertThat(o.has("tags")).isTrue();
        assertThat(((JsonNode.ArrayNode) o.get("tags")).items())
                .containsExactly(new JsonNode.StringNode("ci"), new JsonNode.StringNode("be"));
        JsonNode.NumberNode n = (JsonNode.NumberNode) o.get("n");
        assertThat(n.isLong()).isTrue();
        assertThat(n.longValue()).isEqualTo(42);
        assertThat(((JsonNode.NumberNode) o.get("f")).isLong()).isFalse();
        assertThat(((JsonNode.NumberNode) o.get("big")).text()).isEqualTo("1e400");
        assertThat(o.size()).isEqualTo(5);
    }

    @Test
    void shouldParseTheBodyOfAServiceFrameOnlyWhenAskedAndNeverKeepCoreFrames() {
        Inbound service = EnvelopeDecoder.decode("{\"type\":\"create_task\",\"title\":\"t\",\"tags\":[\"x\"]}"
                .getBytes(StandardCharsets.UTF_8));
        assertThat(service.type).isEqualTo(Inbound.Type.UNKNOWN);
        assertThat(service.frame).isNotNull();
        assertThat(service.body().string("title")).isEqualTo("t");
        assertThat(service.body()).isSameAs(service.body());

        Inbound send = EnvelopeDecoder.decode(("{\"type\":\"send\",\"id\":\"c1\",\"targetSpec\":\"*\",\"nonce\":\"\","
                + "\"ciphertext\":\"\"}").getBytes(StandardCharsets.UTF_8));
        assertThat(send.frame).isNull();
        assertThat(send.body()).isSameAs(JsonNode.ObjectNode.EMPTY);
        Inbound noType = EnvelopeDecoder.decode("{\"a\":1}".getBytes(StandardCharsets.UTF_8));
        assertThat(noType.frame).isNull();
    }

    @Test
    void shouldKeepTheDecodersLimits() {
        String deep = "{\"a\":" + "[".repeat(40) + "]".repeat(40) + "}";
        assertThatThrownBy(() -> parse(deep)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> parse("[1]")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> parse("{} {}")).isInstanceOf(IllegalArgumentException.class);
        assertThat(write(new JsonNode.ArrayNode(List.of(JsonNode.NullNode.INSTANCE, JsonNode.BooleanNode.FALSE))))
                .isEqualTo("[null,false]");
    }
}
