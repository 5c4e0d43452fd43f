package dev.claudemesh.broker.core.envelope;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class JsonOutTest {

    @Test
    void shouldEscapeLikeJsonStringify() {
        String s = new JsonOut().beginObject().field("a", "q\"b\\s\n\t\u0001é€😀").field("n", -5).field("t", true)
                .name("z").nullValue().endObject().toString();
        assertThat(s).isEqualTo("{\"a\":\"q\\\"b\\\\s\\n\\t\\u0001é€😀\",\"n\":-5,\"t\":true,\"z\":null}");
    }

    @Test
    void shouldEscapeLoneSurrogates() {
        assertThat(new JsonOut().value("a\ud800b").toString()).isEqualTo("\"a\\ud800b\"");
    }

    @Test
    void shouldRoundTripThroughTheDecoder() {
        byte[] bytes = new JsonOut().beginObject().field("type", "set_summary").field("summary", "line\n\"x\"").endObject()
                .toBytes();
        Inbound in = EnvelopeDecoder.decode(bytes);
        assertThat(in.summary).isEqualTo("line\n\"x\"");
    }

    @Test
    void shouldWriteEncodedNamesAndValuesAsTheirStringsAre() {
        JsonOut.Encoded name = JsonOut.Encoded.name("q\"é");
        JsonOut.Encoded value = JsonOut.Encoded.string("v\n€");
        String encoded = new JsonOut().beginObject().name(name).value(value).field(name, "x").name("a")
                .value(value).endObject().toString();
        String plain = new JsonOut().beginObject().name("q\"é").value("v\n€").field("q\"é", "x").name("a")
                .value("v\n€").endObject().toString();
        assertThat(encoded).isEqualTo(plain).isEqualTo("{\"q\\\"é\":\"v\\n€\",\"q\\\"é\":\"x\",\"a\":\"v\\n€\"}");
    }
}
