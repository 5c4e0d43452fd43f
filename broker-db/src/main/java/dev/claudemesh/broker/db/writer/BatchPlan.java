package dev.claudemesh.broker.db.writer;

import dev.claudemesh.broker.core.model.StoredMessage;
import dev.claudemesh.broker.core.port.DurableOp;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What one batch of ops does to the database, grouped into one statement per kind while keeping the outcome of
 * applying the ops one by one in submission order (the statements run as listed here, except that audit rows and
 * delivery marks go before presence disconnects: they touch other tables, and disconnects may have to wait for an
 * earlier pipelined batch, {@link #dependsOn}):
 * <ol>
 *   <li>queue inserts first: a delivery mark for a DM always follows its enqueue (the DM is pushed only after
 *       it was submitted), so marks in the same batch find their row. A mark whose DM is enqueued in the same
 *       batch is folded into that insert ({@link Enqueue#deliveredAtMs()}): one row written once instead of an
 *       insert and an update (at load most DMs are pushed and {@code client_ack}ed before their batch commits).
 *       A repeated enqueue of the same id is dropped (the first one wins, as {@code ON CONFLICT DO NOTHING}
 *       would have it);</li>
 *   <li>presence ops are folded per presence id: the last upsert wins, and a disconnect survives only if no upsert
 *       follows it (a multi-row upsert may not touch one row twice anyway);</li>
 *   <li>delivery marks of DMs from earlier batches, the first per id, appended to {@code message_delivery} (V11):
 *       a DM is delivered when its queue row was born delivered or such a mark exists;</li>
 *   <li>audit appends, in submission order (the chain order).</li>
 * </ol>
 * Confined to the writer thread.
 */
final class BatchPlan {

    /**
     * An audit append; its event's canonical JSON is written, hashed and copied on the writer thread
     * ({@link AuditHeads#chain}).
     */
    record Audit(DurableOp.AppendAudit op) {
    }

    /** A queue insert; {@code deliveredAtMs} is set when the DM's delivery mark was folded in (else null). */
    static final class Enqueue {
        final StoredMessage message;
        Long deliveredAtMs;

        Enqueue(StoredMessage message) {
            this.message = message;
        }

        StoredMessage message() {
            return message;
        }

        Long deliveredAtMs() {
            return deliveredAtMs;
        }
    }

    final List<Enqueue> enqueues = new ArrayList<>();
    private final Map<String, Enqueue> enqueueById = new HashMap<>();
    private final Set<String> markedIds = new HashSet<>();
    final Map<String, DurableOp.UpsertPresence> upserts = new LinkedHashMap<>();
    final Map<String, Long> disconnectAtMsByPresenceId = new LinkedHashMap<>();
    final List<DurableOp.MarkDelivered> marks = new ArrayList<>();
    final List<Audit> audits = new ArrayList<>();

    /** Adds the ops of {@code batch} in order (flush markers skipped). */
    void addAll(List<Pending> batch) {
        for (Pending p : batch) {
            if (!p.isMarker()) {
                add(p.op());
            }
        }
    }

    /**
     * Whether a presence disconnect of this batch updates a row that {@code earlier} inserts: an UPDATE does not see
     * another transaction's uncommitted rows, so then this batch's updates must wait until {@code earlier} committed.
     * Delivery marks do not count: they are appended to their own table (V11) and need no row of {@code earlier}.
     */
    boolean dependsOn(BatchPlan earlier) {
        for (String presenceId : disconnectAtMsByPresenceId.keySet()) {
            if (earlier.upserts.containsKey(presenceId)) {
                return true;
            }
        }
        return false;
    }

    /** Adds {@code op} (in submission order). */
    void add(DurableOp op) {
        OpKind.of(op).addTo(this, op);
    }

    /** A queue insert; a repeated id is dropped (the first one wins). */
    void enqueue(DurableOp.EnqueueMessage e) {
        Enqueue row = new Enqueue(e.message());
        if (enqueueById.putIfAbsent(e.message().messageId(), row) == null) {
            enqueues.add(row);
        }
    }

    /** A delivery mark: folded into its DM's insert when that is in this batch, else the first mark per id. */
    void markDelivered(DurableOp.MarkDelivered m) {
        Enqueue row = enqueueById.get(m.messageId());
        if (row == null) {
            if (markedIds.add(m.messageId())) {
                marks.add(m);
            }
        } else if (row.deliveredAtMs == null) {
            row.deliveredAtMs = m.deliveredAtMs();
        }
    }

    /** The last upsert per presence wins, and cancels an earlier disconnect of it. */
    void upsertPresence(DurableOp.UpsertPresence u) {
        upserts.put(u.presenceId(), u);
        disconnectAtMsByPresenceId.remove(u.presenceId());
    }

    void disconnectPresence(DurableOp.DisconnectPresence d) {
        disconnectAtMsByPresenceId.put(d.presenceId(), d.disconnectedAtMs());
    }

    /** An audit append, in chain order. */
    void appendAudit(DurableOp.AppendAudit a) {
        audits.add(new Audit(a));
    }

    boolean isEmpty() {
        return enqueues.isEmpty() && upserts.isEmpty() && disconnectAtMsByPresenceId.isEmpty() && marks.isEmpty()
                && audits.isEmpty();
    }

    void clear() {
        enqueues.clear();
        enqueueById.clear();
        markedIds.clear();
        upserts.clear();
        disconnectAtMsByPresenceId.clear();
        marks.clear();
        audits.clear();
    }
}
