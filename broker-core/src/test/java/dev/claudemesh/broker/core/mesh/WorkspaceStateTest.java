package dev.claudemesh.broker.core.mesh;

import dev.claudemesh.broker.core.audit.AuditEvent;
import dev.claudemesh.broker.core.port.DurableOp;
import dev.claudemesh.broker.core.state.SharedStateService;
import dev.claudemesh.broker.core.state.StateEntry;
import dev.claudemesh.broker.core.state.StateLimits;
import dev.claudemesh.broker.core.state.StateStore;
import dev.claudemesh.broker.core.testing.Identities;
import org.junit.jupiter.api.Test;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Executor;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Shared state (PROTOCOL-MESH §4) on a manual loop with a fake store whose calls run only when the test says: no reply
 * to {@code set_state}; {@code state_change} to every other lease once the store answered; {@code state_result} then
 * {@code state_data}; every [fix] of §4.6; errors with {@code _reqId}. In this package for {@link MeshHarness}.
 */
class WorkspaceStateTest {

    /** An in-memory {@link StateStore}. */
    static final class FakeStateStore implements StateStore {
        final Map<String, StateEntry> entries = new TreeMap<>();
        final List<String> calls = new ArrayList<>();
        boolean failing;

        @Override
        public Upsert upsert(String meshId, String key, String valueJson, String presenceId, String memberName,
                             long nowMs, int maxEntries) {
            calls.add("upsert " + key + "=" + valueJson + " by " + memberName + " max " + maxEntries);
            fail();
            if (!entries.containsKey(key) && entries.size() >= maxEntries) {
                return Upsert.FULL;
            }
            entries.put(key, new StateEntry(key, valueJson, memberName, nowMs));
            return Upsert.STORED;
        }

        @Override
        public StateEntry get(String meshId, String key) {
            calls.add("get " + key);
            fail();
            return entries.get(key);
        }

        @Override
        public List<StateEntry> list(String meshId, int limit) {
            calls.add("list " + limit);
            fail();
            return entries.values().stream().limit(limit).toList();
        }

        private void fail() {
            if (failing) {
                throw new IllegalStateException("database down: secret-value");
            }
        }
    }

    private final ArrayDeque<Runnable> storageTasks = new ArrayDeque<>();
    private final Executor storage = storageTasks::add;
    private final FakeStateStore store = new FakeStateStore();
    private final MeshHarness h = new MeshHarness(storage,
            List.of(new SharedStateService(store, new StateLimits(8, 64, 3, 2))));
    private final Identities.MemberKeys alice = h.member("alice");
    private final Identities.MemberKeys bob = h.member("bob");

    /** Runs the storage calls, then the loop (the continuations), until both are idle. */
    private void settle() {
        h.loop.runAll();
        while (!storageTasks.isEmpty()) {
            storageTasks.poll().run();
            h.loop.runAll();
        }
    }

    @Test
    void shouldPushStateChangeToEveryOtherLeaseOnlyAfterTheStoreAnsweredAndNeverReply() {
        MeshHarness.Peer a = h.session(alice, "s-a");
        MeshHarness.Peer aSibling = h.session(alice, "s-a2");
        MeshHarness.Peer b = h.session(bob, "s-b");
        MeshHarness.Peer daemon = h.hello(bob, "d-b");
        MeshHarness.Peer gone = h.session(bob, "s-gone");
        gone.session().onClosed();
        int before = a.conn().frames.size();

        a.send("{\"type\":\"set_state\",\"key\":\"release\",\"value\":{\"version\":\"1.5.1\",\"n\":1.50e3},"
                + "\"_reqId\":\"r1\"}");
        h.loop.runAll();
        assertThat(b.conn().framesContaining("state_change")).as("not before the store answered").isEmpty();
        settle();

        String change = "{\"type\":\"state_change\",\"key\":\"release\",\"value\":{\"version\":\"1.5.1\","
                + "\"n\":1.50e3},\"updatedBy\":\"alice\"}";
        assertThat(b.conn().framesContaining("state_change")).containsExactly(change);
        assertThat(daemon.conn().framesContaining("state_change")).containsExactly(change);
        assertThat(aSibling.conn().framesContaining("state_change")).containsExactly(change);
        assertThat(gone.conn().framesContaining("state_change")).isEmpty();
        assertThat(a.conn().frames.size()).as("no reply and no push to the writer").isEqualTo(before);
        assertThat(store.calls).containsExactly(
                "upsert release={\"version\":\"1.5.1\",\"n\":1.50e3} by alice max 3");

        List<DurableOp.AppendAudit> audits = h.audits().stream()
                .filter(x -> x.event() instanceof AuditEvent.StateSet).toList();
        assertThat(audits).hasSize(1);
        assertThat(audits.get(0).event().canonicalPayload()).isEqualTo("{\"key\":\"release\"}");
        assertThat(audits.get(0).actorId()).isEqualTo(alice.memberId());
    }

