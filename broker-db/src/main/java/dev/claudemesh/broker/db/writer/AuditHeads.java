package dev.claudemesh.broker.db.writer;

import dev.claudemesh.broker.core.audit.AuditChain;
import dev.claudemesh.broker.core.audit.AuditHasher;
import dev.claudemesh.broker.core.audit.CanonicalJson;
import dev.claudemesh.broker.core.port.DurableOp;
import dev.claudemesh.broker.db.store.Rows;

import java.sql.SQLException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The head (last hash) of every audit chain this writer appends to, kept true across failures. The writer is the
 * only writer of {@code audit_log} (one chain per mesh, one writer per mesh), so the head is read from the database
 * once, on a mesh's first append, and then advanced here as each row is hashed ({@link AuditHasher}, the hash of
 * {@link AuditChain}) over the canonical payload that is stored verbatim.
 *
 * <p>Per attempt at a batch ({@link #beginAttempt}): the heads it moved are remembered, and put back when the attempt
 * {@link #failed}. When the failure came from the {@code COMMIT} itself, the batch may have committed anyway (the
 * connection broke after the server committed): the heads it would have left are kept, and the next attempt asks
 * {@link #committedEarlier} first. All of a batch's audit rows are in one transaction, so the head of one of its
 * meshes tells for all: when it is the batch's own last hash the batch is not applied again. A batch without audit
 * rows never needs this: its statements are idempotent. Confined to the writer thread.</p>
 *
 * <p>Pipelined batches ({@link BatchPipeline}) chain from the heads the batch before them left, before that batch
 * committed. Each takes its attempt's pre-batch heads ({@link #attemptBefore}) and the heads it leaves
 * ({@link #current}) with it; when a batch in flight fails, the writer puts back the pre-batch heads of it and of
 * every later one, latest first ({@link #undo}), so the cache is as it was before the failed batch, and a COMMIT
 * that failed arms the lost-commit check with the heads that batch would have left ({@link #expectLostCommit}).</p>
 */
final class AuditHeads {

    /** Reads a mesh's stored chain head: the hash of its last row, or null when it has none. */
    @FunctionalInterface
    interface HeadReader {
        String chainHead(String meshId) throws SQLException;
    }

    private final Map<String, String> lastHashByMesh = new HashMap<>();
    private final CanonicalJson json = CanonicalJson.writer();
    private final AuditHasher hasher = new AuditHasher();
    /** The payload bytes of the last batch's rows, reused by the next. */
    private byte[] payloadArena = new byte[16 * 1024];
    /** The current attempt's meshes and their heads before it (null: not loaded). */
    private final Map<String, String> before = new HashMap<>();
    /** Set when an attempt failed in its COMMIT: mesh id → the head it left if it did commit. */
    private Map<String, String> headsIfCommitted;

    /** Starts an attempt at a batch. */
    void beginAttempt() {
        before.clear();
    }

    /**
     * Hashes {@code audits} onto their chains in order and returns them as rows to insert; a mesh seen for the first
     * time has its head read with {@code reader} (inside the attempt's transaction). Each event's canonical JSON is
     * written here, as UTF-8 bytes into one reused writer, hashed from there and copied into the rows: no
     * {@code String} per event. The rows' payload bytes are valid until the next call (they share one array).
     */
    BatchStatements.AuditRows chain(List<BatchPlan.Audit> audits, HeadReader reader) throws SQLException {
        BatchStatements.AuditRows rows = BatchStatements.AuditRows.ofSize(audits.size(), payloadArena);
        for (int i = 0; i < audits.size(); i++) {
            DurableOp.AppendAudit op = audits.get(i).op();
            String meshId = Rows.clean(op.meshId());
            String eventType = Rows.clean(op.eventType());
            String actorId = Rows.clean(op.actorId());
            op.event().writeCanonical(json.reset()); // escaped JSON: no NUL to clean
            long createdAtMs = op.createdAtMs();
            String prev = head(meshId, reader);
            String hash = hasher.hash(prev, meshId, eventType, actorId, json.bytes(), json.length(), createdAtMs);
            lastHashByMesh.put(meshId, hash);
            rows.meshIds()[i] = meshId;
            rows.eventTypes()[i] = eventType;
            rows.actorIds()[i] = actorId;
            rows.payload(i, json.bytes(), json.length());
            rows.createdAtMs()[i] = createdAtMs;
            rows.prevHashes()[i] = prev;
            rows.hashes()[i] = hash;
        }
        payloadArena = rows.payloadBytes();
        return rows;
    }

    /** The mesh's head, loaded on first use; remembers its pre-attempt state. */
    private String head(String meshId, HeadReader reader) throws SQLException {
        String cached = lastHashByMesh.get(meshId);
        if (!before.containsKey(meshId)) {
            before.put(meshId, cached);
        }
        if (cached != null) {
            return cached;
        }
        String last = reader.chainHead(meshId);
        String prev = last == null ? AuditChain.GENESIS : last;
        lastHashByMesh.put(meshId, prev);
        return prev;
    }

    /**
     * The attempt failed and was rolled back, or — {@code inCommit} — failed in its COMMIT, outcome unknown: then its
     * heads are kept for {@link #committedEarlier}. Either way the cache goes back to its pre-attempt state.
     */
    void failed(boolean inCommit) {
        if (inCommit && !before.isEmpty()) {
            headsIfCommitted = new HashMap<>();
            for (String meshId : before.keySet()) {
                headsIfCommitted.put(meshId, lastHashByMesh.get(meshId));
            }
        }
        before.forEach((meshId, head) -> {
            if (head == null) {
                lastHashByMesh.remove(meshId);
            } else {
                lastHashByMesh.put(meshId, head);
            }
        });
        before.clear();
    }

    /**
     * Whether the batch whose COMMIT failed earlier did commit: true (and the heads take its values) when one of its
     * meshes' stored head, read with {@code reader}, is the hash it appended last. False when no COMMIT failed, or the
     * batch did not commit (then it is applied again). When the read fails the question stays open for the next
     * attempt.
     */
    boolean committedEarlier(HeadReader reader) throws SQLException {
        if (headsIfCommitted == null) {
            return false;
        }
        Map.Entry<String, String> probe = headsIfCommitted.entrySet().iterator().next();
        boolean committed = probe.getValue().equals(reader.chainHead(probe.getKey()));
        if (committed) {
            lastHashByMesh.putAll(headsIfCommitted);
        }
        headsIfCommitted = null;
        return committed;
    }

    /** The current attempt's meshes and their heads before it (null: not loaded then); the attempt is over. */
    Map<String, String> attemptBefore() {
        Map<String, String> copy = new HashMap<>(before);
        before.clear();
        return copy;
    }

    /** The cached heads of {@code meshIds} now. */
    Map<String, String> current(Iterable<String> meshIds) {
        Map<String, String> now = new HashMap<>();
        for (String meshId : meshIds) {
            now.put(meshId, lastHashByMesh.get(meshId));
        }
        return now;
    }

    /** Puts back heads taken with {@link #attemptBefore} (a batch in flight failed or was rolled back). */
    void undo(Map<String, String> heads) {
        heads.forEach((meshId, head) -> {
            if (head == null) {
                lastHashByMesh.remove(meshId);
            } else {
                lastHashByMesh.put(meshId, head);
            }
        });
    }

    /**
     * A pipelined batch's COMMIT failed: {@link #committedEarlier} will compare {@code headsIfCommitted} (its
     * {@link #current} heads right after it was chained) with the database. No-op for a batch without audit rows.
     */
    void expectLostCommit(Map<String, String> headsIfCommitted) {
        if (!headsIfCommitted.isEmpty()) {
            this.headsIfCommitted = new HashMap<>(headsIfCommitted);
        }
    }

    /** The batch is done (committed): nothing of it is pending any more. */
    void batchDone() {
        before.clear();
        headsIfCommitted = null;
    }

    /** The cached head of {@code meshId}, or null when not loaded (tests). */
    String cached(String meshId) {
        return lastHashByMesh.get(meshId);
    }
}
