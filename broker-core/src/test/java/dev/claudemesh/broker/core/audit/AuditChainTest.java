package dev.claudemesh.broker.core.audit;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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
}