    @Test
    void shouldAnswerGetStateWithStateResultThenStateDataAfterAnEarlierSetOfTheSameSocket() {
        MeshHarness.Peer a = h.session(alice, "s-a");
        long t = h.clock.millis();
        a.send("{\"type\":\"set_state\",\"key\":\"k\",\"value\":[1,\"x\"]}");
        a.send("{\"type\":\"get_state\",\"key\":\"k\",\"_reqId\":\"g1\"}");
        a.send("{\"type\":\"get_state\",\"key\":\"missing\",\"_reqId\":7}");
        settle();

        String at = dev.claudemesh.broker.core.audit.AuditChain.isoMillis(t);
        assertThat(a.conn().framesContaining("\"state_")).containsExactly(
                "{\"type\":\"state_result\",\"key\":\"k\",\"value\":[1,\"x\"],\"updatedBy\":\"alice\","
                        + "\"updatedAt\":\"" + at + "\",\"_reqId\":\"g1\"}",
                "{\"type\":\"state_data\",\"state\":{\"key\":\"k\",\"value\":[1,\"x\"],\"updatedBy\":\"alice\","
                        + "\"updatedAt\":\"" + at + "\"},\"_reqId\":\"g1\"}",
                "{\"type\":\"state_result\",\"value\":null,\"updatedBy\":\"\",\"updatedAt\":\"\",\"_reqId\":7}",
                "{\"type\":\"state_data\",\"state\":null,\"_reqId\":7}");
        assertThat(store.calls).containsExactly("upsert k=[1,\"x\"] by alice max 3", "get k", "get missing");
    }

    @Test
    void shouldListStateUpToTheListLimit() {
        MeshHarness.Peer a = h.session(alice, "s-a");
        a.send("{\"type\":\"set_state\",\"key\":\"b\",\"value\":2}");
        a.send("{\"type\":\"set_state\",\"key\":\"a\",\"value\":\"one\"}");
        a.send("{\"type\":\"set_state\",\"key\":\"c\",\"value\":null}");
        a.send("{\"type\":\"list_state\",\"_reqId\":\"l\"}");
        a.send("{\"type\":\"list_state\"}");
        settle();

        List<String> lists = a.conn().framesContaining("state_list");
        assertThat(lists).hasSize(2);
        assertThat(lists.get(0)).startsWith("{\"type\":\"state_list\",\"entries\":[{\"key\":\"a\",\"value\":\"one\","
                + "\"updatedBy\":\"alice\",\"updatedAt\":\"").contains("},{\"key\":\"b\",\"value\":2,")
                .doesNotContain("\"key\":\"c\"").endsWith("}],\"_reqId\":\"l\"}");
        assertThat(lists.get(1)).doesNotContain("_reqId");
        assertThat(store.calls).endsWith("list 2", "list 2");
    }

