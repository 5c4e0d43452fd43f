package dev.claudemesh.broker.core.envelope;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link EnvelopeReader#readBinary}: a binary socket's frames decoded into one reused Inbound give exactly what a fresh
 * {@link BinaryDecoder#decode} gives; nothing of a frame leaks into the next; nonce and ciphertext (base64 text in the
 * thread's work array) survive the next frame only through {@link Inbound#copy()}; a repeated target key and an id
 * repeated as {@code client_message_id} share one String, and a malformed frame leaves that sharing correct.
 */
class BinaryEnvelopeReaderTest {

    private static final String KEY_A = "ab".repeat(32);
    private static final String KEY_B = "cd".repeat(32);

    private static String send(String id, String target, String nonce, String ciphertext, String extra) {
        return "{\"type\":\"send\",\"id\":\"" + id + "\",\"client_message_id\":\"" + id + "\",\"targetSpec\":\"" + target
                + "\",\"priority\":\"now\",\"nonce\":\"" + nonce + "\",\"ciphertext\":\"" + ciphertext + "\"" + extra
                + "}";
    }

    private static Inbound read(EnvelopeReader r, String json) {
        byte[] b = BinaryClientCodec.encode(json);
        return r.readBinary(b, 0, b.length);
    }

    private static String text(byte[] src, int off, int len) {
        return new String(src, off, len, StandardCharsets.US_ASCII);
    }

    @Test
    void shouldDecodeLikeAFreshDecodeAndLeakNothingIntoTheNextFrame() {
        EnvelopeReader r = new EnvelopeReader();
        String first = send("c-1", KEY_A, "bm9uY2U=", "Y2lwaGVydGV4dA==", ",\"request_fingerprint\":\"fp\"");
        Inbound in = read(r, first);
        byte[] firstBytes = BinaryClientCodec.encode(first);
        FlatFrameScannerTest.assertSameFields(in, BinaryDecoder.decode(firstBytes), firstBytes);
        assertThat(in.requestFingerprint).isEqualTo("fp");

        String ack = FlatFrameScannerTest.CLIENT_ACK;
        Inbound second = read(r, ack);

        assertThat(second).isSameAs(in);
        byte[] ackBytes = BinaryClientCodec.encode(ack);
        FlatFrameScannerTest.assertSameFields(second, BinaryDecoder.decode(ackBytes), ackBytes);
        assertThat(second.targetSpec).isNull();
        assertThat(second.nonceSrc).isNull();
        assertThat(second.requestFingerprint).isNull();
        assertThat(second.hasId).isFalse();
    }

    @Test
    void shouldHandMalformedAndJsonFramesAnInboundOfTheirOwn() {
        EnvelopeReader r = new EnvelopeReader();
        byte[] truncated = BinaryClientCodec.encode(send("c-1", KEY_A, "bm9uY2U=", "Y2lw", ""));
        Inbound bad = r.readBinary(truncated, 0, truncated.length - 2);
        assertThat(bad.type).isEqualTo(Inbound.Type.MALFORMED);
        assertThat(r.owns(bad)).isFalse();

        byte[] wrapped = BinaryFrames.json("{\"type\":\"list_peers\",\"_reqId\":\"r\"}".getBytes(StandardCharsets.UTF_8));
        Inbound json = r.readBinary(wrapped, 0, wrapped.length);
        assertThat(json.type).isEqualTo(Inbound.Type.LIST_PEERS);
        assertThat(json.reqId).isEqualTo("r");
        assertThat(r.owns(json)).isFalse();

        Inbound good = read(r, send("c-2", KEY_A, "bm9uY2U=", "Y2lw", ""));
        assertThat(r.owns(good)).isTrue();
        assertThat(good.type).isEqualTo(Inbound.Type.SEND);
    }

    @Test
    void shouldWriteTheBase64OfNonceAndCiphertextAndCopyItOutOfTheWorkArray() {
        EnvelopeReader r = new EnvelopeReader();
        Random rnd = new Random(7);
        byte[] nonce = new byte[24];
        byte[] ciphertext = new byte[301];
        rnd.nextBytes(nonce);
        rnd.nextBytes(ciphertext);
        String n64 = Base64.getEncoder().encodeToString(nonce);
        String c64 = Base64.getEncoder().encodeToString(ciphertext);
        Inbound in = read(r, send("c-1", KEY_A, n64, c64, ""));
        assertThat(text(in.nonceSrc, in.nonceOff, in.nonceLen)).isEqualTo(n64);
        assertThat(text(in.ciphertextSrc, in.ciphertextOff, in.ciphertextLen)).isEqualTo(c64);
        Inbound kept = in.copy();

        // the next frame (any socket's, on this thread) overwrites the work array
        Inbound next = read(new EnvelopeReader(), send("c-2", KEY_A, "QUFBQQ==", "QkJCQkJC", ""));
        assertThat(text(next.nonceSrc, next.nonceOff, next.nonceLen)).isEqualTo("QUFBQQ==");

        assertThat(new String(kept.nonceBytes(), StandardCharsets.US_ASCII)).isEqualTo(n64);
        assertThat(new String(kept.ciphertextBytes(), StandardCharsets.US_ASCII)).isEqualTo(c64);
    }

    @Test
    void shouldShareTheTextOfRepeatedTargetKeysAndOfEqualIds() {
        EnvelopeReader r = new EnvelopeReader();
        Inbound in = read(r, send("c-1", KEY_A, "bm9uY2U=", "Y2lw", ""));
        String target = in.targetSpec;
        assertThat(target).isEqualTo(KEY_A);
        assertThat(in.clientMessageId).isSameAs(in.id).isEqualTo("c-1");

        in = read(r, send("c-2", KEY_A, "bm9uY2U=", "Y2lw", ""));
        assertThat(in.targetSpec).isSameAs(target);

        // a frame cut inside its target key is refused and leaves the reader's key and text as a pair
        byte[] cut = BinaryClientCodec.encode(send("c-3", KEY_B, "bm9uY2U=", "Y2lw", ""));
        int keyAt = indexOf(cut, hexBytes(KEY_B));
        assertThat(r.readBinary(cut, 0, keyAt + 10).type).isEqualTo(Inbound.Type.MALFORMED);

        in = read(r, send("c-4", KEY_B, "bm9uY2U=", "Y2lw", ""));
        assertThat(in.targetSpec).isEqualTo(KEY_B).isNotSameAs(target);
        in = read(r, send("c-5", KEY_A, "bm9uY2U=", "Y2lw", ""));
        assertThat(in.targetSpec).isEqualTo(KEY_A);

        String differentIds = "{\"type\":\"send\",\"id\":\"a-1\",\"client_message_id\":\"b-1\",\"targetSpec\":\"" + KEY_A
                + "\",\"nonce\":\"bm9uY2U=\",\"ciphertext\":\"Y2lw\"}";
        in = read(r, differentIds);
        assertThat(in.id).isEqualTo("a-1");
        assertThat(in.clientMessageId).isEqualTo("b-1");
        String nonAscii = differentIds.replace("a-1", "é-1").replace("b-1", "é-1");
        in = read(r, nonAscii);
        assertThat(in.clientMessageId).isEqualTo("é-1").isEqualTo(in.id);
    }

    @Test
    void shouldEncodeBase64AsTheJdkDoesForEveryLengthAndOffset() {
        Random rnd = new Random(11);
        for (int n = 0; n < 70; n++) {
            byte[] raw = new byte[n + 5];
            rnd.nextBytes(raw);
            byte[] out = new byte[BinaryWire.base64EncodedLength(n) + 3];
            BinaryWire.base64Encode(raw, 2, n, out, 3);
            String expected = Base64.getEncoder().encodeToString(java.util.Arrays.copyOfRange(raw, 2, 2 + n));
            assertThat(text(out, 3, out.length - 3)).as("length %d", n).isEqualTo(expected);
        }
    }

    private static byte[] hexBytes(String hex) {
        byte[] out = new byte[hex.length() / 2];
        BinaryWire.unhex(hex, out, 0);
        return out;
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i <= hay.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("not found");
    }
}
