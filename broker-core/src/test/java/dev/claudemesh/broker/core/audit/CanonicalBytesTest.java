package dev.claudemesh.broker.core.audit;

import dev.claudemesh.broker.core.model.GroupRole;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The writer thread hashes and stores an event's canonical JSON as the UTF-8 bytes {@link AuditEvent#writeCanonical}
 * writes into one reused {@link CanonicalJson}: they must be exactly the bytes of the text hashed before
 * ({@link AuditChain#canonicalJson} of the event's map, {@code getBytes(UTF_8)}), for every event type, with
 * non-ASCII text, escapes and lone surrogates; and {@link AuditHasher} must give {@link AuditChain#hash}.
 */
class CanonicalBytesTest {

    /** Quote, backslash, controls, Latin-1, CJK, a surrogate pair, a lone high and a lone low surrogate. */
    private static final String NASTY = "a\"b\\c\n\r\t\b\f\u0000\u001f\u007f\u00e9\u00ff\u0100\u4e2d\ud83d\ude00"
            + "\ud800x\udc00";
    private static final String N2 = NASTY + "2";
    private static final String N3 = "\u00e9" + NASTY;

    private static Map<String, Object> map(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    /** Every event type with hostile strings, and the map the broker built before typed events. */
    private static Map<AuditEvent, Map<String, Object>> cases() {
        Map<AuditEvent, Map<String, Object>> c = new LinkedHashMap<>();
        c.put(new AuditEvent.PeerJoined(NASTY, List.of(new GroupRole(N2, N3), new GroupRole(N3, null)), N2, N3, true),
                map("groups", List.of(map("name", N2, "role", N3), map("name", N3)), "pubkey", NASTY,
                        "restored", true, "role", N2, "session_pubkey", N3, "via", "session_hello"));
        c.put(AuditEvent.PeerLeft.INSTANCE, map());
        c.put(new AuditEvent.MessageSent(NASTY, N2), map("priority", N2, "targetSpec", NASTY));
        c.put(new AuditEvent.HelloRejected(NASTY), map("reason", NASTY));
        c.put(new AuditEvent.MemberKicked(NASTY, N2), map("pubkey", NASTY, "reason", N2));
        c.put(new AuditEvent.MemberBanned(NASTY, N2, N3), map("target", NASTY, "targetPubkey", N2, "via", N3));
        c.put(new AuditEvent.MemberUnbanned(NASTY, N2, N3), map("target", NASTY, "targetPubkey", N2, "via", N3));
        c.put(new AuditEvent.MemberRoleChanged(NASTY, N2, N3), map("pubkey", NASTY, "role", N2, "via", N3));
        c.put(new AuditEvent.ScheduleCreated(NASTY, N2, N3), map("cron", N3, "scheduledId", NASTY, "targetSpec", N2));
        c.put(new AuditEvent.ScheduleCancelled(NASTY), map("scheduledId", NASTY));
        c.put(new AuditEvent.ScheduleDropped(NASTY, N2), map("reason", N2, "scheduledId", NASTY));
        c.put(new AuditEvent.TopicCreated(NASTY, N2), map("topicId", NASTY, "visibility", N2));
        c.put(new AuditEvent.TopicJoined(NASTY, N2, N3), map("memberId", NASTY, "role", N2, "topicId", N3));
        c.put(new AuditEvent.TopicLeft(NASTY, N2), map("memberId", NASTY, "topicId", N2));
        c.put(new AuditEvent.ApiKeyCreated(List.of(NASTY, N2), N3), map("capabilities", List.of(NASTY, N2),
                "keyId", N3));
        c.put(new AuditEvent.ApiKeyRevoked(NASTY), map("keyId", NASTY));
        c.put(new AuditEvent.SkillShared(NASTY), map("name", NASTY));
        c.put(new AuditEvent.SkillRemoved(NASTY), map("name", NASTY));
        c.put(new AuditEvent.StreamCreated(NASTY), map("name", NASTY));
        c.put(new AuditEvent.StateSet(NASTY), map("key", NASTY));
        c.put(new AuditEvent.Canonical("member_joined", "{\"n\":\"" + "\u00e9\u4e2d\ud83d\ude00" + "\"}"),
                map("n", "\u00e9\u4e2d\ud83d\ude00"));
        return c;
    }

    @Test
    void shouldCoverEveryEventType() {
        Set<Class<?>> covered = new HashSet<>();
        cases().keySet().forEach(e -> covered.add(e.getClass()));
        assertThat(covered).containsExactlyInAnyOrder(AuditEvent.class.getPermittedSubclasses());
    }

    @Test
    void shouldWriteTheBytesOfTheTextHashedBeforeFromOneReusedWriter() {
        CanonicalJson out = CanonicalJson.writer();
        for (Map.Entry<AuditEvent, Map<String, Object>> e : cases().entrySet()) {
            String before = AuditChain.canonicalJson(e.getValue());

            e.getKey().writeCanonical(out.reset());

            byte[] written = Arrays.copyOf(out.bytes(), out.length());
            assertThat(written).as(e.getKey().type()).isEqualTo(before.getBytes(StandardCharsets.UTF_8));
            assertThat(e.getKey().canonicalPayload()).as(e.getKey().type()).isEqualTo(before);
        }
    }

    @Test
    void shouldEscapeAsJsonStringifyDoes() {
        assertThat(new AuditEvent.HelloRejected(NASTY).canonicalPayload()).isEqualTo("{\"reason\":\""
                + "a\\\"b\\\\c\\n\\r\\t\\b\\f\\u0000\\u001f\u007f\u00e9\u00ff\u0100\u4e2d\ud83d\ude00\\ud800x\\udc00\"}");
    }

    @Test
    void shouldHashTheBytesAsAuditChainHashesTheText() {
        AuditHasher hasher = new AuditHasher();
        CanonicalJson out = CanonicalJson.writer();
        String prev = AuditChain.GENESIS;
        long[] times = {0, 1_764_000_000_123L, -5, 253_402_300_800_000L}; // the last two outside the fast path
        int i = 0;
        for (AuditEvent event : cases().keySet()) {
            String actor = i % 3 == 0 ? null : N2;
            long at = times[i % times.length];
            event.writeCanonical(out.reset());

            String hash = hasher.hash(prev, "m\u00e9sh", event.type(), actor, out.bytes(), out.length(), at);

            assertThat(hash).as(event.type())
                    .isEqualTo(AuditChain.hash(prev, "m\u00e9sh", event.type(), actor, event.canonicalPayload(), at));
            prev = hash;
            i++;
        }
        // the documented hash of AuditChainTest
        AuditEvent.PeerLeft.INSTANCE.writeCanonical(out.reset());
        assertThat(hasher.hash(AuditChain.GENESIS, "M", "peer_left", null, out.bytes(), out.length(), 0))
                .isEqualTo("33b36d47e83369da834ebb055137edbbc33cf1bde110ab4bffadf8537b33ec17");
    }
}
