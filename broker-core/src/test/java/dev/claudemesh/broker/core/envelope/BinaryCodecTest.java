package dev.claudemesh.broker.core.envelope;

import dev.claudemesh.broker.core.model.GroupRole;
import dev.claudemesh.broker.core.model.StoredMessage;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Round trips of every message type of the binary subprotocol against the JSON protocol's forms. */
class BinaryCodecTest {

    private static final String K1 = "0123456789abcdef".repeat(4);
    private static final String K2 = "fedcba9876543210".repeat(4);
    private static final String SIG = "ab".repeat(64);

    /** The client frame through binary decodes to the same Inbound as its JSON form. */
    private static Inbound viaBinary(String json) {
        byte[] bin = BinaryClientCodec.encode(json);
        assertThat(bin[0]).isEqualTo((byte) 1);
        assertThat(bin[1]).as("compact form, not 0x7F").isNotEqualTo((byte) BinaryWire.JSON);
        Inbound b = BinaryDecoder.decode(bin);
        Inbound j = EnvelopeDecoder.decode(json.getBytes(StandardCharsets.UTF_8));
        // nonce and ciphertext compare as text (the JSON path may point into its frame)
        assertThat(b).usingRecursiveComparison().ignoringFields("frame", "body", "nonceSrc", "nonceOff", "nonceLen",
                "ciphertextSrc", "ciphertextOff", "ciphertextLen").isEqualTo(j);
        assertThat(b.nonceBytes()).isEqualTo(j.nonceBytes());
        assertThat(b.ciphertextBytes()).isEqualTo(j.ciphertextBytes());
        return b;
    }

    @Test
    void shouldRoundTripEveryClientType() {
        viaBinary("{\"type\":\"hello\",\"meshId\":\"m1\",\"memberId\":\"mem1\",\"pubkey\":\"" + K1
                + "\",\"sessionPubkey\":\"" + K2 + "\",\"displayName\":\"alice é\",\"sessionId\":\"d-42\",\"pid\":42,"
                + "\"cwd\":\"/w\",\"hostname\":\"h\",\"peerType\":\"ai\",\"channel\":\"c\",\"model\":\"opus\","
                + "\"groups\":[{\"name\":\"be\",\"role\":\"lead\"},{\"name\":\"fe\"}],\"timestamp\":1717459200000,"
                + "\"signature\":\"" + SIG + "\"}");
        viaBinary("{\"type\":\"hello\",\"meshId\":\"m1\",\"memberId\":\"mem1\",\"pubkey\":\"" + K1
                + "\",\"timestamp\":1,\"signature\":\"" + SIG + "\"}");
        viaBinary("{\"type\":\"session_hello\",\"meshId\":\"m\",\"parentMemberId\":\"p\",\"parentMemberPubkey\":\""
                + K1 + "\",\"sessionPubkey\":\"" + K2 + "\",\"parentAttestation\":{\"sessionPubkey\":\"" + K2
                + "\",\"parentMemberPubkey\":\"" + K1 + "\",\"expiresAt\":1717502400000,\"signature\":\"" + SIG
                + "\"},\"displayName\":\"a\",\"sessionId\":\"u\",\"pid\":5150,\"cwd\":\"/w\",\"groups\":[],"
                + "\"role\":\"dev\",\"timestamp\":1717459200000,\"signature\":\"" + SIG + "\"}");
        Inbound send = viaBinary("{\"type\":\"send\",\"id\":\"c1\",\"client_message_id\":\"c1\","
                + "\"request_fingerprint\":\"ff\",\"targetSpec\":\"" + K2 + "\",\"priority\":\"now\","
                + "\"nonce\":\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYX\",\"ciphertext\":\"aGVsbG8=\"}");
        assertThat(new String(send.nonceBytes(), StandardCharsets.US_ASCII))
                .isEqualTo("AAECAwQFBgcICQoLDA0ODxAREhMUFRYX");
        viaBinary("{\"type\":\"send\",\"id\":\"c2\",\"targetSpec\":\"@be\",\"nonce\":\"\",\"ciphertext\":\"YQ==\"}");
        viaBinary("{\"type\":\"client_ack\",\"clientMessageId\":\"c1\",\"brokerMessageId\":\"b1\"}");
        viaBinary("{\"type\":\"list_peers\",\"_reqId\":\"r1\"}");
        viaBinary("{\"type\":\"set_status\",\"status\":\"dnd\"}");
        viaBinary("{\"type\":\"set_summary\",\"summary\":\"busy ✓\"}");
        viaBinary("{\"type\":\"set_summary\",\"summary\":null}");
        viaBinary("{\"type\":\"join_group\",\"name\":\"be\",\"role\":\"lead\"}");
        viaBinary("{\"type\":\"leave_group\",\"name\":\"be\"}");
    }

