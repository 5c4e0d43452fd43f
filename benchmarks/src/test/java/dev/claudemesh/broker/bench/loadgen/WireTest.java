package dev.claudemesh.broker.bench.loadgen;

import dev.claudemesh.broker.core.envelope.EnvelopeDecoder;
import dev.claudemesh.broker.core.envelope.Inbound;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class WireTest {

    private static final String TARGET = "a".repeat(64);

    private static byte[] bytes(ByteBuf b) {
        byte[] out = new byte[b.readableBytes()];
        b.getBytes(b.readerIndex(), out);
        b.release();
        return out;
    }

    @Test
    void shouldBuildASendFrameTheBrokerDecodes() {
        Wire wire = new Wire("run1", 256, 7);
        byte[] frame = bytes(wire.send(ByteBufAllocator.DEFAULT, 1234, Wire.ascii(TARGET), -1));

        Inbound in = EnvelopeDecoder.decode(frame);
        assertThat(in.type).isEqualTo(Inbound.Type.SEND);
        assertThat(in.id).isEqualTo("run1-1234");
        assertThat(in.clientMessageId).isEqualTo("run1-1234");
        assertThat(in.targetSpec).isEqualTo(TARGET);
        assertThat(in.badBase64Field).isNull();
        assertThat(in.ciphertextBytes()).hasSize(344);
        assertThat(in.nonceBytes()).hasSize(32);
    }

    @Test
    void shouldFindTheMessageIndexOfAPushFromTheEnd() {
        Wire wire = new Wire("run1", 16, 7);
        String push = "{\"type\":\"push\",\"messageId\":\"AbCdEfGhIjKlMnOpQrStUvWxYz012345\",\"meshId\":\"m\","
                + "\"nonce\":\"bm9uY2U=\",\"ciphertext\":\"Y2xpZW50X21lc3NhZ2VfaWQ=\",\"client_message_id\":\"run1-42\","
                + "\"senderName\":\"alice\"}";
        ByteBuf b = Unpooled.copiedBuffer(push, StandardCharsets.US_ASCII);
        try {
            assertThat(Wire.startsWith(b, Wire.PUSH)).isTrue();
            int at = Wire.afterLast(b, Wire.CLIENT_MESSAGE_ID);
            assertThat(wire.messageIndexAt(b, at)).isEqualTo(42);
            assertThat(new Wire("run2", 16, 7).messageIndexAt(b, at)).as("another run's id").isEqualTo(-1);
            assertThat(Wire.idHash(b, Wire.PUSH.length)).isNotZero();
        } finally {
            b.release();
        }
    }

    @Test
    void shouldPrefixRelayFramesWithTheTarget() {
        Wire wire = new Wire("r", 8, 1);
        String frame = new String(bytes(wire.send(ByteBufAllocator.DEFAULT, 5, Wire.ascii("17"), 17)),
                StandardCharsets.US_ASCII);
        assertThat(frame).startsWith("{\"to\":17,\"type\":\"send\"").endsWith("\"client_message_id\":\"r-5\"}");
    }

    @Test
    void shouldParseDurationsAndRejectBadOptions() {
        assertThat(Options.durationMs("--d", "500ms")).isEqualTo(500);
        assertThat(Options.durationMs("--d", "30s")).isEqualTo(30_000);
        assertThat(Options.durationMs("--d", "2m")).isEqualTo(120_000);
        assertThat(Options.durationMs("--d", "5")).isEqualTo(5_000);
        Options o = Options.parse("--url", "ws://127.0.0.1:7900/ws", "--fixture", "f.json", "--scenario", "idle",
                "--peers", "250");
        assertThat(o.meshes()).as("one mesh per 100 peers").isEqualTo(3);
        assertThat(o.metricsUrl().toString()).isEqualTo("http://127.0.0.1:7900/metrics");
        assertThatThrownBy(() -> Options.parse("--url", "ws://h:1/ws", "--scenario", "dm", "--peers", "10"))
                .hasMessageContaining("--admin-url");
        assertThatThrownBy(() -> Options.parse("--url", "ws://h:1/ws", "--fixture", "f", "--scenario", "nope",
                "--peers", "10")).hasMessageContaining("--scenario");
    }
}
