package dev.claudemesh.broker.core.envelope;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Seeded fuzzing of the binary decoders: random frames and mutations of valid frames of every type. The decoder must
 * only ever answer with an Inbound (its own MALFORMED for bad input), never throw, and never keep more than the frame's
 * size; the client-side decoder only ever throws IllegalArgumentException.
 */
class BinaryDecoderFuzzTest {

    private static final String K = "0123456789abcdef".repeat(4);
    private static final String SIG = "cd".repeat(64);
    private static final long SEED = 0x15B1_0001L;
    private static final int ROUNDS = 40_000;

    private static List<byte[]> seeds() {
        List<byte[]> s = new ArrayList<>();
        s.add(BinaryClientCodec.encode("{\"type\":\"hello\",\"meshId\":\"m1\",\"memberId\":\"mem1\",\"pubkey\":\"" + K
                + "\",\"sessionPubkey\":\"" + K + "\",\"displayName\":\"a\",\"pid\":4,\"groups\":[{\"name\":\"g\"}],"
                + "\"timestamp\":1,\"signature\":\"" + SIG + "\"}"));
        s.add(BinaryClientCodec.encode("{\"type\":\"session_hello\",\"meshId\":\"m\",\"parentMemberId\":\"p\","
                + "\"parentMemberPubkey\":\"" + K + "\",\"sessionPubkey\":\"" + K + "\",\"parentAttestation\":{"
                + "\"sessionPubkey\":\"" + K + "\",\"parentMemberPubkey\":\"" + K + "\",\"expiresAt\":9,\"signature\":\""
                + SIG + "\"},\"role\":\"dev\",\"timestamp\":1,\"signature\":\"" + SIG + "\"}"));
        s.add(BinaryClientCodec.encode("{\"type\":\"send\",\"id\":\"c1\",\"client_message_id\":\"c\",\"targetSpec\":\""
                + K + "\",\"priority\":\"low\",\"nonce\":\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYX\",\"ciphertext\":\"aGk=\"}"));
        s.add(BinaryClientCodec.encode("{\"type\":\"send\",\"id\":\"c1\",\"targetSpec\":\"#t\",\"nonce\":\"\","
                + "\"ciphertext\":\"\"}"));
        s.add(BinaryClientCodec.encode("{\"type\":\"client_ack\",\"clientMessageId\":\"c\",\"brokerMessageId\":\"b\"}"));
        s.add(BinaryClientCodec.encode("{\"type\":\"list_peers\",\"_reqId\":\"r\"}"));
        s.add(BinaryClientCodec.encode("{\"type\":\"set_status\",\"status\":\"idle\"}"));
        s.add(BinaryClientCodec.encode("{\"type\":\"set_summary\",\"summary\":\"s\"}"));
        s.add(BinaryClientCodec.encode("{\"type\":\"join_group\",\"name\":\"g\",\"role\":\"r\"}"));
        s.add(BinaryClientCodec.encode("{\"type\":\"leave_group\",\"name\":\"g\"}"));
        s.add(BinaryClientCodec.encode("{\"type\":\"get_state\",\"key\":\"k\"}"));
        return s;
    }

    private static byte[] mutate(byte[] seed, Random r) {
        byte[] b = seed.clone();
        switch (r.nextInt(5)) {
            case 0 -> b[r.nextInt(b.length)] = (byte) r.nextInt(256);
            case 1 -> b = java.util.Arrays.copyOf(b, r.nextInt(b.length + 1));
            case 2 -> {
                b = java.util.Arrays.copyOf(b, b.length + 1 + r.nextInt(8));
                b[b.length - 1] = (byte) r.nextInt(256);
            }
            case 3 -> { // length prefixes claiming huge sizes
                b[4 + r.nextInt(Math.max(1, b.length - 4))] = (byte) (0x80 | r.nextInt(128));
            }
            default -> {
                for (int i = 0; i < 1 + r.nextInt(4); i++) {
                    b[r.nextInt(b.length)] ^= (byte) (1 << r.nextInt(8));
                }
            }
        }
        return b;
    }

    @Test
    void shouldOnlyEverAnswerItsOwnErrorForRandomAndMutatedFrames() {
        Random r = new Random(SEED);
        List<byte[]> seeds = seeds();
        int malformed = 0;
        for (int i = 0; i < ROUNDS; i++) {
            byte[] frame;
            if (i % 4 == 0) {
                frame = new byte[r.nextInt(64)];
                r.nextBytes(frame);
                if (frame.length > 1 && r.nextBoolean()) {
                    frame[0] = 1; // past the version check more often
                }
            } else {
                frame = mutate(seeds.get(r.nextInt(seeds.size())), r);
            }
            Inbound in = BinaryDecoder.decode(frame, 0, frame.length);
            assertThat(in).isNotNull();
            assertThat(in.type).isNotNull();
            if (in.type == Inbound.Type.MALFORMED) {
                malformed++;
                assertThat(in.error).isNotBlank();
            } else {
                assertThat(retainedBytes(in)).isLessThanOrEqualTo(4L * frame.length + 64);
            }
        }
        assertThat(malformed).as("the fuzzing reaches the error paths").isGreaterThan(ROUNDS / 4);
    }

    /** A rough upper bound of the bytes an Inbound holds: its byte arrays and strings. */
    private static long retainedBytes(Inbound in) {
        long n = 0;
        n += in.nonceSrc == null ? 0 : in.nonceLen;
        n += in.ciphertextSrc == null ? 0 : in.ciphertextLen;
        for (String s : new String[] {in.meshId, in.memberId, in.pubkey, in.sessionPubkey, in.displayName,
                in.targetSpec, in.id, in.clientMessageId, in.summary, in.name, in.signature}) {
            n += s == null ? 0 : s.length();
        }
        return n / 2; // hex keys and base64 are larger than their raw bytes
    }

    @Test
    void shouldOnlyThrowIllegalArgumentFromTheClientSideDecoder() {
        Random r = new Random(SEED + 1);
        List<byte[]> seeds = new ArrayList<>();
        Inbound send = EnvelopeDecoder.decode("{\"type\":\"send\",\"id\":\"c\"}".getBytes());
        seeds.add(BinaryFrames.ackQueued(send, "m"));
        seeds.add(BinaryFrames.ackFailed(send, "e"));
        seeds.add(BinaryFrames.error("bad_request", "x", send));
        seeds.add(BinaryFrames.multicastPush("m", "mesh", K, "now", "AAAA".getBytes(), "AAAA".getBytes(), 1L, "c",
                "f", K, "mem", "n", "s"));
        seeds.add(BinaryTranscoder.toBinary(Frames.helloAck("p", "a", "r", List.of(), "push", true)));
        int rejected = 0;
        for (int i = 0; i < ROUNDS / 4; i++) {
            byte[] frame = mutate(seeds.get(r.nextInt(seeds.size())), r);
            try {
                assertThat(BinaryClientCodec.decode(frame)).isNotNull();
            } catch (IllegalArgumentException e) {
                rejected++;
            }
        }
        assertThat(rejected).isPositive();
    }
}
