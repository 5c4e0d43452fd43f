package dev.claudemesh.broker.core.mesh;

import dev.claudemesh.broker.core.envelope.EnvelopeDecoder;
import dev.claudemesh.broker.core.envelope.Inbound;
import dev.claudemesh.broker.core.model.Member;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The stateless send rules: what is invalid (first failure wins), the counted size, grants, multicast targets. */
class SendPolicyTest {

    private static final String KEY = "a".repeat(64);

    private static Inbound decode(String json) {
        return EnvelopeDecoder.decode(json.getBytes(StandardCharsets.UTF_8));
    }

    private static String invalid(String fields) {
        return SendPolicy.invalid(decode("{\"type\":\"send\"" + fields + "}"));
    }

    @Test
    void shouldNameTheFirstInvalidField() {
        String ok = ",\"id\":\"c1\",\"targetSpec\":\"" + KEY + "\",\"nonce\":\"AA==\",\"ciphertext\":\"AQ==\"";
        assertThat(invalid(ok)).isNull();
        assertThat(invalid(ok.replace(",\"id\":\"c1\"", ""))).isEqualTo("missing id");
        assertThat(invalid(",\"id\":7,\"nonce\":\"AA==\",\"ciphertext\":\"AQ==\"")).isEqualTo("missing targetSpec");
        assertThat(invalid(ok.replace(KEY, KEY.toUpperCase())))
                .isEqualTo("targetSpec must be a 64-hex key, *, @all or @group");
        assertThat(invalid(ok.replace(KEY, "@" + "g".repeat(129))))
                .isEqualTo("targetSpec must be a 64-hex key, *, @all or @group");
        assertThat(invalid(ok.replace(KEY, "@" + "g".repeat(128)))).isNull();
        assertThat(invalid(ok + ",\"priority\":\"urgent\"")).isEqualTo("unknown priority");
        assertThat(invalid(ok + ",\"client_message_id\":5")).isEqualTo("client_message_id has the wrong type");
        assertThat(invalid(ok.replace(",\"nonce\":\"AA==\"", ""))).isEqualTo("missing nonce");
        assertThat(invalid(ok.replace(",\"ciphertext\":\"AQ==\"", ""))).isEqualTo("missing ciphertext");
        assertThat(invalid(ok.replace("AQ==", "A?Q="))).isEqualTo("ciphertext is not base64");
    }

    @Test
    void shouldCountNonceCiphertextAndTargetInUtf8Bytes() {
        Inbound in = decode("{\"type\":\"send\",\"id\":\"c\",\"targetSpec\":\"@é😀\",\"nonce\":\"AAAA\","
                + "\"ciphertext\":\"AQ==\"}");
        assertThat(SendPolicy.payloadBytes(in)).isEqualTo(4 + 4 + 1 + 2 + 4);
        assertThat(SendPolicy.utf8Length("\ud800x")).isEqualTo(4); // a lone surrogate counts as 3, like U+FFFD
    }

    @Test
    void shouldGrantDefaultsWithoutAnEntryAndOnlyTheListedOnesWithOne() {
        Member open = new Member("m", "mesh", "conf", KEY, "n", null, List.of(), Map.of(), "push", false);
        Member strict = new Member("m", "mesh", "conf", KEY, "n", null, List.of(),
                Map.of("b".repeat(64), List.of("read")), "push", false);
        assertThat(SendPolicy.granted(open, "b".repeat(64), "dm")).isTrue();
        assertThat(SendPolicy.granted(open, "b".repeat(64), "broadcast")).isTrue();
        assertThat(SendPolicy.granted(strict, "b".repeat(64), "dm")).isFalse();
        assertThat(SendPolicy.granted(strict, "c".repeat(64), "dm")).isTrue();
    }

    @Test
    void shouldTellMulticastTargets() {
        assertThat(SendPolicy.isMulticast("*")).isTrue();
        assertThat(SendPolicy.isMulticast("@all")).isTrue();
        assertThat(SendPolicy.isMulticast("@be")).isTrue();
        assertThat(SendPolicy.isMulticast(KEY)).isFalse();
    }
}
