package dev.claudemesh.broker.core.audit;

import dev.claudemesh.broker.core.model.GroupRole;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Each typed event writes exactly the canonical text that the map payloads of before wrote (so no stored hash
 * changes): compared with {@link AuditChain#canonicalJson} of the map the broker used to build, for any strings.
 */
class AuditEventTest {

    private static Map<String, Object> peerJoinedMap(String pubkey, List<GroupRole> groups, String role,
                                                     String sessionPubkey) {
        // exactly how MeshState built the payload before typed events
        List<Object> gs = new ArrayList<>();
        for (GroupRole g : groups) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", g.name());
            if (g.role() != null) {
                m.put("role", g.role());
            }
            gs.add(m);
        }
        Map<String, Object> audit = new LinkedHashMap<>();
        audit.put("pubkey", pubkey);
        audit.put("groups", gs);
        audit.put("role", role);
        if (sessionPubkey != null) {
            audit.put("session_pubkey", sessionPubkey);
            audit.put("via", "session_hello");
        }
        return audit;
    }

    @Property(tries = 300)
    void peerJoinedShouldMatchTheMapPayload(@ForAll String pubkey, @ForAll String g1, @ForAll String r1,
                                            @ForAll String g2, @ForAll boolean withRole, @ForAll boolean session,
                                            @ForAll String sessionPubkey) {
        List<GroupRole> groups = List.of(new GroupRole(g1, r1), new GroupRole(g2, null));
        String role = withRole ? r1 : null;
        String skey = session ? sessionPubkey : null;
        assertThat(new AuditEvent.PeerJoined(pubkey, groups, role, skey).canonicalPayload())
                .isEqualTo(AuditChain.canonicalJson(peerJoinedMap(pubkey, groups, role, skey)));
    }

    @Property(tries = 300)
    void peerJoinedWithRestoredShouldMatchTheMapPayload(@ForAll String pubkey, @ForAll String g1,
                                                        @ForAll boolean withRole, @ForAll String role,
                                                        @ForAll boolean restored) {
        List<GroupRole> groups = List.of(new GroupRole(g1, null));
        String r = withRole ? role : null;
        Map<String, Object> expected = peerJoinedMap(pubkey, groups, r, null);
        expected.put("restored", restored);
        assertThat(new AuditEvent.PeerJoined(pubkey, groups, r, null, restored).canonicalPayload())
                .isEqualTo(AuditChain.canonicalJson(expected));
    }

    @Property(tries = 300)
    void messageSentShouldMatchTheMapPayload(@ForAll String target, @ForAll String priority) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("targetSpec", target);
        p.put("priority", priority);
        assertThat(new AuditEvent.MessageSent(target, priority).canonicalPayload())
                .isEqualTo(AuditChain.canonicalJson(p));
    }

    @Property(tries = 300)
    void helloRejectedShouldMatchTheMapPayload(@ForAll String reason) {
        assertThat(new AuditEvent.HelloRejected(reason).canonicalPayload())
                .isEqualTo(AuditChain.canonicalJson(Map.of("reason", reason)));
    }

    @Property(tries = 300)
    void scheduleEventsShouldMatchTheMapPayload(@ForAll String id, @ForAll String target, @ForAll String cron,
                                                @ForAll boolean recurring, @ForAll String reason) {
        Map<String, Object> created = new LinkedHashMap<>();
        created.put("scheduledId", id);
        created.put("targetSpec", target);
        if (recurring) {
            created.put("cron", cron);
        }
        assertThat(new AuditEvent.ScheduleCreated(id, target, recurring ? cron : null).canonicalPayload())
                .isEqualTo(AuditChain.canonicalJson(created));
        assertThat(new AuditEvent.ScheduleCancelled(id).canonicalPayload())
                .isEqualTo(AuditChain.canonicalJson(Map.of("scheduledId", id)));
        assertThat(new AuditEvent.ScheduleDropped(id, reason).canonicalPayload())
                .isEqualTo(AuditChain.canonicalJson(Map.of("scheduledId", id, "reason", reason)));
    }

    @Test
    void shouldWriteTheSchedulerTextsAndTypes() {
        assertThat(new AuditEvent.ScheduleCreated("u", "*", "0 9 * * 1-5").type()).isEqualTo("schedule_created");
        assertThat(new AuditEvent.ScheduleCreated("u", "*", "0 9 * * 1-5").canonicalPayload())
                .isEqualTo("{\"cron\":\"0 9 * * 1-5\",\"scheduledId\":\"u\",\"targetSpec\":\"*\"}");
        assertThat(new AuditEvent.ScheduleCreated("u", "@be", null).canonicalPayload())
                .isEqualTo("{\"scheduledId\":\"u\",\"targetSpec\":\"@be\"}");
        assertThat(new AuditEvent.ScheduleCancelled("u").type()).isEqualTo("schedule_cancelled");
        assertThat(new AuditEvent.ScheduleDropped("u", "expired").type()).isEqualTo("schedule_dropped");
        assertThat(new AuditEvent.ScheduleDropped("u", "expired").canonicalPayload())
                .isEqualTo("{\"reason\":\"expired\",\"scheduledId\":\"u\"}");
    }

    @Property(tries = 300)
    void stateSetShouldMatchTheMapPayloadAndHoldNoValue(@ForAll String key) {
        AuditEvent e = new AuditEvent.StateSet(key);
        assertThat(e.type()).isEqualTo("state_set");
        assertThat(e.canonicalPayload()).isEqualTo(AuditChain.canonicalJson(Map.of("key", key)));
    }

    @Property(tries = 300)
    void moderationEventsShouldMatchTheirMapPayloads(@ForAll String a, @ForAll String b, @ForAll String c) {
        Map<String, Object> kicked = new LinkedHashMap<>();
        kicked.put("reason", b);
        kicked.put("pubkey", a);
        assertThat(new AuditEvent.MemberKicked(a, b).canonicalPayload()).isEqualTo(AuditChain.canonicalJson(kicked));
        Map<String, Object> banned = new LinkedHashMap<>();
        banned.put("via", c);
        banned.put("targetPubkey", b);
        banned.put("target", a);
        assertThat(new AuditEvent.MemberBanned(a, b, c).canonicalPayload()).isEqualTo(AuditChain.canonicalJson(banned));
        assertThat(new AuditEvent.MemberUnbanned(a, b, c).canonicalPayload())
                .isEqualTo(AuditChain.canonicalJson(banned));
        Map<String, Object> role = new LinkedHashMap<>();
        role.put("via", c);
        role.put("role", b);
        role.put("pubkey", a);
        assertThat(new AuditEvent.MemberRoleChanged(a, b, c).canonicalPayload())
                .isEqualTo(AuditChain.canonicalJson(role));
    }

    @Test
    void moderationEventsShouldHaveTheirTypes() {
        assertThat(new AuditEvent.MemberKicked("k", "kicked").type()).isEqualTo("member_kicked");
        assertThat(new AuditEvent.MemberBanned("bob", "k", "ws").type()).isEqualTo("member_banned");
        assertThat(new AuditEvent.MemberBanned("bob", "k", "ws").canonicalPayload())
                .isEqualTo("{\"target\":\"bob\",\"targetPubkey\":\"k\",\"via\":\"ws\"}");
        assertThat(new AuditEvent.MemberUnbanned("bob", "k", "ws").type()).isEqualTo("member_unbanned");
        assertThat(new AuditEvent.MemberRoleChanged("k", "admin", "cli").type()).isEqualTo("member_role_changed");
    }

    @Property(tries = 300)
    void skillAndStreamEventsShouldMatchTheMapPayload(@ForAll String name) {
        String expected = AuditChain.canonicalJson(Map.of("name", name));
        assertThat(new AuditEvent.SkillShared(name).canonicalPayload()).isEqualTo(expected);
        assertThat(new AuditEvent.SkillRemoved(name).canonicalPayload()).isEqualTo(expected);
        assertThat(new AuditEvent.StreamCreated(name).canonicalPayload()).isEqualTo(expected);
    }

    @Test
    void shouldNameTheSkillAndStreamEvents() {
        assertThat(new AuditEvent.SkillShared("deploy").type()).isEqualTo("skill_shared");
        assertThat(new AuditEvent.SkillRemoved("deploy").type()).isEqualTo("skill_removed");
        assertThat(new AuditEvent.StreamCreated("metrics").type()).isEqualTo("stream_created");
        assertThat(new AuditEvent.StreamCreated("metrics").canonicalPayload()).isEqualTo("{\"name\":\"metrics\"}");
    }

    @Test
    void shouldWriteTheKnownTextsAndTypes() {
        AuditEvent joined = new AuditEvent.PeerJoined("ab", List.of(new GroupRole("be", "lead")), "dev", "cd");
        assertThat(joined.type()).isEqualTo("peer_joined");
        assertThat(joined.canonicalPayload()).isEqualTo("{\"groups\":[{\"name\":\"be\",\"role\":\"lead\"}],"
                + "\"pubkey\":\"ab\",\"role\":\"dev\",\"session_pubkey\":\"cd\",\"via\":\"session_hello\"}");
        assertThat(new AuditEvent.PeerJoined("ab", List.of(), null, null).canonicalPayload())
                .isEqualTo("{\"groups\":[],\"pubkey\":\"ab\",\"role\":null}");
        assertThat(new AuditEvent.PeerJoined("ab", List.of(), "dev", null, false).canonicalPayload())
                .isEqualTo("{\"groups\":[],\"pubkey\":\"ab\",\"restored\":false,\"role\":\"dev\"}");
        assertThat(AuditEvent.PeerLeft.INSTANCE.type()).isEqualTo("peer_left");
        assertThat(AuditEvent.PeerLeft.INSTANCE.canonicalPayload())
                .isEqualTo(AuditChain.canonicalJson(Map.of())).isEqualTo("{}");
        assertThat(new AuditEvent.MessageSent("*", "now").canonicalPayload())
                .isEqualTo("{\"priority\":\"now\",\"targetSpec\":\"*\"}");
        assertThat(new AuditEvent.HelloRejected("capacity").type()).isEqualTo("hello_rejected");
        AuditEvent stored = new AuditEvent.Canonical("member_joined", "{\"a\":1}");
        assertThat(stored.type()).isEqualTo("member_joined");
        assertThat(stored.canonicalPayload()).isEqualTo("{\"a\":1}");
    }

    @Test
    void shouldHashAPeerLeftExactlyAsBefore() {
        // the documented hash of AuditChainTest, now reached through the typed event
        assertThat(AuditChain.hash(AuditChain.GENESIS, "M", AuditEvent.PeerLeft.INSTANCE.type(), null,
                AuditEvent.PeerLeft.INSTANCE.canonicalPayload(), 0))
                .isEqualTo("33b36d47e83369da834ebb055137edbbc33cf1bde110ab4bffadf8537b33ec17");
    }

    @Test
    void shouldRefuseKeysOutOfOrderAndUnbalancedWriting() {
        assertThatThrownBy(() -> CanonicalJson.object().field("b", "x").field("a", "y"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("ascending");
        assertThatThrownBy(() -> CanonicalJson.object().field("a", "x").field("a", "y"))
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> CanonicalJson.object().value("no key"))
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> CanonicalJson.object().name("a").beginArray().end())
                .isInstanceOf(IllegalStateException.class);
        assertThat(CanonicalJson.object().field("a", 1).name("b").beginArray().value(true).value((String) null)
                .endArray().end()).isEqualTo("{\"a\":1,\"b\":[true,null]}");
    }
}
