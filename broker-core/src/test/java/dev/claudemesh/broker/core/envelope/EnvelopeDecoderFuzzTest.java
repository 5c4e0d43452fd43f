package dev.claudemesh.broker.core.envelope;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Property-based fuzzing of {@link EnvelopeDecoder#decode} (jqwik, bounded tries so it runs in every build): arbitrary
 * bytes, JSON-ish text assembled from hostile fragments, and random mutations of valid frames never make it throw,
 * and always yield an {@link Inbound} with a type; a valid {@code send} round-trips field for field. These are the
 * invariants the socket thread relies on: one bad frame can only ever cost its sender a {@code bad_request}.
 */
class EnvelopeDecoderFuzzTest {

    /** Decodes and checks the invariants every result must satisfy, whatever the input. */
    private static Inbound decodeChecked(byte[] data, int off, int len) {
        Inbound in = EnvelopeDecoder.decode(data, off, len);
        assertThat(in).isNotNull();
        assertThat(in.type).isNotNull();
        if (in.type == Inbound.Type.MALFORMED) {
            assertThat(in.error).isNotBlank();
        }
        if (in.reqIdNumeric) {
            // echoed as a JSON number by Frames and MeshState: must fit a long
            Long.parseLong(in.reqId);
        }
        if (in.idNumeric) {
            // echoed as a JSON number in acks
            Long.parseLong(in.id);
        }
        if (in.groups != null) {
            assertThat(in.groups).hasSizeLessThanOrEqualTo(64).allSatisfy(g -> assertThat(g.name()).isNotEmpty());
        }
        return in;
    }

    private static Inbound decodeChecked(byte[] data) {
        return decodeChecked(data, 0, data.length);
    }

    // ------------------------------------------------------------------------------------------ arbitrary bytes

    @Property(tries = 10_000)
    void shouldNeverThrowOnArbitraryBytes(@ForAll @Size(max = 600) byte[] bytes) {
        decodeChecked(bytes);
    }

    @Property(tries = 2_000)
    void shouldRespectOffsetAndLengthOfArbitrarySlices(@ForAll @Size(max = 300) byte[] bytes,
                                                       @ForAll @IntRange(max = 300) int a,
                                                       @ForAll @IntRange(max = 300) int b) {
        int off = Math.min(a, bytes.length);
        int len = Math.min(b, bytes.length - off);
        Inbound slice = decodeChecked(bytes, off, len);
        byte[] copy = new byte[len];
        System.arraycopy(bytes, off, copy, 0, len);
        Inbound copied = decodeChecked(copy);
        assertThat(slice.type).isEqualTo(copied.type);
    }

    // ------------------------------------------------------------------------------------------ UTF-8

    /** The JDK's decoder is strict (RFC 3629): the reference for the decoder's own validation. */
    private static boolean strictUtf8(byte[] b) {
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    /** Mostly-ASCII text with lead, continuation and forbidden bytes mixed in at random. */
    @Provide
    Arbitrary<byte[]> utf8ish() {
        Arbitrary<Byte> ascii = Arbitraries.bytes().between((byte) 0x20, (byte) 0x7e);
        Arbitrary<Byte> high = Arbitraries.bytes().between(Byte.MIN_VALUE, (byte) -1);
        Arbitrary<Byte> special = Arbitraries.of((byte) 0xC0, (byte) 0xC1, (byte) 0xC2, (byte) 0xDF, (byte) 0xE0,
                (byte) 0xED, (byte) 0xEF, (byte) 0xF0, (byte) 0xF4, (byte) 0xF5, (byte) 0x80, (byte) 0x8F,
                (byte) 0x90, (byte) 0x9F, (byte) 0xA0, (byte) 0xBF);
        Arbitrary<Byte> any = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(6, ascii), net.jqwik.api.Tuple.of(2, high), net.jqwik.api.Tuple.of(3, special));
        return any.list().ofMaxSize(40).map(l -> {
            byte[] out = new byte[l.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = l.get(i);
            }
            return out;
        });
    }

    @Property(tries = 10_000)
    void shouldValidateUtf8ExactlyLikeTheStrictJdkDecoder(@ForAll("utf8ish") byte[] bytes,
                                                          @ForAll @IntRange(max = 20) int asciiPrefix) {
        // an ASCII prefix shifts the non-ASCII part across the 8-byte fast path's boundaries
        byte[] b = new byte[asciiPrefix + bytes.length];
        java.util.Arrays.fill(b, 0, asciiPrefix, (byte) 'a');
        System.arraycopy(bytes, 0, b, asciiPrefix, bytes.length);
        assertThat(EnvelopeDecoder.isValidUtf8(b, 0, b.length)).isEqualTo(strictUtf8(b));
    }

    @Property(tries = 3_000)
    void shouldAnswerMalformedForAnyInvalidUtf8InsideAString(@ForAll("utf8ish") byte[] bytes,
                                                             @ForAll boolean inKnownField) {
        byte[] pre = utf8("{\"type\":\"set_summary\",\"" + (inKnownField ? "summary" : "other") + "\":\"");
        byte[] post = utf8("\"}");
        byte[] frame = new byte[pre.length + bytes.length + post.length];
        System.arraycopy(pre, 0, frame, 0, pre.length);
        System.arraycopy(bytes, 0, frame, pre.length, bytes.length);
        System.arraycopy(post, 0, frame, pre.length + bytes.length, post.length);
        Inbound in = decodeChecked(frame);
        if (!strictUtf8(bytes)) {
            assertThat(in.type).isEqualTo(Inbound.Type.MALFORMED);
        }
    }

    // ------------------------------------------------------------------------------------------ JSON-ish fragments

    private static final List<String> FRAGMENTS = List.of(
            "{", "}", "[", "]", ":", ",", " ", "\n", "\"", "\\", "\\u", "\\ud800", "\\udc00", "\\u0000", "\\x",
            "\"type\"", "\"send\"", "\"hello\"", "\"session_hello\"", "\"list_peers\"", "\"client_ack\"",
            "\"set_summary\"", "\"join_group\"", "\"_reqId\"", "\"id\"", "\"targetSpec\"", "\"nonce\"",
            "\"ciphertext\"", "\"priority\"", "\"groups\"", "\"name\"", "\"role\"", "\"summary\"", "\"timestamp\"",
            "\"parentAttestation\"", "\"expiresAt\"", "\"pid\"", "\"pubkey\"", "\"displayName\"",
            "0", "-0", "1", "-1", "1.5", "1e3", "1e999", "-1e-999", "9223372036854775807", "9223372036854775808",
            "-9223372036854775809", "1" + "0".repeat(70), "0x10", "NaN", "Infinity", "01",
            "true", "false", "null", "tru", "\"bm9uY2U=\"", "\"a=b\"", "\"*\"", "\"@all\"", "\"@g\"",
            "\"" + "a".repeat(64) + "\"", "\"\\\"\"", "\"é€😀\"", "\uFEFF", "/*", "*/", "//", "'", "\u0000",
            "[[[[[[[[[[[[[[[[", "]]]]]]]]]]]]]]]]", "{\"a\":{\"a\":{\"a\":{\"a\":");

    @Provide
    Arbitrary<String> jsonish() {
        return Arbitraries.of(FRAGMENTS).list().ofMaxSize(40).map(l -> String.join("", l));
    }

    @Property(tries = 10_000)
    void shouldNeverThrowOnJsonishFragments(@ForAll("jsonish") String text) {
        decodeChecked(text.getBytes(StandardCharsets.UTF_8));
    }

    @Property(tries = 3_000)
    void shouldNeverThrowOnObjectsOfRoutingFieldsWithAnyValueShape(@ForAll("objects") String text) {
        Inbound in = decodeChecked(text.getBytes(StandardCharsets.UTF_8));
        // the generator only builds well-formed objects whose depth stays within the limit
        assertThat(in.type).isNotEqualTo(Inbound.Type.MALFORMED);
    }

    private static final List<String> FIELD_NAMES = List.of("type", "_reqId", "meshId", "memberId", "pubkey",
            "sessionPubkey", "parentMemberId", "parentMemberPubkey", "displayName", "sessionId", "pid", "cwd",
            "hostname", "peerType", "channel", "model", "role", "groups", "timestamp", "signature",
            "parentAttestation", "id", "client_message_id", "request_fingerprint", "targetSpec", "priority", "nonce",
            "ciphertext", "clientMessageId", "brokerMessageId", "status", "summary", "name", "unknownField");

    @Provide
    Arbitrary<String> objects() {
        Arbitrary<String> values = Arbitraries.lazyOf(
                () -> Arbitraries.of("null", "true", "false", "0", "-7", "3.25", "1e300", "12345678901234567890",
                        "\"\"", "\"send\"", "\"hello\"", "\"bm9uY2U=\"", "\"\\u0000\\ud800\"", "\"é\"", "{}", "[]",
                        "[\"be\",{\"name\":\"x\",\"role\":1},3,null]", "{\"sessionPubkey\":1,\"expiresAt\":\"x\"}"),
                () -> Arbitraries.of(FIELD_NAMES).list().ofMaxSize(3)
                        .map(names -> "{" + String.join(",", names.stream().map(n -> "\"" + n + "\":[1,{}]").toList())
                                + "}"));
        Arbitrary<String> field = Combinators.combine(Arbitraries.of(FIELD_NAMES), values)
                .as((n, v) -> "\"" + n + "\":" + v);
        return field.list().ofMaxSize(12).map(fields -> "{" + String.join(",", fields) + "}");
    }

    // ------------------------------------------------------------------------------------------ mutations

    private static final List<byte[]> VALID_FRAMES = List.of(
            utf8("{\"type\":\"send\",\"id\":\"c1\",\"client_message_id\":\"c1\",\"targetSpec\":\"" + "ab".repeat(32)
                    + "\",\"priority\":\"now\",\"nonce\":\"bm9uY2U=\",\"ciphertext\":\"Y2lwaGVydGV4dA==\"}"),
            utf8("{\"type\":\"hello\",\"meshId\":\"m\",\"memberId\":\"u\",\"pubkey\":\"" + "0f".repeat(32)
                    + "\",\"displayName\":\"alice\",\"sessionId\":\"s\",\"pid\":42,\"cwd\":\"/w\",\"groups\":"
                    + "[{\"name\":\"be\",\"role\":\"lead\"}],\"timestamp\":1717459200000,\"signature\":\""
                    + "a1".repeat(64) + "\"}"),
            utf8("{\"type\":\"session_hello\",\"meshId\":\"m\",\"parentMemberId\":\"u\",\"parentMemberPubkey\":\""
                    + "0f".repeat(32) + "\",\"sessionPubkey\":\"" + "1e".repeat(32) + "\",\"parentAttestation\":"
                    + "{\"sessionPubkey\":\"" + "1e".repeat(32) + "\",\"parentMemberPubkey\":\"" + "0f".repeat(32)
                    + "\",\"expiresAt\":1717502400000,\"signature\":\"" + "b2".repeat(64) + "\"},\"groups\":[],"
                    + "\"timestamp\":1717459200000,\"signature\":\"" + "c3".repeat(64) + "\"}"),
            utf8("{\"type\":\"client_ack\",\"clientMessageId\":\"c1\",\"brokerMessageId\":\"abc\"}"),
            utf8("{\"type\":\"list_peers\",\"_reqId\":\"r1\"}"),
            utf8("{\"type\":\"set_summary\",\"summary\":\"line\\n\\\"x\\\" é€😀\"}"),
            utf8("{\"type\":\"join_group\",\"name\":\"be/api\",\"role\":\"lead\"}"));

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static final byte[] INTERESTING = {0, '"', '\\', '{', '}', '[', ']', ',', ':', '0', '-', 'e', '.',
            (byte) 0x80, (byte) 0xC0, (byte) 0xC3, (byte) 0xE0, (byte) 0xED, (byte) 0xF0, (byte) 0xF4, (byte) 0xF8,
            (byte) 0xFF, ' ', '\n'};

    /** Applies {@code ops} random edits (flip, overwrite, insert, delete, duplicate, truncate) with {@code seed}. */
    static byte[] mutate(byte[] frame, long seed, int ops) {
        Random r = new Random(seed);
        List<Byte> b = new ArrayList<>(frame.length + 16);
        for (byte x : frame) {
            b.add(x);
        }
        for (int i = 0; i < ops; i++) {
            int size = b.size();
            int pos = size == 0 ? 0 : r.nextInt(size);
            switch (r.nextInt(6)) {
                case 0 -> {
                    if (size > 0) {
                        b.set(pos, (byte) (b.get(pos) ^ (1 << r.nextInt(8))));
                    }
                }
                case 1 -> {
                    if (size > 0) {
                        b.set(pos, INTERESTING[r.nextInt(INTERESTING.length)]);
                    }
                }
                case 2 -> b.add(pos, INTERESTING[r.nextInt(INTERESTING.length)]);
                case 3 -> {
                    int n = Math.min(size - pos, 1 + r.nextInt(8));
                    for (int k = 0; k < n; k++) {
                        b.remove(pos);
                    }
                }
                case 4 -> {
                    int n = Math.min(size - pos, 1 + r.nextInt(16));
                    b.addAll(pos, new ArrayList<>(b.subList(pos, pos + n)));
                }
                default -> {
                    if (size > 0) {
                        b.subList(pos, size).clear();
                    }
                }
            }
        }
        byte[] out = new byte[b.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = b.get(i);
        }
        return out;
    }

    @Property(tries = 10_000)
    void shouldNeverThrowOnMutatedValidFrames(@ForAll @IntRange(max = 6) int frameIndex, @ForAll long seed,
                                              @ForAll @IntRange(min = 1, max = 8) int ops) {
        decodeChecked(mutate(VALID_FRAMES.get(frameIndex), seed, ops));
    }

    @Property(tries = 2_000)
    void shouldNeverThrowOnEveryPrefixOfAValidFrame(@ForAll @IntRange(max = 6) int frameIndex,
                                                    @ForAll @IntRange(max = 400) int cut) {
        byte[] frame = VALID_FRAMES.get(frameIndex);
        int len = Math.min(cut, frame.length);
        Inbound in = decodeChecked(frame, 0, len);
        if (len < frame.length) {
            // an incomplete JSON object is never a message
            assertThat(in.type).isEqualTo(Inbound.Type.MALFORMED);
        }
    }

    // ------------------------------------------------------------------------------------------ round trip

    @Provide
    Arbitrary<String> targetSpecs() {
        return Arbitraries.oneOf(
                Arbitraries.strings().withChars("0123456789abcdef").ofLength(64),
                Arbitraries.of("*", "@all"),
                Arbitraries.strings().ofMinLength(1).ofMaxLength(40).map(g -> "@" + g));
    }

    @Provide
    Arbitrary<byte[]> payloads() {
        return Arbitraries.bytes().array(byte[].class).ofMaxSize(200);
    }

    /** Any string at all, including control characters, quotes, backslashes and lone surrogates. */
    @Provide
    Arbitrary<String> anyText() {
        return Arbitraries.oneOf(
                Arbitraries.strings().ofMaxLength(40),
                Arbitraries.strings().all().ofMaxLength(20),
                Arbitraries.strings().withChars("\u0000\u001f\"\\\ud800\udc00\u2028\ufffe").ofMaxLength(10));
    }

    @Property(tries = 3_000)
    void shouldRoundTripEveryFieldOfAValidSend(@ForAll("anyText") String id,
                                               @ForAll("anyText") String clientMessageId,
                                               @ForAll("anyText") String fingerprint,
                                               @ForAll("targetSpecs") String target,
                                               @ForAll("priorities") String priority,
                                               @ForAll("payloads") byte[] nonce,
                                               @ForAll("payloads") byte[] ciphertext,
                                               @ForAll("anyText") String reqId,
                                               @ForAll boolean withNoise,
                                               @ForAll long shuffleSeed) {
        String nonceB64 = Base64.getEncoder().encodeToString(nonce);
        String ctB64 = Base64.getEncoder().encodeToString(ciphertext);
        List<String> fields = new ArrayList<>();
        fields.add(field("type", "send"));
        fields.add(field("id", id));
        fields.add(field("client_message_id", clientMessageId));
        fields.add(field("request_fingerprint", fingerprint));
        fields.add(field("targetSpec", target));
        fields.add(field("priority", priority));
        fields.add(field("nonce", nonceB64));
        fields.add(field("ciphertext", ctB64));
        fields.add(field("_reqId", reqId));
        if (withNoise) {
            // unknown fields of any shape are skipped without disturbing the routing header
            fields.add("\"protocolVersion\":2");
            fields.add("\"capabilities\":{\"a\":[1,2,{\"b\":null}],\"nonce\":\"not base64!\"}");
            fields.add("\"extra\":[\"targetSpec\",\"id\"]");
        }
        Collections.shuffle(fields, new Random(shuffleSeed));
        byte[] frame = utf8("{" + String.join(",", fields) + "}");

        Inbound in = decodeChecked(frame);

        assertThat(in.type).isEqualTo(Inbound.Type.SEND);
        assertThat(in.id).isEqualTo(id);
        assertThat(in.hasId).isTrue();
        assertThat(in.clientMessageId).isEqualTo(clientMessageId);
        assertThat(in.requestFingerprint).isEqualTo(fingerprint);
        assertThat(in.targetSpec).isEqualTo(target);
        assertThat(in.priority).isEqualTo(priority);
        assertThat(new String(in.nonceBytes(), StandardCharsets.US_ASCII)).isEqualTo(nonceB64);
        assertThat(new String(in.ciphertextBytes(), StandardCharsets.US_ASCII)).isEqualTo(ctB64);
        assertThat(in.badBase64Field).isNull();
        assertThat(in.wrongTypeField).isNull();
        assertThat(in.reqId).isEqualTo(reqId);
        assertThat(in.reqIdNumeric).isFalse();
    }

    @Provide
    Arbitrary<String> priorities() {
        return Arbitraries.of("now", "next", "low");
    }

    /** One {@code "name":"value"} pair, the value escaped by the broker's own writer (as JSON.stringify would). */
    private static String field(String name, String value) {
        return new JsonOut().field(name, value).toString();
    }

    @Property(tries = 1_000)
    void shouldAcceptNestingUpToTheLimitAndRejectBeyond(@ForAll @IntRange(min = 1, max = 80) int depth,
                                                        @ForAll boolean arrays) {
        String open = arrays ? "[" : "{\"a\":";
        String close = arrays ? "]" : "}";
        // the outer object is level 1; the value of "x" adds `depth` levels
        String text = "{\"type\":\"list_peers\",\"x\":" + open.repeat(depth - 1) + (arrays ? "[]" : "{}")
                + close.repeat(depth - 1) + "}";
        Inbound in = decodeChecked(utf8(text));
        if (1 + depth <= EnvelopeDecoder.MAX_DEPTH) {
            assertThat(in.type).isEqualTo(Inbound.Type.LIST_PEERS);
        } else {
            assertThat(in.type).isEqualTo(Inbound.Type.MALFORMED);
        }
    }

    @Property(tries = 1_000)
    void shouldEchoNumericReqIdOnlyWhenItFitsALong(@ForAll @IntRange(min = 1, max = 60) int digits,
                                                   @ForAll boolean negative) {
        String number = (negative ? "-" : "") + "9".repeat(digits);
        Inbound in = decodeChecked(utf8("{\"type\":\"list_peers\",\"_reqId\":" + number + "}"));
        assertThat(in.type).isEqualTo(Inbound.Type.LIST_PEERS);
        assertThat(in.reqId).isEqualTo(number);
        assertThat(in.reqIdNumeric).isEqualTo(digits <= 18);
    }
}
