package dev.claudemesh.broker.core.envelope;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class EnvelopeDecoderTest {

    private static Inbound decode(String s) {
        return EnvelopeDecoder.decode(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void shouldDecodeSendKeepingPayloadAsAsciiBytes() {
        Inbound in = decode("{\"type\":\"send\",\"id\":\"c1\",\"client_message_id\":\"c1\",\"targetSpec\":\"*\","
                + "\"priority\":\"now\",\"nonce\":\"bm9uY2U=\",\"ciphertext\":\"Y2lwaGVy\",\"extra\":{\"a\":[1,2]}}");
        assertThat(in.type).isEqualTo(Inbound.Type.SEND);
        assertThat(in.id).isEqualTo("c1");
        assertThat(in.hasId).isTrue();
        assertThat(new String(in.nonceBytes(), StandardCharsets.US_ASCII)).isEqualTo("bm9uY2U=");
        assertThat(new String(in.ciphertextBytes(), StandardCharsets.US_ASCII)).isEqualTo("Y2lwaGVy");
        assertThat(in.badBase64Field).isNull();
    }

    @Test
    void shouldGiveANewInboundItsOwnNonceAndCiphertextSoThatItOutlivesTheFrame() {
        byte[] frame = ("{\"type\":\"send\",\"id\":\"c1\",\"targetSpec\":\"*\",\"nonce\":\"bm9uY2U=\","
                + "\"ciphertext\":\"Y2lwaGVy\"}").getBytes(StandardCharsets.UTF_8);
        Inbound in = EnvelopeDecoder.decode(frame, 0, frame.length);
        java.util.Arrays.fill(frame, (byte) 'x'); // the transport reuses its array for the next frame

        assertThat(in.nonceSrc).isNotSameAs(frame);
        assertThat(in.ciphertextSrc).isNotSameAs(frame);
        assertThat(new String(in.nonceBytes(), StandardCharsets.US_ASCII)).isEqualTo("bm9uY2U=");
        assertThat(new String(in.ciphertextBytes(), StandardCharsets.US_ASCII)).isEqualTo("Y2lwaGVy");
    }

    @Test
    void shouldGiveAJsonFrameInsideABinaryOneItsOwnNonceAndCiphertextToo() {
        byte[] json = ("{\"type\":\"send\",\"id\":\"c1\",\"targetSpec\":\"*\",\"nonce\":\"bm9uY2U=\","
                + "\"ciphertext\":\"Y2lwaGVy\"}").getBytes(StandardCharsets.UTF_8);
        byte[] frame = BinaryFrames.json(json); // 0x7F: a JSON frame on a binary connection
        Inbound in = BinaryDecoder.decode(frame, 0, frame.length);
        java.util.Arrays.fill(frame, (byte) 'x');

        assertThat(in.type).isEqualTo(Inbound.Type.SEND);
        assertThat(new String(in.nonceBytes(), StandardCharsets.US_ASCII)).isEqualTo("bm9uY2U=");
        assertThat(new String(in.ciphertextBytes(), StandardCharsets.US_ASCII)).isEqualTo("Y2lwaGVy");
    }

    @Test
    void shouldFlagNonBase64Payloads() {
        assertThat(decode("{\"type\":\"send\",\"nonce\":\"abc\"}").badBase64Field).isEqualTo("nonce");
        assertThat(decode("{\"type\":\"send\",\"ciphertext\":\"ab=c\"}").badBase64Field).isEqualTo("ciphertext");
        assertThat(decode("{\"type\":\"send\",\"ciphertext\":\"a\\u0000bc\"}").badBase64Field).isEqualTo("ciphertext");
        assertThat(decode("{\"type\":\"send\",\"ciphertext\":\"\"}").badBase64Field).isNull();
    }

    @Test
    void shouldReturnMalformedForBadJsonNestingAndUtf8() {
        assertThat(decode("not json").type).isEqualTo(Inbound.Type.MALFORMED);
        assertThat(decode("[1,2]").type).isEqualTo(Inbound.Type.MALFORMED);
        assertThat(decode("{\"type\":\"send\"} trailing").type).isEqualTo(Inbound.Type.MALFORMED);
        assertThat(decode("{\"a\":" + "[".repeat(100) + "]".repeat(100) + "}").type).isEqualTo(Inbound.Type.MALFORMED);
        assertThat(decode("{\"timestamp\":1" + "0".repeat(200) + "}").type).isEqualTo(Inbound.Type.MALFORMED);
        byte[] badUtf8 = {'{', '"', 't', '"', ':', '"', (byte) 0xFF, '"', '}'};
        assertThat(EnvelopeDecoder.decode(badUtf8).type).isEqualTo(Inbound.Type.MALFORMED);
    }

    @Test
    void shouldLeaveWrongTypedFieldsNullAndNameThem() {
        Inbound in = decode("{\"type\":\"hello\",\"timestamp\":\"123\",\"pubkey\":42,\"groups\":\"x\"}");
        assertThat(in.type).isEqualTo(Inbound.Type.HELLO);
        assertThat(in.timestamp).isNull();
        assertThat(in.pubkey).isNull();
        assertThat(in.groups).isNull();
        assertThat(in.wrongTypeField).isEqualTo("timestamp");
    }

    @Test
    void shouldTreatMissingOrUnknownTypeAsUnknown() {
        assertThat(decode("{}").type).isEqualTo(Inbound.Type.UNKNOWN);
        Inbound in = decode("{\"type\":\"dance\",\"_reqId\":5}");
        assertThat(in.type).isEqualTo(Inbound.Type.UNKNOWN);
        assertThat(in.rawType).isEqualTo("dance");
        assertThat(in.reqId).isEqualTo("5");
        assertThat(in.reqIdNumeric).isTrue();
    }

    @Test
    void shouldReadAttestationAndGroups() {
        Inbound in = decode("{\"type\":\"session_hello\",\"parentAttestation\":{\"sessionPubkey\":\"s\","
                + "\"parentMemberPubkey\":\"p\",\"expiresAt\":17,\"signature\":\"g\"},"
                + "\"groups\":[{\"name\":\"be\",\"role\":\"lead\"},\"fe\",{\"name\":\"\"},3]}");
        assertThat(in.hasAttestation).isTrue();
        assertThat(in.attExpiresAt).isEqualTo(17L);
        assertThat(in.groups).extracting(g -> g.name() + ":" + g.role()).containsExactly("be:lead", "fe:null");
    }

    @Test
    void shouldLetTheLastOfRepeatedKeysWinWithoutStaleNumericFlags() {
        // found by EnvelopeDecoderFuzzTest: a numeric _reqId followed by a string one
        Inbound in = decode("{\"type\":\"send\",\"_reqId\":0,\"_reqId\":\"\",\"id\":7,\"id\":\"x\"}");
        assertThat(in.reqId).isEmpty();
        assertThat(in.reqIdNumeric).isFalse();
        assertThat(in.id).isEqualTo("x");
        assertThat(in.idNumeric).isFalse();
        assertThat(new String(Frames.error("e", "m", in), java.nio.charset.StandardCharsets.UTF_8)).endsWith(",\"_reqId\":\"\"}");
        assertThat(new String(Frames.ackFailed(in, "x"), java.nio.charset.StandardCharsets.UTF_8)).contains("\"id\":\"x\"");
    }
}
