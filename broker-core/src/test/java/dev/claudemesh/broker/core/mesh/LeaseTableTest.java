package dev.claudemesh.broker.core.mesh;

import dev.claudemesh.broker.core.model.Member;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The lease indexes and their atomic mirrors, without a mesh around them. */
class LeaseTableTest {

    private static final String M1 = "a".repeat(64);
    private static final String M2 = "b".repeat(64);

    private final LeaseTable table = new LeaseTable();

    private static Member member(String key) {
        return new Member("id-" + key.charAt(0), "mesh", "conf", key, "n", null, List.of(), Map.of(), "push", false);
    }

    private static Lease lease(String presenceId, String memberKey, String sessionKey, boolean live) {
        Lease l = new Lease(presenceId, null, member(memberKey), PeerRole.SESSION, 0);
        l.sessionPubkey = sessionKey;
        l.live = live;
        return l;
    }

    @Test
    void shouldIndexByPresenceIdSessionKeyAndMemberInConnectionOrder() {
        Lease a = lease("p1", M1, "s1", true);
        Lease b = lease("p2", M1, null, true);
        Lease c = lease("p3", M2, "s3", false);
        table.add(a);
        table.add(b);
        table.add(c);

        assertThat(table.all()).containsExactly(a, b, c);
        assertThat(table.size()).isEqualTo(3);
        assertThat(table.byPresenceId("p2")).isSameAs(b);
        assertThat(table.bySessionKey("s3")).isSameAs(c);
        assertThat(table.bySessionKey(null)).isNull();
        assertThat(table.ofMember(M1)).containsExactly(a, b);
        assertThat(table.ofMember("c".repeat(64))).isEmpty();

        assertThat(table.remove(a)).isTrue();
        assertThat(table.remove(a)).isFalse();
        assertThat(table.all()).containsExactly(b, c);
        assertThat(table.bySessionKey("s1")).isNull();
        assertThat(table.ofMember(M1)).containsExactly(b);
        table.remove(b);
        assertThat(table.ofMember(M1)).isEmpty();
    }

    @Test
    void shouldPreferALiveLeaseWithoutSessionKeyForMemberDms() {
        Lease session = lease("p1", M1, "s1", true);
        Lease graceDaemon = lease("p2", M1, null, false);
        table.add(session);
        table.add(graceDaemon);
        assertThat(table.preferredLease(M1)).isSameAs(session);

        Lease daemon = lease("p3", M1, null, true);
        table.add(daemon);
        assertThat(table.preferredLease(M1)).isSameAs(daemon);
        assertThat(table.preferredLease(M2)).isNull();
    }

    @Test
    void shouldMirrorCountAndSessionKeysForCapacityPreChecks() {
        table.add(lease("p1", M1, "s1", true));
        table.add(lease("p2", M2, null, false));

        assertThat(table.atCapacity(3, null)).isFalse();
        assertThat(table.atCapacity(2, null)).isTrue();
        assertThat(table.atCapacity(2, "s9")).isTrue();
        // a reattach of a held session key takes its own lease over: no room needed
        assertThat(table.atCapacity(2, "s1")).isFalse();

        table.remove(table.byPresenceId("p1"));
        assertThat(table.atCapacity(2, null)).isFalse();
        assertThat(table.atCapacity(2, "s1")).isFalse();
        assertThat(table.atCapacity(1, "s1")).isTrue();
    }
}
