package dev.claudemesh.broker.bench.loadgen;

import dev.claudemesh.broker.core.envelope.BinaryFrames;
import dev.claudemesh.broker.core.envelope.EnvelopeDecoder;
import dev.claudemesh.broker.core.envelope.Inbound;
import dev.claudemesh.broker.core.model.StoredMessage;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link ProtocolEdge}'s short path for the binary push and ack gives the run loop the same values the full conversion
 * does (message index, broker message id, queued, error); frames it cannot copy as they are take the full conversion.
 */
class ProtocolEdgeTest {

    private static final String SENDER = "ab".repeat(32);
    private static final String MESSAGE_ID = "AbCdEfGhIjKlMnOpQrStUvWxYz012345";

    private static StoredMessage dm(String clientMessageId) {
        return new StoredMessage(MESSAGE_ID, "mesh-1", "member-1", "cd".repeat(32), SENDER, "alice", "ef".repeat(32),
                "next", "bm9uY2Vub25jZW5vbmNlbm9uY2Vub25j".getBytes(StandardCharsets.US_ASCII),
                "Y2lwaGVydGV4dA==".getBytes(StandardCharsets.US_ASCII), clientMessageId, null, 1_764_000_000_000L,
                1_764_000_100_000L, null);
    }

    /** What the run loop reads from the frame the edge hands on. */
    private record Seen(String text, long index, long idHash, boolean queuedTrue) {
    }

