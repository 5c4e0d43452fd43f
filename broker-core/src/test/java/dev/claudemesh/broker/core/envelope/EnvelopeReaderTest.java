package dev.claudemesh.broker.core.envelope;

import dev.claudemesh.broker.core.model.GroupRole;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link EnvelopeReader}: one Inbound for every frame of a socket. A frame never sees a field of the frame before it,
 * whichever path (fast or Jackson, well-formed or not) decoded either; values taken from a frame survive the next
 * decode; {@link Inbound#copy()} and {@link Inbound#clear()} cover every field.
 */
class EnvelopeReaderTest {

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static Inbound read(EnvelopeReader r, String frame) {
        byte[] b = utf8(frame);
        return r.read(b, 0, b.length);
    }

    @Test
    void shouldNotLeakFieldsOfOneFrameIntoTheNext() {
        EnvelopeReader r = new EnvelopeReader();
        Inbound first = read(r, FlatFrameScannerTest.DM_SEND.replace("}", ",\"_reqId\":5,\"request_fingerprint\":\"f\"}"));
        assertThat(first.targetSpec).isNotNull();
        assertThat(first.reqIdNumeric).isTrue();

        Inbound second = read(r, FlatFrameScannerTest.CLIENT_ACK);

        assertThat(second).isSameAs(first); // reused, and exactly what a fresh decode yields
        FlatFrameScannerTest.assertSameFields(second, EnvelopeDecoder.decode(utf8(FlatFrameScannerTest.CLIENT_ACK)),
                utf8(FlatFrameScannerTest.CLIENT_ACK));
        assertThat(second.targetSpec).isNull();
        assertThat(second.nonceSrc).isNull();
        assertThat(second.reqId).isNull();
        assertThat(second.reqIdNumeric).isFalse();
        assertThat(second.hasId).isFalse();
    }

    @Test
    void shouldNotLeakAcrossTheJacksonPathAndMalformedFrames() {
        EnvelopeReader r = new EnvelopeReader();
        String hello = "{\"type\":\"hello\",\"groups\":[{\"name\":\"be\"}],\"timestamp\":5,\"cwd\":\"/w\"}";
        Inbound in = read(r, hello); // nested: Jackson's path
        assertThat(in.groups).containsExactly(new GroupRole("be", null));

        in = read(r, "{\"type\":\"send\",\"id\":\"x\"} {}");
        FlatFrameScannerTest.assertSameFields(in, Inbound.malformed("trailing data after JSON object"), utf8("-"));

        in = read(r, "{\"type\":\"dance\",\"_reqId\":\"r\"}");
        assertThat(in.body().string("_reqId")).isEqualTo("r");
        in = read(r, FlatFrameScannerTest.CLIENT_ACK);
        assertThat(in.body()).isSameAs(JsonNode.ObjectNode.EMPTY); // neither the frame nor its tree of before
        assertThat(in.groups).isNull();
        assertThat(in.timestamp).isNull();
    }

    @Test
    void shouldKeepValuesTakenFromAFrameIntactAfterTheNextDecode() {
        EnvelopeReader r = new EnvelopeReader();
        Inbound in = read(r, FlatFrameScannerTest.DM_SEND);
        String target = in.targetSpec;
        String id = in.clientMessageId;
        Inbound kept = in.copy();

        read(r, FlatFrameScannerTest.DM_SEND.replace("bm9uY2U=", "QUFBQQ==").replace("c-1", "c-2"));
        r.clear();

        assertThat(target).isEqualTo("ab".repeat(32));
        assertThat(id).isEqualTo("c-1");
        assertThat(new String(kept.nonceBytes(), StandardCharsets.US_ASCII)).isEqualTo("bm9uY2U=");
        assertThat(new String(kept.ciphertextBytes(), StandardCharsets.US_ASCII)).isEqualTo("Y2lwaGVydGV4dA==");
    }

    @Test
    void shouldReadNonceAndCiphertextInPlaceAndCopyThemOutOfAReusedFrame() {
        EnvelopeReader r = new EnvelopeReader();
        byte[] frame = utf8(FlatFrameScannerTest.DM_SEND);
        Inbound in = r.read(frame, 0, frame.length);
        // valid base64 is not copied: the Inbound points into the frame (lent only during the call)
        assertThat(in.nonceSrc).isSameAs(frame);
        assertThat(in.ciphertextSrc).isSameAs(frame);
        Inbound kept = in.copy();

        java.util.Arrays.fill(frame, (byte) 'x'); // the transport reuses its scratch array for the next frame
        r.clear();

        assertThat(kept.nonceSrc).isNotSameAs(frame);
        assertThat(new String(kept.nonceBytes(), StandardCharsets.US_ASCII)).isEqualTo("bm9uY2U=");
        assertThat(new String(kept.ciphertextBytes(), StandardCharsets.US_ASCII)).isEqualTo("Y2lwaGVydGV4dA==");
        assertThat(kept.nonceLen).isEqualTo(8);
    }

    @Test
    void shouldShareTheTextOfRepeatedTargetsAndOfEqualIds() {
        EnvelopeReader r = new EnvelopeReader();
        Inbound in = read(r, FlatFrameScannerTest.DM_SEND);
        String target = in.targetSpec;
        assertThat(in.clientMessageId).isSameAs(in.id);

        in = read(r, FlatFrameScannerTest.DM_SEND.replace("c-1", "c-2"));
        assertThat(in.targetSpec).isSameAs(target);
        in = read(r, FlatFrameScannerTest.DM_SEND.replace("ab", "cd"));
        assertThat(in.targetSpec).isEqualTo("cd".repeat(32)).isNotSameAs(target);
    }

    @Test
    void shouldCopyAndClearEveryField() throws IllegalAccessException {
        Inbound in = new Inbound();
        List<Field> fields = instanceFields();
        for (Field f : fields) {
            f.set(in, sample(f));
        }
        Inbound copy = in.copy();
        for (Field f : fields) {
            if (f.getName().startsWith("nonce") || f.getName().startsWith("ciphertext")) {
                continue; // ranges that may point into the frame: copied out, checked below
            }
            assertThat(f.get(copy)).as(f.getName()).isSameAs(f.get(in));
        }
        assertThat(copy.nonceBytes()).isEqualTo(in.nonceBytes()).hasSize(1);
        assertThat(copy.ciphertextBytes()).isEqualTo(in.ciphertextBytes()).hasSize(1);
        assertThat(copy.nonceSrc).isNotSameAs(in.nonceSrc);
        in.clear();
        Inbound fresh = new Inbound();
        for (Field f : fields) {
            assertThat(f.get(in)).as(f.getName()).isEqualTo(f.get(fresh));
        }
        assertThat(f("ciphertextSrc").get(copy)).isNotNull(); // the copy is untouched by the clear
    }

    private static Field f(String name) {
        return instanceFields().stream().filter(x -> x.getName().equals(name)).findFirst().orElseThrow();
    }

    private static List<Field> instanceFields() {
        List<Field> out = new java.util.ArrayList<>();
        for (Field f : Inbound.class.getDeclaredFields()) {
            if (!Modifier.isStatic(f.getModifiers())) {
                f.setAccessible(true);
                out.add(f);
            }
        }
        return out;
    }

    /** A value for {@code f} that is not its default, distinct per field where the type allows. */
    private static Object sample(Field f) {
        Class<?> t = f.getType();
        if (t == boolean.class) {
            return true;
        } else if (t == int.class) {
            return 1; // offsets and lengths: one byte of the sample array
        } else if (t == String.class) {
            return "v-" + f.getName();
        } else if (t == Long.class) {
            return (long) f.getName().hashCode();
        } else if (t == byte[].class) {
            return utf8(f.getName());
        } else if (t == Inbound.Type.class) {
            return Inbound.Type.SEND;
        } else if (t == List.class) {
            return List.of(new GroupRole("g", null));
        } else if (t == JsonNode.ObjectNode.class) {
            return JsonTree.parseObject(utf8("{\"a\":1}"), 0, 7);
        }
        throw new AssertionError("no sample for " + f + ": add one");
    }
}
