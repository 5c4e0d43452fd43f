package dev.claudemesh.broker.db.writer;

import dev.claudemesh.broker.core.model.StoredMessage;
import dev.claudemesh.broker.core.port.DurableOp;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class BatchPlanTest {

    private static DurableOp.UpsertPresence upsert(String id, String status) {
        return new DurableOp.UpsertPresence("mesh", id, "member", null, "s1", "alice", "/w", 42L, status,
                "session", 1_000);
    }

    @Test
    void shouldKeepTheLastUpsertPerPresence() {
        BatchPlan plan = new BatchPlan();

        plan.add(upsert("p1", "idle"));
        plan.add(upsert("p2", "idle"));
        plan.add(upsert("p1", "working"));

        assertThat(plan.upserts).containsOnlyKeys("p1", "p2");
        assertThat(plan.upserts.get("p1").status()).isEqualTo("working");
        assertThat(plan.disconnectAtMsByPresenceId).isEmpty();
    }

    @Test
    void shouldDropADisconnectThatALaterUpsertSupersedes() {
        BatchPlan plan = new BatchPlan();

        plan.add(new DurableOp.DisconnectPresence("mesh", "p1", 5));
        plan.add(upsert("p1", "idle"));

        assertThat(plan.upserts).containsOnlyKeys("p1");
        assertThat(plan.disconnectAtMsByPresenceId).isEmpty();
    }

    @Test
    void shouldKeepADisconnectThatFollowsTheUpsert() {
        BatchPlan plan = new BatchPlan();

        plan.add(upsert("p1", "idle"));
        plan.add(new DurableOp.DisconnectPresence("mesh", "p1", 7));

        assertThat(plan.upserts).containsOnlyKeys("p1");
        assertThat(plan.disconnectAtMsByPresenceId).containsExactly(Map.entry("p1", 7L));
    }

    @Test
    void shouldKeepQueueMarkAndAuditOrder() {
        BatchPlan plan = new BatchPlan();
        byte[] b = "AAAA".getBytes(StandardCharsets.US_ASCII);
        StoredMessage m1 = new StoredMessage("m1", "mesh", "a", "ak", "ak", "A", "t", "now", b, b, null, null, 1, 2);
        StoredMessage m2 = new StoredMessage("m2", "mesh", "a", "ak", "ak", "A", "t", "now", b, b, null, null, 1, 2);
        DurableOp.AppendAudit a1 = TestAudits.audit("mesh", "peer_left", null, Map.of(), 1);
        DurableOp.AppendAudit a2 = TestAudits.audit("mesh", "peer_joined", null, Map.of(), 2);

        plan.add(new DurableOp.EnqueueMessage(m1));
        plan.add(a1);
        plan.add(new DurableOp.MarkDelivered("mesh", "m1", 3));
        plan.add(new DurableOp.EnqueueMessage(m2));
        plan.add(a2);

        assertThat(plan.enqueues).extracting(BatchPlan.Enqueue::message).containsExactly(m1, m2);
        assertThat(plan.enqueues).extracting(BatchPlan.Enqueue::deliveredAtMs).containsExactly(3L, null);
        assertThat(plan.marks).isEmpty();
        assertThat(plan.audits).extracting(BatchPlan.Audit::op).containsExactly(a1, a2);
        assertThat(plan.isEmpty()).isFalse();

        plan.clear();

        assertThat(plan.isEmpty()).isTrue();
    }

    @Test
    void shouldFoldOnlyTheFirstMarkIntoAnEnqueueOfTheSameBatch() {
        BatchPlan plan = new BatchPlan();
        byte[] b = "AAAA".getBytes(StandardCharsets.US_ASCII);
        StoredMessage m1 = new StoredMessage("m1", "mesh", "a", "ak", "ak", "A", "t", "now", b, b, null, null, 1, 2);

        plan.add(new DurableOp.MarkDelivered("mesh", "older", 4));
        plan.add(new DurableOp.MarkDelivered("mesh", "older", 8));
        plan.add(new DurableOp.EnqueueMessage(m1));
        plan.add(new DurableOp.EnqueueMessage(m1));
        plan.add(new DurableOp.MarkDelivered("mesh", "m1", 5));
        plan.add(new DurableOp.MarkDelivered("mesh", "m1", 6));

        assertThat(plan.enqueues).hasSize(1);
        assertThat(plan.enqueues.get(0).deliveredAtMs()).isEqualTo(5L);
        assertThat(plan.marks).extracting(DurableOp.MarkDelivered::deliveredAtMs).containsExactly(4L);

        plan.clear();
        plan.add(new DurableOp.MarkDelivered("mesh", "m1", 7));

        assertThat(plan.marks).extracting(DurableOp.MarkDelivered::messageId).containsExactly("m1");
    }
}
