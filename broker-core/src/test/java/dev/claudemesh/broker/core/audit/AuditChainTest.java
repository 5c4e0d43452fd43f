package dev.claudemesh.broker.core.audit;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

class AuditChainTest {

    @Test
    void shouldSortKeysRecursivelyWithoutWhitespace() {
        Map<String, Object> inner = new LinkedHashMap<>();
        inner.put("z", 1);
        inner.put("a", "x");
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("pubkey", "ab");
        m.put("groups", List.of(inner));
        m.put("role", null);
        assertThat(AuditChain.canonicalJson(m)).isEqualTo("{\"groups\":[{\"a\":\"x\",\"z\":1}],\"pubkey\":\"ab\",\"role\":null}");
    }

    @Test
    void shouldHashTheDocumentedString() {
        // sha256("genesis|M|peer_left|null|{}|1970-01-01T00:00:00.000Z") computed independently with sha256sum
        String h = AuditChain.hash(AuditChain.GENESIS, "M", "peer_left", null, "{}", 0);
        assertThat(h).isEqualTo(AuditChain.sha256Hex(
                "genesis|M|peer_left|null|{}|1970-01-01T00:00:00.000Z".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        assertThat(h).isEqualTo("33b36d47e83369da834ebb055137edbbc33cf1bde110ab4bffadf8537b33ec17");
    }

    @Test
    void shouldFormatCreatedAtWithMillisAndZ() {
        assertThat(AuditChain.isoMillis(1_767_225_600_123L)).isEqualTo("2026-01-01T00:00:00.123Z");
    }

    @Test
    void shouldFormatMillisExactlyAsJavaTimeDoes() {
        DateTimeFormatter reference = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);
        SplittableRandom random = new SplittableRandom(42);
        long[] edges = {0L, 1L, 86_399_999L, 86_400_000L, 951_782_400_000L /* 2000-02-29 */, 4_107_542_400_000L,
            253_402_300_799_999L /* 9999-12-31T23:59:59.999Z */, 253_402_300_800_000L, -1L, -86_400_001L};
        for (long ms : edges) {
            assertThat(AuditChain.isoMillis(ms)).as("at %d", ms)
                    .isEqualTo(reference.format(Instant.ofEpochMilli(ms)));
        }
        for (int i = 0; i < 200_000; i++) {
            long ms = random.nextLong(0, 253_402_300_800_000L);
            assertThat(AuditChain.isoMillis(ms)).as("at %d", ms)
                    .isEqualTo(reference.format(Instant.ofEpochMilli(ms)));
        }
    }

    @Test
    void shouldWriteTheSameBytesIntoABufferOrRefuseOutsideFourDigitYears() {
        byte[] out = new byte[AuditChain.ISO_MILLIS_LENGTH + 3];
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < 10_000; i++) {
            long ms = random.nextLong(0, 253_402_300_800_000L);
            assertThat(AuditChain.isoMillisInto(ms, out, 3)).isTrue();
            assertThat(new String(out, 3, AuditChain.ISO_MILLIS_LENGTH, java.nio.charset.StandardCharsets.US_ASCII))
                    .as("at %d", ms).isEqualTo(AuditChain.isoMillis(ms));
        }
        byte[] untouched = out.clone();
        assertThat(AuditChain.isoMillisInto(-1L, out, 0)).isFalse();
        assertThat(AuditChain.isoMillisInto(253_402_300_800_000L, out, 0)).isFalse();
        assertThat(out).isEqualTo(untouched);
    }
}
