package dev.claudemesh.broker.core.envelope;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class JsonFieldsTest {

    private static JsonNode.ObjectNode body(String json) {
        byte[] b = json.getBytes(StandardCharsets.UTF_8);
        return JsonTree.parseObject(b, 0, b.length);
    }

    @Test
    void shouldReadTypedFieldsAndNameTheBadOnes() throws Exception {
        JsonNode.ObjectNode o = body("{\"s\":\"x\",\"e\":\"\",\"n\":null,\"i\":1,\"a\":[\"p\",\"q\"],\"b\":[1]}");
        assertThat(JsonFields.requiredString(o, "s", 1)).isEqualTo("x");
        assertThat(JsonFields.requiredText(o, "e")).isEmpty();
        assertThat(JsonFields.optionalString(o, "n")).isNull();
        assertThat(JsonFields.optionalString(o, "missing")).isNull();
        assertThat(JsonFields.stringArray(o, "a", 2)).containsExactly("p", "q");
        assertThat(JsonFields.stringArray(o, "n", 2)).isEmpty();
        assertThatThrownBy(() -> JsonFields.requiredString(o, "e", 5)).hasMessage("e must be a non-empty string");
        assertThatThrownBy(() -> JsonFields.requiredString(o, "s", 0)).hasMessage("s must be at most 0 characters");
        assertThatThrownBy(() -> JsonFields.optionalString(o, "i")).hasMessage("i must be a string");
        assertThatThrownBy(() -> JsonFields.requiredText(o, "n")).hasMessage("n must be a string");
        assertThatThrownBy(() -> JsonFields.stringArray(o, "b", 5)).hasMessage("b must be an array of strings");
        assertThatThrownBy(() -> JsonFields.stringArray(o, "s", 5)).hasMessage("s must be an array of strings");
        assertThatThrownBy(() -> JsonFields.stringArray(o, "a", 1)).hasMessage("a must have at most 1 items");
    }

    @Test
    void shouldRoundTripAnyValueExactly() {
        String manifest = "{\"b\":1.50e3,\"a\":[true,false,null,\"é\\n\\\"\"],\"c\":{\"z\":-0.0,\"y\":{}}}";
        JsonNode v = body("{\"m\":" + manifest + "}").get("m");
        String text = JsonFields.text(v);
        assertThat(text).isEqualTo("{\"b\":1.50e3,\"a\":[true,false,null,\"é\\n\\\"\"],\"c\":{\"z\":-0.0,\"y\":{}}}");
        assertThat(JsonFields.text(JsonFields.parse(text))).isEqualTo(text);
        assertThat(JsonFields.parse("12")).isEqualTo(new JsonNode.NumberNode("12"));
        assertThat(JsonFields.parse("\"s\"")).isEqualTo(new JsonNode.StringNode("s"));
        assertThatThrownBy(() -> JsonFields.parse("1,\"v\":2")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> JsonFields.parse("")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldCountUtf8Bytes() {
        for (String s : new String[] {"", "abc", "é", "€", "😀", "a😀é€"}) {
            assertThat(JsonFields.utf8Length(s)).isEqualTo(s.getBytes(StandardCharsets.UTF_8).length);
        }
        assertThat(JsonFields.utf8Length(null)).isZero();
    }
}