    @Test
    void shouldCarryOtherTypesAsJsonFrames() {
        String json = "{\"type\":\"get_state\",\"key\":\"k\",\"_reqId\":7}";
        byte[] bin = BinaryClientCodec.encode(json);
        assertThat(bin[1]).isEqualTo((byte) BinaryWire.JSON);
        Inbound in = BinaryDecoder.decode(bin);
        assertThat(in.type).isEqualTo(Inbound.Type.UNKNOWN);
        assertThat(in.rawType).isEqualTo("get_state");
        assertThat(in.body().string("key")).isEqualTo("k");
    }

    @Test
    void shouldKeepTopicSendBodiesReadable() {
        byte[] bin = BinaryClientCodec.encode("{\"type\":\"send\",\"id\":\"c1\",\"targetSpec\":\"#t1\","
                + "\"nonce\":\"AA==\",\"ciphertext\":\"AQ==\"}");
        Inbound in = BinaryDecoder.decode(bin);
        assertThat(in.body().string("targetSpec")).isEqualTo("#t1");
        assertThat(in.body().string("ciphertext")).isEqualTo("AQ==");
    }

    @Test
    void shouldMapUnknownCodesToTheProtocolsAnswers() {
        byte[] bin = BinaryClientCodec.encode("{\"type\":\"set_status\",\"status\":\"idle\"}");
        bin[4] = 9;
        assertThat(BinaryDecoder.decode(bin).status).isEqualTo("9");
    }

    /** JSON → binary → JSON gives the JSON tree back (nulls dropped, ids as strings). */
    private static void brokerRoundTrip(byte[] json, int expectedType) {
        byte[] bin = BinaryTranscoder.toBinary(json);
        assertThat(bin[1] & 0xFF).isEqualTo(expectedType);
        assertThat(withoutNulls(BinaryClientCodec.decode(bin)))
                .isEqualTo(withoutNulls(JsonTree.parseObject(json, 0, json.length)));
    }

    private static JsonNode withoutNulls(JsonNode n) {
        if (n instanceof JsonNode.ObjectNode o) {
            Map<String, JsonNode> m = new LinkedHashMap<>();
            o.fields().forEach((k, v) -> {
                if (!(v instanceof JsonNode.NullNode) && !(k.equals("id") && !(v instanceof JsonNode.StringNode))) {
                    m.put(k, withoutNulls(v));
                }
            });
            return new JsonNode.ObjectNode(m);
        }
        if (n instanceof JsonNode.ArrayNode a) {
            return new JsonNode.ArrayNode(a.items().stream().map(BinaryCodecTest::withoutNulls).toList());
        }
        return n;
    }

    private static StoredMessage dm(String subtype) {
        return new StoredMessage("msg1", "mesh1", "mem1", K1, K2, "alice", K1, "low",
                "AAECAwQFBgcICQoLDA0ODxAREhMUFRYX".getBytes(StandardCharsets.US_ASCII),
                "aGVsbG8gd29ybGQ=".getBytes(StandardCharsets.US_ASCII), "c1", "fp", 1717459200123L, 0L, subtype);
    }

    @Test
    void shouldRoundTripEveryBrokerType() {
        Inbound send = EnvelopeDecoder.decode("{\"type\":\"send\",\"id\":\"c1\",\"client_message_id\":\"c1\"}"
                .getBytes(StandardCharsets.UTF_8));
        brokerRoundTrip(Frames.ackQueued(send, "m1"), BinaryWire.ACK);
        brokerRoundTrip(Frames.ackFailed(send, "invalid: missing id"), BinaryWire.ACK);
        brokerRoundTrip(Frames.dmPush(dm(null)), BinaryWire.PUSH);
        brokerRoundTrip(Frames.dmPush(dm("reminder")), BinaryWire.PUSH);
        brokerRoundTrip(Frames.multicastPush("m", "mesh", K2, "now", "AA==".getBytes(), "".getBytes(), 5L, null,
                null, K1, "mem1", "alice"), BinaryWire.PUSH);
        brokerRoundTrip(Frames.systemEvent("m", "mesh", "peer_joined",
                o -> o.beginObject().field("name", "a").field("pubkey", K1).endObject(), 7L), BinaryWire.SYSTEM);
        brokerRoundTrip(Frames.error("bad_request", "nope", null), BinaryWire.ERROR);
        Inbound withReq = EnvelopeDecoder.decode("{\"type\":\"x\",\"_reqId\":\"r9\"}".getBytes(StandardCharsets.UTF_8));
        brokerRoundTrip(Frames.error("unknown_message_type", "x", withReq), BinaryWire.ERROR);
        brokerRoundTrip(Frames.helloAck("p1", "alice", null, List.of(new GroupRole("be", "lead")), "push", true),
                BinaryWire.HELLO_ACK);
        brokerRoundTrip(Frames.beginHelloAck("p1", "alice", "r", List.of(), "push", true).name("services")
                .beginArray().endArray().endObject().toBytes(), BinaryWire.HELLO_ACK);
        brokerRoundTrip(Frames.helloAck("p1", "alice", null, null, null, false), BinaryWire.HELLO_ACK);
        JsonOut peers = Frames.beginReply("peers_list").name("peers").beginArray().beginObject()
                .field("pubkey", K1).field("memberPubkey", K2).field("displayName", "a").field("status", "idle")
                .name("summary").nullValue().name("groups").beginArray().endArray().field("sessionId", "s")
                .field("connectedAt", "2026-01-01T00:00:00.000Z").field("cwd", "/w").field("peerRole", "session")
                .name("stats").beginObject().field("messagesIn", 3).endObject().endObject().endArray();
        brokerRoundTrip(Frames.endReply(peers, withReq), BinaryWire.PEERS_LIST);
    }

