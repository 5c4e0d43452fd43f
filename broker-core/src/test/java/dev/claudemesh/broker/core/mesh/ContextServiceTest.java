package dev.claudemesh.broker.core.mesh;

import dev.claudemesh.broker.core.context.ContextService;
import dev.claudemesh.broker.core.context.ContextStore;
import dev.claudemesh.broker.core.testing.Identities;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Contexts (PROTOCOL-MESH §11.1, §11.2) on a manual loop with a scripted store: {@code context_shared} without
 * {@code _reqId} and the {@code state_change} push (§16 defect 19, kept), reply shapes, bad input, the quota answer and
 * the retention cut-off handed to the store.
 */
class ContextServiceTest {

    static final class ScriptedContexts implements ContextStore {
        final List<String> calls = new ArrayList<>();
        String shareAnswer = "C1";
        List<Context> rows = List.of();

        @Override
        public synchronized String share(String meshId, String newId, Share share, long nowMs, int maxPerMesh,
                                         long sinceMs) {
            calls.add("share " + share.memberId() + " " + share.presenceId() + " " + share.peerName() + " "
                    + share.summary() + " " + share.filesRead() + " " + share.keyFindings() + " " + share.tags() + " max="
                    + maxPerMesh + " since=" + sinceMs);
            return shareAnswer;
        }

        @Override
        public synchronized List<Context> find(String meshId, String query, int limit, long sinceMs) {
            calls.add("find " + query + " " + limit + " since=" + sinceMs);
            return rows;
        }

        @Override
        public synchronized List<Context> list(String meshId, int limit, long sinceMs) {
            calls.add("list " + limit + " since=" + sinceMs);
            return rows;
        }
    }

    private static final long NOW = 1_700_000_000_000L;
    private static final long RETENTION = 86_400_000L;
    private final ScriptedContexts store = new ScriptedContexts();
    private final MeshHarness h = new MeshHarness(Runnable::run,
            List.of(new ContextService(store, new ContextService.Limits(7, RETENTION))));
    private final Identities.MemberKeys alice = h.member("alice");

    @Test
    void shouldShareWithoutReqIdAndPushStateChangeToEveryOtherLiveLease() {
        MeshHarness.Peer a1 = h.session(alice, "s-a1");
        MeshHarness.Peer a2 = h.session(alice, "s-a2");
        MeshHarness.Peer b = h.session(h.member("bob"), "s-b");
        MeshHarness.Peer grace = h.session(h.member("carol"), "s-c");
        grace.session().onClosed();
        h.loop.runAll();
        int graceFrames = grace.conn().frames.size();

        a1.send("{\"type\":\"share_context\",\"summary\":\"migrated auth to \\\"JWT\\\"\",\"filesRead\":[\"auth.ts\"],"
                + "\"keyFindings\":[\"x\"],\"tags\":[\"auth\"],\"_reqId\":\"r1\"}");
        h.loop.runAll();

        assertThat(a1.conn().last()).isEqualTo("{\"type\":\"context_shared\",\"id\":\"C1\"}"); // never _reqId
        String push = "{\"type\":\"state_change\",\"key\":\"_context:alice\",\"value\":\"migrated auth to \\\"JWT\\\"\","
                + "\"updatedBy\":\"alice\"}";
        assertThat(a2.conn().framesContaining("state_change")).containsExactly(push); // a sibling session gets it
        assertThat(b.conn().framesContaining("state_change")).containsExactly(push);
        assertThat(a1.conn().framesContaining("state_change")).isEmpty();
        assertThat(grace.conn().frames).hasSize(graceFrames);
        assertThat(store.calls).containsExactly("share " + a1.session().lease().member().id() + " " + a1.presenceId()
                + " alice migrated auth to \"JWT\" [auth.ts] [x] [auth] max=7 since=" + (NOW - RETENTION));

        a1.send("{\"type\":\"share_context\",\"summary\":\"\"}"); // lists default to empty
        h.loop.runAll();
        assertThat(store.calls.get(1)).contains(" alice  [] [] [] max=7");
    }

    @Test
    void shouldAnswerBadInputAndTheQuota() {
        MeshHarness.Peer a = h.session(alice, "s-a");
        a.send("{\"type\":\"share_context\",\"_reqId\":\"1\"}");
        a.send("{\"type\":\"share_context\",\"summary\":\"s\",\"tags\":\"auth\",\"_reqId\":\"2\"}");
        a.send("{\"type\":\"share_context\",\"summary\":\"s\",\"filesRead\":[null]}");
        a.send("{\"type\":\"get_context\",\"_reqId\":\"4\"}");
        h.loop.runAll();
        assertThat(a.conn().framesContaining("\"type\":\"error\"")).containsExactly(
                "{\"type\":\"error\",\"code\":\"bad_request\",\"message\":\"summary must be a string\",\"_reqId\":\"1\"}",
                "{\"type\":\"error\",\"code\":\"bad_request\",\"message\":\"tags must be an array of strings\","
                        + "\"_reqId\":\"2\"}",
                "{\"type\":\"error\",\"code\":\"bad_request\",\"message\":\"filesRead must be an array of strings\"}",
                "{\"type\":\"error\",\"code\":\"bad_request\",\"message\":\"query must be a string\",\"_reqId\":\"4\"}");
        assertThat(store.calls).isEmpty();

        store.shareAnswer = null;
        a.send("{\"type\":\"share_context\",\"summary\":\"s\"}");
        h.loop.runAll();
        assertThat(a.conn().last()).isEqualTo("{\"type\":\"error\",\"code\":\"limit_exceeded\","
                + "\"message\":\"this mesh has 7 contexts (the limit)\"}");
    }

    @Test
    void shouldWriteGetAndListReplies() {
        MeshHarness.Peer a = h.session(alice, "s-a");
        store.rows = List.of(new ContextStore.Context("bob", "auth", List.of("a.ts", "b.ts"), List.of("k"),
                List.of("t1"), NOW), new ContextStore.Context("carol", "db", List.of(), List.of(), List.of(), NOW - 1));
        a.send("{\"type\":\"get_context\",\"query\":\"a%_\",\"_reqId\":\"g\"}");
        a.send("{\"type\":\"list_contexts\",\"_reqId\":5}");
        h.loop.runAll();
        assertThat(a.conn().framesContaining("context_results")).containsExactly("{\"type\":\"context_results\","
                + "\"contexts\":[{\"peerName\":\"bob\",\"summary\":\"auth\",\"filesRead\":[\"a.ts\",\"b.ts\"],"
                + "\"keyFindings\":[\"k\"],\"tags\":[\"t1\"],\"updatedAt\":\"2023-11-14T22:13:20.000Z\"},"
                + "{\"peerName\":\"carol\",\"summary\":\"db\",\"filesRead\":[],\"keyFindings\":[],\"tags\":[],"
                + "\"updatedAt\":\"2023-11-14T22:13:19.999Z\"}],\"_reqId\":\"g\"}");
        assertThat(a.conn().last()).isEqualTo("{\"type\":\"context_list\",\"contexts\":[{\"peerName\":\"bob\","
                + "\"summary\":\"auth\",\"tags\":[\"t1\"],\"updatedAt\":\"2023-11-14T22:13:20.000Z\"},{\"peerName\":"
                + "\"carol\",\"summary\":\"db\",\"tags\":[],\"updatedAt\":\"2023-11-14T22:13:19.999Z\"}],\"_reqId\":5}");
        assertThat(store.calls).containsExactly("find a%_ 20 since=" + (NOW - RETENTION),
                "list 7 since=" + (NOW - RETENTION));
    }
}
