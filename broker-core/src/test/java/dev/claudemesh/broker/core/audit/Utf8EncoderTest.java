package dev.claudemesh.broker.core.audit;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class Utf8EncoderTest {

    private final Utf8Encoder encoder = new Utf8Encoder();

    @Test
    void shouldWriteTheBytesOfGetBytesUtf8AtTheGivenOffset() {
        byte[] dst = new byte[4_000];
        for (String s : List.of("", "M0000000000000000000000000000001", "\u0000\u007f", "\u00e9\u00ff\u0100",
                "\u4e2d\u6587", "\ud83d\ude80!", "x".repeat(512), "\u4e2d".repeat(512))) {
            byte[] expected = s.getBytes(StandardCharsets.UTF_8);

            int n = encoder.encode(s, dst, 7);

            assertThat(n).as(s).isEqualTo(expected.length);
            assertThat(Arrays.copyOfRange(dst, 7, 7 + n)).as(s).isEqualTo(expected);
        }
    }

    @Test
    void shouldLeaveLoneSurrogatesAndLongStringsToGetBytes() {
        byte[] dst = new byte[4_000];
        assertThat(encoder.encode("a\ud800b", dst, 0)).isEqualTo(-1);
        assertThat(encoder.encode("\udc00", dst, 0)).isEqualTo(-1);
        assertThat(encoder.encode("end\ud83d", dst, 0)).isEqualTo(-1);
        assertThat(encoder.encode("x".repeat(513), dst, 0)).isEqualTo(-1);
        assertThat(encoder.encode("ok", dst, 0)).as("usable after a refusal").isEqualTo(2);
        byte[] other = new byte[8];
        assertThat(encoder.encode("\u00e9\u00e9", other, 4)).as("another array").isEqualTo(4);
        assertThat(Arrays.copyOfRange(other, 4, 8)).isEqualTo("\u00e9\u00e9".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void shouldHashLongAndNonAsciiPartsAsAuditChainDoes() {
        AuditHasher hasher = new AuditHasher();
        String mesh = "m".repeat(600) + "\u00e9";
        String actor = "\u4e2d\ud800";
        byte[] payload = "{\"a\":\"\u00e9\"}".getBytes(StandardCharsets.UTF_8);
        assertThat(hasher.hash(AuditChain.GENESIS, mesh, "t", actor, payload, payload.length, 5))
                .isEqualTo(AuditChain.hash(AuditChain.GENESIS, mesh, "t", actor, "{\"a\":\"\u00e9\"}", 5));
    }
}
