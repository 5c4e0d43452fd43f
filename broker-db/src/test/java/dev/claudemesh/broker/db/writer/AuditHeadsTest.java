package dev.claudemesh.broker.db.writer;

import dev.claudemesh.broker.core.audit.AuditChain;
import dev.claudemesh.broker.core.audit.AuditEvent;
import dev.claudemesh.broker.core.model.GroupRole;
import dev.claudemesh.broker.core.port.DurableOp;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AuditHeadsTest {

    private final Map<String, String> stored = new HashMap<>();
    private final List<String> reads = new ArrayList<>();
    private final AuditHeads heads = new AuditHeads();

    private String read(String meshId) {
        reads.add(meshId);
        return stored.get(meshId);
    }

    private static List<BatchPlan.Audit> audits(String... meshIds) {
        List<BatchPlan.Audit> out = new ArrayList<>();
        int n = 0;
        for (String meshId : meshIds) {
            DurableOp.AppendAudit op = TestAudits.audit(meshId, "message_sent", "m", Map.of("n", n), 1_000 + n);
            out.add(new BatchPlan.Audit(op));
            n++;
        }
        return out;
    }

    @Test
    void shouldChainEachMeshFromItsStoredHeadReadOnce() throws SQLException {
        stored.put("a", "head-a");
        heads.beginAttempt();

        BatchStatements.AuditRows rows = heads.chain(audits("a", "b", "a"), this::read);

        assertThat(reads).containsExactly("a", "b");
        assertThat(rows.prevHashes()).containsExactly("head-a", AuditChain.GENESIS, rows.hashes()[0]);
        assertThat(rows.hashes()[0]).isEqualTo(AuditChain.hash("head-a", "a", "message_sent", "m", "{\"n\":0}", 1_000));
        assertThat(heads.cached("a")).isEqualTo(rows.hashes()[2]);
        assertThat(heads.cached("b")).isEqualTo(rows.hashes()[1]);
    }

    @Test
    void shouldPutTheHeadsBackWhenAnAttemptFails() throws SQLException {
        stored.put("a", "head-a");
        heads.beginAttempt();
        BatchStatements.AuditRows first = heads.chain(audits("a"), this::read);
        heads.batchDone();

        heads.beginAttempt();
        heads.chain(audits("a", "b"), this::read);
        heads.failed(false);

        assertThat(heads.cached("a")).isEqualTo(first.hashes()[0]);
        assertThat(heads.cached("b")).as("not loaded before the attempt").isNull();
        assertThat(heads.committedEarlier(this::read)).as("no COMMIT failed").isFalse();
    }

    @Test
    void shouldTakeTheHeadsOfABatchThatCommittedBeforeItsCommitFailed() throws SQLException {
        heads.beginAttempt();
        BatchStatements.AuditRows rows = heads.chain(audits("a", "b"), this::read);
        stored.put("a", rows.hashes()[0]);
        stored.put("b", rows.hashes()[1]);
        heads.failed(true);
        assertThat(heads.cached("a")).isNull();

        heads.beginAttempt();
        assertThat(heads.committedEarlier(this::read)).isTrue();

        assertThat(heads.cached("a")).isEqualTo(rows.hashes()[0]);
        assertThat(heads.cached("b")).isEqualTo(rows.hashes()[1]);
        assertThat(heads.committedEarlier(this::read)).as("asked once").isFalse();
    }

    @Test
    void shouldReapplyABatchThatDidNotCommitAndKeepTheQuestionOpenWhileTheReadFails() throws SQLException {
        heads.beginAttempt();
        heads.chain(audits("a"), this::read);
        heads.failed(true);

        heads.beginAttempt();
        assertThatThrownBy(() -> heads.committedEarlier(meshId -> {
            throw new SQLException("down", "08001");
        })).isInstanceOf(SQLException.class);
        heads.failed(false);

        heads.beginAttempt();
        assertThat(heads.committedEarlier(this::read)).isFalse();
        BatchStatements.AuditRows again = heads.chain(audits("a"), this::read);
        assertThat(again.prevHashes()).containsExactly(AuditChain.GENESIS);
    }

    @Test
    void shouldHashAndKeepTheEventsCanonicalBytesAsAuditChainHashesItsText() throws SQLException {
        AuditEvent sent = new AuditEvent.MessageSent("@all \u00e9\u4e2d\"\\\n\ud83d\ude00\ud800", "now");
        AuditEvent joined = new AuditEvent.PeerJoined("k\u00ff", List.of(new GroupRole("g\u0001", null)), null, null);
        List<BatchPlan.Audit> audits = List.of(
                new BatchPlan.Audit(new DurableOp.AppendAudit("m\u00e9sh", "act\u4e2dor", sent, 1_000)),
                new BatchPlan.Audit(new DurableOp.AppendAudit("m\u00e9sh", null, joined, 2_000)),
                new BatchPlan.Audit(new DurableOp.AppendAudit("m\u00e9sh", "a", AuditEvent.PeerLeft.INSTANCE, 3_000)));
        heads.beginAttempt();

        BatchStatements.AuditRows rows = heads.chain(audits, this::read);

        String prev = AuditChain.GENESIS;
        for (int i = 0; i < audits.size(); i++) {
            DurableOp.AppendAudit op = audits.get(i).op();
            String text = op.event().canonicalPayload();
            assertThat(rows.payload(i)).isEqualTo(text);
            String hash = AuditChain.hash(prev, op.meshId(), op.eventType(), op.actorId(), text, op.createdAtMs());
            assertThat(rows.hashes()[i]).isEqualTo(hash);
            prev = hash;
        }
        assertThat(rows.payloadEnds()[2]).isEqualTo(audits.stream()
                .mapToInt(a -> a.op().event().canonicalPayload().getBytes(StandardCharsets.UTF_8).length).sum());
    }
}
