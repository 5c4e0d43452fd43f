package dev.claudemesh.broker.core.mesh;

import dev.claudemesh.broker.core.BrokerMetrics;
import dev.claudemesh.broker.core.BrokerSettings;
import dev.claudemesh.broker.core.model.Member;
import dev.claudemesh.broker.core.testing.Identities;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The status rules of PROTOCOL §5 with issue 11 §6: dnd takes effect at once and only the user clears it; the
 * hook-fresh window arbitrates idle/working between sources; the TTL flips working to idle.
 */
class StatusRulesTest {

    private static final long WINDOW_MS = 30_000;
    private static final long TTL_MS = 60_000;

    private final BrokerMetrics metrics = new BrokerMetrics();
    private final LeaseTable leases = new LeaseTable();
    private final StatusRules rules = new StatusRules(WINDOW_MS, TTL_MS, new DmQueues(leases, metrics, 30_000),
            metrics);
    private final Lease lease = new Lease("p", null,
            new Member("m", "mesh", "conf", "a".repeat(64), "n", null, List.of(), Map.of(), "push", false),
            PeerRole.SESSION, 0);

    private void assertStatus(Status status, StatusSource source, long setAtMs) {
        assertThat(lease.status).isEqualTo(status);
        assertThat(lease.statusSource).isEqualTo(source);
        assertThat(lease.statusSetAtMs).isEqualTo(setAtMs);
    }

    @Test
    void shouldTakeAUserDndAtOnceInsideAHookWindowAndKeepItAgainstLaterHooks() {
        assertThat(rules.apply(lease, Status.WORKING, StatusSource.HOOK, 1_000)).isTrue();
        assertThat(rules.apply(lease, Status.DND, StatusSource.MANUAL, 2_000)).isTrue();
        assertStatus(Status.DND, StatusSource.MANUAL, 2_000);

        assertThat(rules.apply(lease, Status.IDLE, StatusSource.HOOK, 3_000)).isFalse();
        assertThat(rules.apply(lease, Status.WORKING, StatusSource.HOOK, 3_000 + 10 * WINDOW_MS)).isFalse();
        assertStatus(Status.DND, StatusSource.MANUAL, 2_000);

        assertThat(rules.apply(lease, Status.IDLE, StatusSource.MANUAL, 4_000 + 10 * WINDOW_MS)).isTrue();
        assertStatus(Status.IDLE, StatusSource.MANUAL, 4_000 + 10 * WINDOW_MS);
    }

    @Test
    void shouldLetOnlyTheUserClearADndAHookSet() {
        rules.apply(lease, Status.DND, StatusSource.HOOK, 1_000);
        assertThat(rules.apply(lease, Status.WORKING, StatusSource.HOOK, 1_001)).isFalse();
        assertThat(rules.apply(lease, Status.WORKING, StatusSource.MANUAL, 1_002)).isTrue();
        assertStatus(Status.WORKING, StatusSource.MANUAL, 1_002);
    }

    @Test
    void shouldRankHookAboveManualForIdleAndWorkingInsideTheWindowOnly() {
        rules.apply(lease, Status.WORKING, StatusSource.HOOK, 1_000);
        assertThat(rules.apply(lease, Status.IDLE, StatusSource.MANUAL, 1_000 + WINDOW_MS - 1)).isFalse();
        assertStatus(Status.WORKING, StatusSource.HOOK, 1_000);
        assertThat(rules.apply(lease, Status.IDLE, StatusSource.MANUAL, 1_000 + WINDOW_MS)).isTrue();
        // a hook outranks a fresh manual status
        assertThat(rules.apply(lease, Status.WORKING, StatusSource.HOOK, 1_001 + WINDOW_MS)).isTrue();
    }

    @Test
    void shouldFlipWorkingToIdleAfterTheTtlButNeverDnd() {
        Lease other = new Lease("q", null, lease.member, PeerRole.SESSION, 0);
        leases.add(lease);
        leases.add(other);
        rules.apply(lease, Status.WORKING, StatusSource.MANUAL, 1_000);
        rules.apply(other, Status.DND, StatusSource.MANUAL, 1_000);

        rules.sweep(leases.all(), 1_000 + TTL_MS - 1);
        assertThat(lease.status).isEqualTo(Status.WORKING);
        rules.sweep(leases.all(), 1_000 + TTL_MS);
        assertStatus(Status.IDLE, StatusSource.TTL, 1_000 + TTL_MS);
        assertThat(other.status).isEqualTo(Status.DND);
        assertThat(metrics.ttlSweepsTotal.sum()).isEqualTo(2);
    }

    /**
     * Issue 11 §6, through the real entry points: a hook reports working; within HOOK_FRESH_WINDOW_SECONDS the user
     * sets dnd; a hook reports idle: the peer stays dnd; the user's own idle clears it.
     */
    @Test
    void shouldKeepTheUsersDndWhenAHookReportsInsideTheWindowAndClearItOnTheUsersIdle() {
        MeshHarness h = new MeshHarness(BrokerSettings.defaults());
        Identities.MemberKeys bob = h.member("bob");
        MeshHarness.Peer b = h.session(bob, "s-b"); // pid 5150, cwd /w
        MeshHarness.Peer a = h.hello(h.member("alice"), "d-a"); // pid 42: the hooks below are not for her

        h.broker.hooks().setStatus("/w", 5150L, "working");
        h.loop.runAll();
        assertThat(MeshHarness.statusOf(a, b.key(), h.loop)).isEqualTo("working");

        h.loop.advance(5_000); // well inside the 30 s window
        b.send("{\"type\":\"set_status\",\"status\":\"dnd\"}");
        h.loop.runAll();
        assertThat(MeshHarness.statusOf(a, b.key(), h.loop)).isEqualTo("dnd");

        h.loop.advance(1_000);
        h.broker.hooks().setStatus("/w", 5150L, "idle");
        h.loop.runAll();
        assertThat(MeshHarness.statusOf(a, b.key(), h.loop)).isEqualTo("dnd");

        b.send("{\"type\":\"set_status\",\"status\":\"idle\"}");
        h.loop.runAll();
        assertThat(MeshHarness.statusOf(a, b.key(), h.loop)).isEqualTo("idle");
    }
}