    private static Seen through(byte[] binary, Wire wire) {
        EmbeddedChannel ch = new EmbeddedChannel(new ProtocolEdge());
        ch.writeInbound(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(binary)));
        TextWebSocketFrame f = ch.readInbound();
        try {
            ByteBuf b = f.content();
            String text = b.toString(StandardCharsets.UTF_8);
            if (Wire.startsWith(b, Wire.PUSH)) {
                int at = Wire.afterLast(b, Wire.CLIENT_MESSAGE_ID);
                return new Seen(text, wire.messageIndexAt(b, at), Wire.idHash(b, b.readerIndex() + Wire.PUSH.length),
                        false);
            }
            int at = b.readerIndex() + Wire.ACK.length;
            return new Seen(text, wire.messageIndexAt(b, at), Wire.idHash(b, Wire.after(b, Wire.MESSAGE_ID, at)),
                    Wire.after(b, Wire.QUEUED_TRUE, at) >= 0);
        } finally {
            f.release();
            ch.finishAndReleaseAll();
        }
    }

    private static ByteBuf fullJson(String text) {
        return Unpooled.copiedBuffer(text, StandardCharsets.UTF_8);
    }

    @Test
    void shouldGiveTheRunLoopAPushsIndexAndBrokerIdAsTheFullConversionDoes() {
        Wire wire = new Wire("run1", 16, 7);
        byte[] push = BinaryFrames.dmPush(dm("run1-42"));
        assertThat(ProtocolEdge.matcherJson(push, io.netty.buffer.UnpooledByteBufAllocator.DEFAULT)).isNotNull()
                .satisfies(ByteBuf::release);

        Seen quick = through(push, wire);

        assertThat(quick.text()).isEqualTo("{\"type\":\"push\",\"messageId\":\"" + MESSAGE_ID
                + "\",\"client_message_id\":\"run1-42\"}");
        assertThat(quick.index()).isEqualTo(42);
        byte[] multicast = BinaryFrames.multicastPush(MESSAGE_ID, "mesh-1", SENDER, "now",
                "bm9uY2U=".getBytes(StandardCharsets.US_ASCII), "Y2lw".getBytes(StandardCharsets.US_ASCII),
                1_764_000_000_000L, "run1-43", "fp", "cd".repeat(32), "member-1", "alice", "reminder");
        assertThat(ProtocolEdge.matcherJson(multicast, io.netty.buffer.UnpooledByteBufAllocator.DEFAULT)).isNotNull()
                .satisfies(ByteBuf::release);
        assertThat(through(multicast, wire).index()).isEqualTo(43);
        // the hash the run loop keeps is of the 32-char broker id, wherever the id sits
        ByteBuf json = fullJson("{\"type\":\"push\",\"messageId\":\"" + MESSAGE_ID + "\"}");
        try {
            assertThat(quick.idHash()).isEqualTo(Wire.idHash(json, Wire.PUSH.length));
        } finally {
            json.release();
        }
    }

    @Test
    void shouldGiveTheRunLoopAnAcksIdQueuedAndBrokerId() {
        Wire wire = new Wire("run1", 16, 7);
        Inbound send = EnvelopeDecoder.decode(("{\"type\":\"send\",\"id\":\"run1-7\",\"client_message_id\":\"run1-7\"}")
                .getBytes(StandardCharsets.UTF_8));

        Seen ok = through(BinaryFrames.ackQueued(send, MESSAGE_ID), wire);
        assertThat(ok.text()).isEqualTo("{\"type\":\"ack\",\"id\":\"run1-7\",\"messageId\":\"" + MESSAGE_ID
                + "\",\"queued\":true}");
        assertThat(ok.index()).isEqualTo(7);
        assertThat(ok.queuedTrue()).isTrue();

        Seen refused = through(BinaryFrames.ackFailed(send, "no peer with that key is connected"), wire);
        assertThat(refused.text()).isEqualTo("{\"type\":\"ack\",\"id\":\"run1-7\",\"messageId\":\"\",\"queued\":false,"
                + "\"error\":\"no peer with that key is connected\"}");
        assertThat(refused.index()).isEqualTo(7);
        assertThat(refused.queuedTrue()).isFalse();
    }

    @Test
    void shouldTakeTheFullConversionForValuesThatNeedEscapingAndForOtherFrames() {
        Wire wire = new Wire("run1", 16, 7);
        byte[] quoted = BinaryFrames.dmPush(dm("run1-\"9"));
        assertThat(ProtocolEdge.matcherJson(quoted, io.netty.buffer.UnpooledByteBufAllocator.DEFAULT)).isNull();
        assertThat(through(quoted, wire).text()).contains("\"meshId\":\"mesh-1\"", "\"senderName\":\"alice\"",
                "\"client_message_id\":\"run1-\\\"9\"");

        byte[] noClientId = BinaryFrames.dmPush(dm(null));
        assertThat(ProtocolEdge.matcherJson(noClientId, io.netty.buffer.UnpooledByteBufAllocator.DEFAULT)).isNull();

        byte[] push = BinaryFrames.dmPush(dm("run1-42"));
        byte[] cut = java.util.Arrays.copyOf(push, push.length - 3);
        assertThat(ProtocolEdge.matcherJson(cut, io.netty.buffer.UnpooledByteBufAllocator.DEFAULT)).isNull();
        assertThat(through(cut, wire).text()).startsWith("{\"type\":\"error\",\"code\":\"loadgen\"");
        // cut anywhere (inside the ciphertext, the id, just before the last byte): never the short path
        for (int at : new int[] {20, 60, push.length - 1}) {
            assertThat(ProtocolEdge.matcherJson(java.util.Arrays.copyOf(push, at),
                    io.netty.buffer.UnpooledByteBufAllocator.DEFAULT)).as("push cut at %d", at).isNull();
        }
        Inbound send = EnvelopeDecoder.decode("{\"type\":\"send\",\"id\":\"run1-7\"}"
                .getBytes(StandardCharsets.UTF_8));
        byte[] ack = BinaryFrames.ackQueued(send, MESSAGE_ID);
        for (int at = 4; at < ack.length; at++) {
            assertThat(ProtocolEdge.matcherJson(java.util.Arrays.copyOf(ack, at),
                    io.netty.buffer.UnpooledByteBufAllocator.DEFAULT)).as("ack cut at %d", at).isNull();
        }
    }
}
