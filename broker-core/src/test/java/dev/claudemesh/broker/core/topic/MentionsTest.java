package dev.claudemesh.broker.core.topic;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/** Mention tokens as PROTOCOL-MESH §8.8 defines them. */
class MentionsTest {

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void shouldPreferTheGivenMentionsNormalised() {
        assertThat(Mentions.tokens(List.of("@Bob", "alice", "BOB", "", "x".repeat(65)), b64("@carol"), true))
                .containsExactly("bob", "alice");
    }

    @Test
    void shouldScanTheDecodedBodyOnlyWithoutGivenMentions() {
        String body = b64("hi @Bob and @alice-2, mail me@example.com, (@carol) @bob again @");
        assertThat(Mentions.tokens(List.of(), body, true)).containsExactly("bob", "alice-2", "carol");
        assertThat(Mentions.tokens(null, body, false)).isEmpty();
        assertThat(Mentions.tokens(List.of(), "***not base64***", true)).isEmpty();
    }

    @Test
    void shouldKeepAtMostSixteenTokens() {
        String many = IntStream.range(0, 20).mapToObj(i -> "@u" + i).collect(Collectors.joining(" "));
        assertThat(Mentions.tokens(List.of(), b64(many), true)).hasSize(16).startsWith("u0", "u1");
        assertThat(Mentions.tokens(IntStream.range(0, 20).mapToObj(i -> "u" + i).toList(), null, true)).hasSize(16);
    }
}
