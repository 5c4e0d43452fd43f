package dev.claudemesh.broker.core.envelope;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link FlatFrameScanner} against the Jackson path it stands in for: whenever the fast path takes a frame, the
 * {@link Inbound} is the one Jackson's path yields, field for field (compared by reflection, so a field added later is
 * compared too); when it gives up, {@link EnvelopeDecoder#decode} is Jackson's answer. The frames of a DM must take the
 * fast path (else the allocation it saves is not saved).
 */
class FlatFrameScannerTest {

    private static final String KEY = "ab".repeat(32);
    static final String DM_SEND = "{\"type\":\"send\",\"id\":\"c-1\",\"client_message_id\":\"c-1\",\"targetSpec\":\"" + KEY
            + "\",\"priority\":\"now\",\"nonce\":\"bm9uY2U=\",\"ciphertext\":\"Y2lwaGVydGV4dA==\"}";
    static final String CLIENT_ACK = "{\"type\":\"client_ack\",\"clientMessageId\":\"c-1\",\"brokerMessageId\":\""
            + "x".repeat(32) + "\"}";

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Whether the fast path took {@code frame}; either way, asserts the public decode equals Jackson's path. */
    private static boolean tookAndAgreed(byte[] frame) {
        Inbound fast = new Inbound();
        boolean took = FlatFrameScanner.scan(frame, 0, frame.length, fast, null);
        Inbound jackson = EnvelopeDecoder.withJackson(frame, 0, frame.length, new Inbound());
        if (took) {
            assertSameFields(EnvelopeDecoder.finish(fast, frame, 0, frame.length), jackson, frame);
        }
        assertSameFields(EnvelopeDecoder.decode(frame), jackson, frame);
        EnvelopeReader reader = new EnvelopeReader();
        reader.lastTargetSpec = KEY;
        assertSameFields(reader.read(frame, 0, frame.length), jackson, frame);
        return took;
    }

    static void assertSameFields(Inbound actual, Inbound expected, byte[] frame) {
        // nonce and ciphertext compare as text: one path may point into the frame, the other hold its own array
        assertThat(actual.nonceBytes()).as("nonce of %s", new String(frame, StandardCharsets.UTF_8))
                .isEqualTo(expected.nonceBytes());
        assertThat(actual.ciphertextBytes()).as("ciphertext of %s", new String(frame, StandardCharsets.UTF_8))
                .isEqualTo(expected.ciphertextBytes());
        for (Field f : Inbound.class.getDeclaredFields()) {
            if (Modifier.isStatic(f.getModifiers()) || f.getName().startsWith("nonce")
                    || f.getName().startsWith("ciphertext")) {
                continue;
            }
            f.setAccessible(true);
            try {
                Object a = f.get(actual);
                Object e = f.get(expected);
                boolean same = a instanceof byte[] ab && e instanceof byte[] eb ? Arrays.equals(ab, eb) : Objects.equals(a, e);
                assertThat(same).as("%s of %s: %s vs %s", f.getName(), new String(frame, StandardCharsets.UTF_8),
                        show(a), show(e)).isTrue();
            } catch (IllegalAccessException ex) {
                throw new AssertionError(ex);
            }
        }
    }

    private static String show(Object o) {
        return o instanceof byte[] b ? Arrays.toString(b) : String.valueOf(o);
    }

    @Test
    void shouldTakeTheFramesOfEveryDmAndAgreeWithJackson() {
        assertThat(tookAndAgreed(utf8(DM_SEND))).isTrue();
        assertThat(tookAndAgreed(utf8(CLIENT_ACK))).isTrue();
        assertThat(tookAndAgreed(utf8(" {\n\"type\" : \"send\" ,\t\"id\":42,\"_reqId\":-7,\"x\":null,\"y\":true,"
                + "\"z\":false,\"w\":\"\"}\r\n"))).isTrue();
        assertThat(tookAndAgreed(utf8("{\"type\":\"list_peers\",\"_reqId\":\"r1\"}"))).isTrue();
        assertThat(tookAndAgreed(utf8("{\"type\":\"send\",\"nonce\":\"abc\",\"ciphertext\":\"ab=cd===\"}"))).isTrue();
        assertThat(tookAndAgreed(utf8("{\"type\":\"dance\",\"pid\":42,\"timestamp\":1717459200000,\"pubkey\":\"k\"}")))
                .isTrue();
        // hellos go to Jackson as soon as their type is read (nested groups and attestation; once per connection)
        assertThat(tookAndAgreed(utf8("{\"type\":\"hello\",\"pid\":42,\"pubkey\":\"k\"}"))).isFalse();
        assertThat(tookAndAgreed(utf8("{\"type\":\"session_hello\"}"))).isFalse();
        assertThat(tookAndAgreed(utf8("{}"))).isTrue();
    }

    @Test
    void shouldLeaveToJacksonWhatItDoesNotHandle() {
        List<String> frames = List.of(
                "{\"type\":\"se\\u006ed\"}", "{\"type\":\"sénd\"}", "{\"a\":{}}", "{\"a\":[]}", "{\"id\":1.5}",
                "{\"id\":1e3}", "{\"id\":01}", "{\"id\":-}", "{\"id\":1234567890123456789}", "{\"type\":\"send\"}x",
                "{\"type\":\"send\"}}", "\uFEFF{}", "{\"a\":1,}", "{,}", "{\"a\" 1}", "{\"type\":\"a\tb\"}",
                "{\"pid\":\"42\"}", "{\"pubkey\":42}", "{\"type\":null}", "{\"summary\":null}", "{\"groups\":[]}",
                "{\"parentAttestation\":{}}", "{\"x\":tru}", "{\"x\":truex}", "{\"x\":nul}", "{\u000b}", "{\f}",
                "[]", "", " ", "{", "{\"a\"", "{\"a\":", "{\"a\":1", "{\"a\":\"b", "{\"a\":1 \"b\":2}", "\"a\"",
                "{\"nonce\":\"bm9u\\u0063\"}", "{\"timestamp\":1" + "0".repeat(70) + "}");
        for (String frame : frames) {
            assertThat(tookAndAgreed(utf8(frame))).as(frame).isFalse();
        }
    }

    @Test
    void shouldGiveUpOnBytesThatAreNotAscii() {
        byte[] frame = utf8("{\"type\":\"send\",\"x\":\"?\"}");
        frame[frame.length - 3] = (byte) 0xFF;
        assertThat(tookAndAgreed(frame)).isFalse();
        assertThat(EnvelopeDecoder.decode(frame).error).isEqualTo("invalid UTF-8");
    }

    // ------------------------------------------------------------------------------------------ generated frames

    private static final List<String> NAMES = List.of("type", "_reqId", "meshId", "memberId", "pubkey",
            "sessionPubkey", "parentMemberId", "parentMemberPubkey", "displayName", "sessionId", "pid", "cwd",
            "hostname", "peerType", "channel", "model", "role", "groups", "timestamp", "signature",
            "parentAttestation", "id", "client_message_id", "request_fingerprint", "targetSpec", "priority", "nonce",
            "ciphertext", "clientMessageId", "brokerMessageId", "status", "summary", "name", "unknownField", "",
            "typ", "types", "ID", "ty\\u0070e", "tÿpe");

    private static final List<String> VALUES = List.of("\"\"", "\"send\"", "\"client_ack\"", "\"hello\"",
            "\"session_hello\"", "\"list_peers\"", "\"dance\"", "\"now\"", "\"next\"", "\"low\"", "\"urgent\"",
            "\"bm9uY2U=\"", "\"ab==\"", "\"a===\"", "\"ab=c\"", "\"abc\"", "\"a\\\"b\"", "\"\\u0041\"", "\"é\"",
            "\"a\tb\"", "\"x\u007fy\"", "\"#t1\"", "\"*\"", "\"@all\"", "\"" + KEY + "\"", "\"c-1\"",
            "0", "-0", "7", "-7", "01", "1.0", "1e3", "-", "123456789012345678", "-123456789012345678",
            "1234567890123456789", "9223372036854775807", "99999999999999999999", "true", "false", "null", "tru",
            "nul", "truex", "{}", "[]", "[1]", "{\"a\":1}", "[{\"name\":\"be\"}]", "\"" + "Q".repeat(300) + "\"");

    private static final List<String> SPACES = List.of("", "", "", " ", "\n", "\t", "\r\n", "\u000b", "\f");

    @Provide
    Arbitrary<String> flatFrames() {
        Arbitrary<String> space = Arbitraries.of(SPACES);
        Arbitrary<String> field = Combinators.combine(Arbitraries.of(NAMES), Arbitraries.of(VALUES), space, space)
                .as((n, v, s1, s2) -> "\"" + n + "\"" + s1 + ":" + s2 + v);
        Arbitrary<String> trailing = Arbitraries.of("", "", "", " ", "\n", "x", "}", "{}", ",", "\u0000");
        return Combinators.combine(field.list().ofMaxSize(10), space, space, trailing, Arbitraries.of(",", ", ", " ,"))
                .as((fields, s1, s2, t, sep) -> s1 + "{" + s2 + String.join(sep, fields) + "}" + t);
    }

    @Property(tries = 10_000)
    void shouldAgreeWithJacksonOnGeneratedFlatFrames(@ForAll("flatFrames") String frame) {
        tookAndAgreed(utf8(frame));
    }

    @Property(tries = 10_000)
    void shouldAgreeWithJacksonOnMutatedDmFrames(@ForAll @IntRange(max = 1) int which, @ForAll long seed,
                                                 @ForAll @IntRange(min = 1, max = 6) int ops) {
        tookAndAgreed(EnvelopeDecoderFuzzTest.mutate(utf8(which == 0 ? DM_SEND : CLIENT_ACK), seed, ops));
    }

    @Test
    void shouldTakeMostGeneratedFramesWithoutNestedOrOddValues() {
        // guards the property tests above against a fast path that gives up on everything (and so proves nothing)
        List<String> taken = new ArrayList<>();
        for (String v : VALUES) {
            String frame = "{\"type\":\"send\",\"unknownField\":" + v + "}";
            if (tookAndAgreed(utf8(frame))) {
                taken.add(v);
            }
        }
        assertThat(taken).containsExactlyInAnyOrder("\"\"", "\"send\"", "\"client_ack\"", "\"hello\"",
                "\"session_hello\"", "\"list_peers\"", "\"dance\"", "\"now\"", "\"next\"", "\"low\"", "\"urgent\"",
                "\"bm9uY2U=\"", "\"ab==\"", "\"a===\"", "\"ab=c\"", "\"abc\"", "\"x\u007fy\"", "\"#t1\"", "\"*\"",
                "\"@all\"", "\"" + KEY + "\"", "\"c-1\"", "0", "-0", "7", "-7", "123456789012345678",
                "-123456789012345678", "true", "false", "null", "\"" + "Q".repeat(300) + "\"");
    }
}