    @Test
    void shouldEncodeHotFramesExactlyAsTheTranscoderDoes() {
        Inbound send = EnvelopeDecoder.decode("{\"type\":\"send\",\"id\":\"c1\"}".getBytes(StandardCharsets.UTF_8));
        assertThat(BinaryFrames.ackQueued(send, "m1")).isEqualTo(BinaryTranscoder.toBinary(Frames.ackQueued(send, "m1")));
        assertThat(BinaryFrames.dmPush(dm(null))).isEqualTo(BinaryTranscoder.toBinary(Frames.dmPush(dm(null))));
        byte[] push = BinaryFrames.dmPush(dm(null));
        assertThat(push.length).isLessThan(Frames.dmPush(dm(null)).length / 2);
        // the scratch writers of the hot path: the same bytes, whatever the thread's writer held before
        BinaryWriter w = BinaryFrames.dmPushScratch(dm(null));
        assertThat(Arrays.copyOf(w.array(), w.size())).isEqualTo(push);
        Inbound both = EnvelopeDecoder.decode(("{\"type\":\"send\",\"id\":\"c1\",\"client_message_id\":\"c1\"}")
                .getBytes(StandardCharsets.UTF_8));
        w = BinaryFrames.ackQueuedScratch(false, null, null, "m1");
        assertThat(Arrays.copyOf(w.array(), w.size())).isEqualTo(BinaryFrames.ackQueued(new Inbound(), "m1"));
        w = BinaryFrames.ackQueuedScratch(true, "c1", "c1", "m2");
        assertThat(Arrays.copyOf(w.array(), w.size())).isEqualTo(BinaryFrames.ackQueued(both, "m2"))
                .isEqualTo(BinaryTranscoder.toBinary(Frames.ackQueued(both, "m2")));
    }

    @Test
    void shouldWrapFramesWithoutAnExactBinaryForm() {
        StoredMessage odd = new StoredMessage("m", "mesh", "mem", "k", "not-a-key", "a", "t", "next",
                "AA==".getBytes(), "AA==".getBytes(), null, null, 1L, 2L, null);
        byte[] bin = BinaryFrames.dmPush(odd);
        assertThat(bin[1]).isEqualTo((byte) BinaryWire.JSON);
        assertThat(BinaryClientCodec.decode(bin).string("senderPubkey")).isEqualTo("not-a-key");
        byte[] other = "{\"type\":\"state_result\",\"key\":\"k\",\"value\":1}".getBytes(StandardCharsets.UTF_8);
        assertThat(BinaryClientCodec.decode(BinaryTranscoder.toBinary(other)))
                .isEqualTo(JsonTree.parseObject(other, 0, other.length));
    }

    @Test
    void shouldAnswerMalformedFramesWithTheirOwnError() {
        assertThat(BinaryDecoder.decode(new byte[0]).error).isEqualTo("binary: truncated header");
        assertThat(BinaryDecoder.decode(new byte[] {2, 3, 0, 0}).error).isEqualTo("binary: unsupported version 2");
        assertThat(BinaryDecoder.decode(new byte[] {1, 0x2a, 0, 0}).error).isEqualTo("binary: unknown type 0x2a");
        assertThat(BinaryDecoder.decode(new byte[] {1, 5, 0, 1}).error).startsWith("binary: undefined flag bits");
        assertThat(BinaryDecoder.decode(new byte[] {1, 5, 0, 0, 9}).error).isEqualTo("binary: 1 bytes after the last field");
        Inbound req = BinaryDecoder.decode(new byte[] {1, 9, (byte) 0x80, 0, 2, 'r', '1', 5, 'a'});
        assertThat(req.type).isEqualTo(Inbound.Type.MALFORMED);
        assertThat(req.reqId).isEqualTo("r1");
        assertThat(BinaryDecoder.decode(new byte[] {1, 9, 0, 0, 2, (byte) 0xC0, (byte) 0x80}).error)
                .isEqualTo("binary: invalid UTF-8 in name");
        assertThat(BinaryDecoder.decode(new byte[] {1, 9, 0, 0, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 1})
                .error).isEqualTo("binary: length of name longer than 4 bytes");
    }
}
