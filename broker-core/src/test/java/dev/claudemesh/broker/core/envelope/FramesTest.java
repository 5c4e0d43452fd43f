package dev.claudemesh.broker.core.envelope;

import dev.claudemesh.broker.core.audit.AuditChain;
import dev.claudemesh.broker.core.model.StoredMessage;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class FramesTest {

    private static StoredMessage dm(long createdAtMs, String clientMessageId) {
        return new StoredMessage("m1", "mesh1", "mem1", "a".repeat(64), "b".repeat(64), "alice", "c".repeat(64), "now",
                "bm9uY2U=".getBytes(StandardCharsets.US_ASCII), "Y3Q=".getBytes(StandardCharsets.US_ASCII),
                clientMessageId, null, createdAtMs, createdAtMs + 1);
    }

    @Test
    void shouldEncodeADmPushWithItsCreationTimeInTheScratchWriterAsInACopy() {
        StoredMessage m = dm(1_767_225_600_123L, "c-1");
        String expected = "{\"type\":\"push\",\"messageId\":\"m1\",\"meshId\":\"mesh1\",\"senderPubkey\":\""
                + "b".repeat(64) + "\",\"priority\":\"now\",\"nonce\":\"bm9uY2U=\",\"ciphertext\":\"Y3Q=\","
                + "\"createdAt\":\"2026-01-01T00:00:00.123Z\",\"client_message_id\":\"c-1\",\"senderName\":\"alice\"}";

        JsonOut scratch = Frames.dmPushScratch(m);

        assertThat(new String(scratch.array(), 0, scratch.size(), StandardCharsets.UTF_8)).isEqualTo(expected);
        assertThat(new String(Frames.dmPush(m), StandardCharsets.UTF_8)).isEqualTo(expected);
    }

    @Test
    void shouldFormatACreationTimeBeyondFourDigitYearsAsJavaTimeDoes() {
        long year10000 = 253_402_300_800_000L;
        String json = new String(Frames.dmPush(dm(year10000, null)), StandardCharsets.UTF_8);

        assertThat(json).contains("\"createdAt\":\"" + AuditChain.isoMillis(year10000) + "\",")
                .contains("10000-01-01T00:00:00.000Z");
    }

    @Test
    void shouldEncodeTheQueuedAckFromTheSendsFieldsAsFromItsInbound() {
        Inbound in = new Inbound();
        in.hasId = true;
        in.idNumeric = true;
        in.id = "42";
        in.clientMessageId = "c-9";

        JsonOut fromInbound = Frames.ackQueuedScratch(in, "m9");
        String a = new String(fromInbound.array(), 0, fromInbound.size(), StandardCharsets.UTF_8);
        JsonOut fromFields = Frames.ackQueuedScratch(true, true, "42", "c-9", "m9");
        String b = new String(fromFields.array(), 0, fromFields.size(), StandardCharsets.UTF_8);

        assertThat(a).isEqualTo("{\"type\":\"ack\",\"id\":42,\"client_message_id\":\"c-9\",\"messageId\":\"m9\","
                + "\"queued\":true}");
        assertThat(b).isEqualTo(a);
    }
}