    @Test
    void shouldAnswerBadInputWithBadRequestEchoingTheRequestIdAndStoreNothing() {
        MeshHarness.Peer a = h.session(alice, "s-a");
        MeshHarness.Peer b = h.session(bob, "s-b");
        String[][] cases = {
                {"{\"type\":\"set_state\",\"value\":1,\"_reqId\":\"r\"}", "key is required"},
                {"{\"type\":\"set_state\",\"key\":\"\",\"value\":1,\"_reqId\":\"r\"}", "key must not be empty"},
                {"{\"type\":\"set_state\",\"key\":7,\"value\":1,\"_reqId\":\"r\"}", "key must be a string"},
                {"{\"type\":\"set_state\",\"key\":\"123456789\",\"value\":1,\"_reqId\":\"r\"}",
                        "key is 9 chars (the most is 8)"},
                {"{\"type\":\"set_state\",\"key\":\"k\",\"_reqId\":\"r\"}", "value is required"},
                {"{\"type\":\"set_state\",\"key\":\"k\",\"value\":\"" + "x".repeat(63) + "\",\"_reqId\":\"r\"}",
                        "value is 65 bytes as stored (the most is 64)"},
                {"{\"type\":\"set_state\",\"key\":\"k\",\"value\":1e70,\"_reqId\":\"r\"}",
                        "value is 71 bytes as stored (the most is 64)"},
                {"{\"type\":\"set_state\",\"key\":\"k\",\"value\":1e999999999999,\"_reqId\":\"r\"}",
                        "value holds a number PostgreSQL cannot store"},
                {"{\"type\":\"set_state\",\"key\":\"k\",\"value\":{\"a\\u0000\":1},\"_reqId\":\"r\"}",
                        "value must not contain U+0000"},
                {"{\"type\":\"set_state\",\"key\":\"k\",\"value\":\"\\ud800\",\"_reqId\":\"r\"}",
                        "value must be valid Unicode (an unpaired surrogate)"},
                {"{\"type\":\"set_state\",\"key\":\"k\\u0000\",\"value\":1,\"_reqId\":\"r\"}",
                        "key must not contain U+0000"},
                {"{\"type\":\"get_state\",\"_reqId\":\"r\"}", "key is required"},
                {"{\"type\":\"get_state\",\"key\":null,\"_reqId\":\"r\"}", "key is required"},
                {"{\"type\":\"get_state\",\"key\":\"123456789\",\"_reqId\":\"r\"}", "key is 9 chars (the most is 8)"},
        };
        for (String[] c : cases) {
            a.send(c[0]);
            h.loop.runAll();
            assertThat(a.conn().last()).as(c[0]).isEqualTo("{\"type\":\"error\",\"code\":\"bad_request\","
                    + "\"message\":\"" + c[1] + "\",\"_reqId\":\"r\"}");
        }
        assertThat(storageTasks).isEmpty();
        assertThat(store.calls).isEmpty();
        assertThat(b.conn().framesContaining("state_change")).isEmpty();
        assertThat(h.metrics.requestErrors().get("set_state").get("bad_request").sum()).isEqualTo(11);
        assertThat(h.metrics.requestErrors().get("get_state").get("bad_request").sum()).isEqualTo(3);
    }

    @Test
    void shouldRefuseANewKeyOverTheCapWithoutPushOrAudit() {
        MeshHarness.Peer a = h.session(alice, "s-a");
        MeshHarness.Peer b = h.session(bob, "s-b");
        for (String k : List.of("k1", "k2", "k3")) {
            a.send("{\"type\":\"set_state\",\"key\":\"" + k + "\",\"value\":1}");
        }
        settle();
        a.send("{\"type\":\"set_state\",\"key\":\"k4\",\"value\":1,\"_reqId\":\"r4\"}");
        a.send("{\"type\":\"set_state\",\"key\":\"k1\",\"value\":2,\"_reqId\":\"r5\"}");
        settle();

        assertThat(a.conn().framesContaining("\"type\":\"error\"")).containsExactly("{\"type\":\"error\","
                + "\"code\":\"limit_exceeded\",\"message\":\"the mesh holds 3 state keys, the most allowed: a new key"
                + " cannot be added (existing ones can be set)\",\"_reqId\":\"r4\"}");
        assertThat(b.conn().framesContaining("state_change")).hasSize(4).noneMatch(f -> f.contains("k4"));
        assertThat(h.audits().stream().filter(x -> x.event() instanceof AuditEvent.StateSet)).hasSize(4);
    }

    @Test
    void shouldAnswerAStoreFailureWithInternalErrorNamingNoValue() {
        MeshHarness.Peer a = h.session(alice, "s-a");
        MeshHarness.Peer b = h.session(bob, "s-b");
        store.failing = true;
        a.send("{\"type\":\"set_state\",\"key\":\"k\",\"value\":1,\"_reqId\":\"r1\"}");
        a.send("{\"type\":\"get_state\",\"key\":\"k\",\"_reqId\":\"r2\"}");
        a.send("{\"type\":\"list_state\",\"_reqId\":\"r3\"}");
        settle();

        assertThat(a.conn().framesContaining("\"type\":\"error\"")).containsExactly(
                "{\"type\":\"error\",\"code\":\"internal_error\",\"message\":\"the state could not be stored\","
                        + "\"_reqId\":\"r1\"}",
                "{\"type\":\"error\",\"code\":\"internal_error\",\"message\":\"the state could not be read\","
                        + "\"_reqId\":\"r2\"}",
                "{\"type\":\"error\",\"code\":\"internal_error\",\"message\":\"the state could not be read\","
                        + "\"_reqId\":\"r3\"}");
        assertThat(b.conn().framesContaining("state_change")).isEmpty();
        assertThat(h.metrics.requestErrors().get("list_state").get("internal_error").sum()).isEqualTo(1);
    }
}
