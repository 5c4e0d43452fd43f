package dev.claudemesh.broker.db.writer;

import dev.claudemesh.broker.core.audit.AuditChain;
import dev.claudemesh.broker.core.port.DurableOp;
import org.junit.jupiter.api.Test;

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
            out.add(new BatchPlan.Audit(op, "{\"n\":" + n++ + "}"));
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
}
