package dev.claudemesh.broker.db.writer;

import dev.claudemesh.broker.core.model.StoredMessage;
import dev.claudemesh.broker.core.port.DurableOp;
import dev.claudemesh.broker.db.jooq.mesh.tables.Presence;
import dev.claudemesh.broker.db.store.Rows;
import org.jooq.BatchBindStep;
import org.jooq.DSLContext;
import org.jooq.InsertValuesStep11;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static dev.claudemesh.broker.db.jooq.mesh.Tables.AUDIT_LOG;
import static dev.claudemesh.broker.db.jooq.mesh.Tables.PRESENCE;
import static org.jooq.impl.DSL.excluded;

/**
 * The statements of one batch, each bound from a {@link BatchPlan}'s rows inside the caller's transaction. Stateless:
 * the audit rows arrive already chained ({@link AuditRows}, from {@link AuditHeads}).
 *
 * <p>The bulk inserts (queue rows, delivery marks, audit rows) are binary {@code COPY} streams ({@link CopyBuffer}): PostgreSQL's
 * cheapest way in. COPY has no {@code ON CONFLICT}, so queue rows whose id is already stored (a re-enqueue: the durable
 * log promises that it is ignored, or marks the row when it carries a folded mark) fail the COPY with a unique
 * violation; the executor then rolls back and writes them with {@link #INSERT_MESSAGES}, the idempotent upsert.</p>
 *
 * <p>The upsert fallback is plain SQL with one fixed text whatever the batch size:
 * the rows travel as one array per column through {@code unnest}, so pgjdbc server-prepares each text once per
 * connection. A jOOQ multi-row {@code VALUES} statement had a new text, hence a new parse and plan, for every row
 * count, and rendering it was most of the writer thread's CPU (docs/ARCHITECTURE.md "Durability"). Presence rows
 * (rare) and the chain-head query stay jOOQ. Epoch milliseconds travel as int8; {@code 'epoch' + ms * interval
 * '1 millisecond'} rebuilds the exact timestamp. A COPY sends timestamps as microseconds, exact as well, so every
 * audit row re-hashes.</p>
 */
final class BatchStatements {

    /** Rows per multi-row INSERT: keeps each statement far below PostgreSQL's 65535 bind parameters. */
    static final int ROWS_PER_STATEMENT = 1_000;

    private static final String EPOCH = "'epoch'::timestamptz";
    private static final byte[] NO_BYTES = new byte[0];

    /**
     * Queue rows, the fallback when {@link #copyMessages} met an id already stored. {@code ON CONFLICT} keeps a retried
     * batch idempotent; a row that exists without a delivery mark takes
     * the folded-in one (and keeps its payload). A row born delivered is written with an empty nonce and ciphertext.
     */
    static final String INSERT_MESSAGES = "INSERT INTO mesh.message_queue (id, mesh_id, sender_member_id, "
            + "sender_member_pubkey, sender_pubkey, sender_name, target_key, priority, nonce, ciphertext, "
            + "client_message_id, request_fingerprint, subtype, created_at, expires_at, delivered_at) "
            + "SELECT id, mesh_id, smid, smpk, spk, sname, tkey, prio, nonce, ct, cmid, fp, st, "
            + EPOCH + " + c * interval '1 millisecond', " + EPOCH + " + e * interval '1 millisecond', "
            + EPOCH + " + d * interval '1 millisecond' "
            + "FROM unnest(?::varchar[], ?::varchar[], ?::varchar[], ?::varchar[], ?::varchar[], ?::varchar[], "
            + "?::varchar[], ?::varchar[], ?::varchar[], ?::varchar[], ?::varchar[], ?::varchar[], ?::varchar[], "
            + "?::int8[], ?::int8[], ?::int8[]) "
            + "AS r(id, mesh_id, smid, smpk, spk, sname, tkey, prio, nonce, ct, cmid, fp, st, c, e, d) "
            + "ON CONFLICT (id) DO UPDATE SET delivered_at = EXCLUDED.delivered_at "
            + "WHERE message_queue.delivered_at IS NULL AND EXCLUDED.delivered_at IS NOT NULL";

    /**
     * Delivery marks of DMs enqueued in earlier batches, appended to {@code message_delivery} by binary COPY (V11): no
     * row of {@code message_queue} is updated, so a mark needs neither the DM's row nor its batch's commit.
     */
    static final String COPY_DELIVERIES = "COPY mesh.message_delivery (id, mesh_id, delivered_at) FROM STDIN "
            + "(FORMAT binary)";

    /** Queue rows by binary COPY, in this column order ({@link #copyMessages}). */
    static final String COPY_MESSAGES = "COPY mesh.message_queue (id, mesh_id, sender_member_id, sender_member_pubkey, "
            + "sender_pubkey, sender_name, target_key, priority, nonce, ciphertext, client_message_id, "
            + "request_fingerprint, subtype, created_at, expires_at, delivered_at) FROM STDIN (FORMAT binary)";

    /**
     * Audit rows by binary COPY, in chain order: COPY inserts in stream order, so the bigserial hands out ids in chain
     * order. There is no unique key on the hash (V3), and a batch is never applied twice (see {@link AuditHeads}).
     */
    static final String COPY_AUDITS = "COPY mesh.audit_log (mesh_id, event_type, actor_id, payload_canonical, "
            + "created_at, prev_hash, hash) FROM STDIN (FORMAT binary)";

    /**
     * A batch's audit rows as columns, in chain order, with their hashes (all text already cleaned of NUL). The
     * canonical payloads are UTF-8 bytes in one array ({@link #payloadBytes()}, row {@code i} from
     * {@code payloadEnds()[i - 1]} (0 for the first) to {@code payloadEnds()[i]}), as the writer hashed them.
     */
    static final class AuditRows {
        private final String[] meshIds;
        private final String[] eventTypes;
        private final String[] actorIds;
        private final long[] createdAtMs;
        private final String[] prevHashes;
        private final String[] hashes;
        private final int[] payloadEnds;
        private byte[] payloadBytes;
        private int payloadLength;

        private AuditRows(int n, byte[] payloadArena) {
            meshIds = new String[n];
            eventTypes = new String[n];
            actorIds = new String[n];
            createdAtMs = new long[n];
            prevHashes = new String[n];
            hashes = new String[n];
            payloadEnds = new int[n];
            payloadBytes = payloadArena;
        }

        /** {@code n} rows whose payloads go into {@code payloadArena} (grown when too small; reused by the caller). */
        static AuditRows ofSize(int n, byte[] payloadArena) {
            return new AuditRows(n, payloadArena);
        }

        /** Sets row {@code i}'s payload to {@code utf8[0, n)}; rows are set in order. */
        void payload(int i, byte[] utf8, int n) {
            if (payloadLength + n > payloadBytes.length) {
                payloadBytes = Arrays.copyOf(payloadBytes, Math.max(payloadBytes.length * 2, payloadLength + n));
            }
            System.arraycopy(utf8, 0, payloadBytes, payloadLength, n);
            payloadLength += n;
            payloadEnds[i] = payloadLength;
        }

        /** Row {@code i}'s payload as text (tests). */
        String payload(int i) {
            int from = i == 0 ? 0 : payloadEnds[i - 1];
            return new String(payloadBytes, from, payloadEnds[i] - from, StandardCharsets.UTF_8);
        }

        String[] meshIds() {
            return meshIds;
        }

        String[] eventTypes() {
            return eventTypes;
        }

        String[] actorIds() {
            return actorIds;
        }

        long[] createdAtMs() {
            return createdAtMs;
        }

        String[] prevHashes() {
            return prevHashes;
        }

        String[] hashes() {
            return hashes;
        }

        int[] payloadEnds() {
            return payloadEnds;
        }

        byte[] payloadBytes() {
            return payloadBytes;
        }

        int size() {
            return meshIds.length;
        }
    }

    private BatchStatements() {
    }

    static void insertMessages(Connection c, List<BatchPlan.Enqueue> rows) throws SQLException {
        if (rows.isEmpty()) {
            return;
        }
        int n = rows.size();
        String[][] text = new String[13][n];
        Long[] created = new Long[n];
        Long[] expires = new Long[n];
        Long[] delivered = new Long[n];
        for (int i = 0; i < n; i++) {
            BatchPlan.Enqueue row = rows.get(i);
            StoredMessage m = row.message();
            text[0][i] = Rows.clean(m.messageId());
            text[1][i] = Rows.clean(m.meshId());
            text[2][i] = Rows.clean(m.senderMemberId());
            text[3][i] = Rows.clean(m.senderMemberPubkey());
            text[4][i] = Rows.clean(m.senderPubkey());
            text[5][i] = Rows.clean(m.senderName());
            text[6][i] = Rows.clean(m.targetKey());
            text[7][i] = Rows.clean(m.priority());
            // born delivered (its client_ack folded in): nothing will ever push it again, so its payload is not
            // stored, as for a multicast record; message_status needs only the id, target and delivered_at
            boolean bornDelivered = row.deliveredAtMs() != null;
            text[8][i] = bornDelivered ? "" : new String(m.nonce(), StandardCharsets.US_ASCII);
            text[9][i] = bornDelivered ? "" : new String(m.ciphertext(), StandardCharsets.US_ASCII);
            text[10][i] = Rows.clean(m.clientMessageId());
            text[11][i] = Rows.clean(m.requestFingerprint());
            text[12][i] = m.subtype();
            created[i] = m.createdAtMs();
            expires[i] = m.expiresAtMs();
            delivered[i] = row.deliveredAtMs();
        }
        try (PreparedStatement ps = c.prepareStatement(INSERT_MESSAGES)) {
            int p = 1;
            for (String[] column : text) {
                ps.setArray(p++, c.createArrayOf("varchar", column));
            }
            ps.setArray(p++, c.createArrayOf("int8", created));
            ps.setArray(p++, c.createArrayOf("int8", expires));
            ps.setArray(p, c.createArrayOf("int8", delivered));
            ps.executeUpdate();
        }
    }

    static void upsertPresences(DSLContext tx, List<DurableOp.UpsertPresence> upserts) {
        Presence p = PRESENCE;
        for (int from = 0; from < upserts.size(); from += ROWS_PER_STATEMENT) {
            int to = Math.min(upserts.size(), from + ROWS_PER_STATEMENT);
            InsertValuesStep11<?, String, String, String, String, String, String, String, Long, String, String,
                    OffsetDateTime> step = tx.insertInto(p, p.ID, p.MESH_ID, p.MEMBER_ID, p.SESSION_PUBKEY,
                    p.SESSION_ID, p.DISPLAY_NAME, p.CWD, p.PID, p.STATUS, p.PEER_ROLE, p.CONNECTED_AT);
            for (int i = from; i < to; i++) {
                DurableOp.UpsertPresence u = upserts.get(i);
                step = step.values(Rows.clean(u.presenceId()), u.meshId(), u.memberId(), Rows.clean(u.sessionPubkey()),
                        Rows.clean(u.sessionId()), Rows.clean(u.displayName()), Rows.clean(u.cwd()), u.pid(),
                        Rows.clean(u.status()), Rows.clean(u.peerRole()), Rows.time(u.connectedAtMs()));
            }
            step.onConflict(p.ID).doUpdate()
                    .set(p.MESH_ID, excluded(p.MESH_ID))
                    .set(p.MEMBER_ID, excluded(p.MEMBER_ID))
                    .set(p.SESSION_PUBKEY, excluded(p.SESSION_PUBKEY))
                    .set(p.SESSION_ID, excluded(p.SESSION_ID))
                    .set(p.DISPLAY_NAME, excluded(p.DISPLAY_NAME))
                    .set(p.CWD, excluded(p.CWD))
                    .set(p.PID, excluded(p.PID))
                    .set(p.STATUS, excluded(p.STATUS))
                    .set(p.PEER_ROLE, excluded(p.PEER_ROLE))
                    .set(p.CONNECTED_AT, excluded(p.CONNECTED_AT))
                    .set(p.DISCONNECTED_AT, (OffsetDateTime) null)
                    .execute();
        }
    }

    static void disconnectPresences(DSLContext tx, Map<String, Long> atMsByPresenceId) {
        if (atMsByPresenceId.isEmpty()) {
            return;
        }
        Presence p = PRESENCE;
        BatchBindStep batch = tx.batch(tx.update(p)
                .set(p.DISCONNECTED_AT, (OffsetDateTime) null)
                .where(p.ID.eq((String) null)));
        atMsByPresenceId.forEach((id, atMs) -> batch.bind(Rows.time(atMs), Rows.clean(id)));
        batch.execute();
    }

    /** Appends the marks to {@code message_delivery} by binary COPY (the plan keeps one mark per id). */
    static void copyDeliveries(Connection c, CopyBuffer copy, CopyBuffer.Sender sender,
                               List<DurableOp.MarkDelivered> marks) throws SQLException {
        if (marks.isEmpty()) {
            return;
        }
        copy.start();
        for (DurableOp.MarkDelivered m : marks) {
            copy.row(3);
            copy.text(Rows.clean(m.messageId()));
            copy.text(Rows.clean(m.meshId()));
            copy.timestamp(m.deliveredAtMs());
        }
        copy.copyIn(c, COPY_DELIVERIES, sender);
    }

    /** Writes {@code rows} by binary COPY; throws a unique violation (23505) when an id is already stored. */
    static void copyMessages(Connection c, CopyBuffer copy, CopyBuffer.Sender sender, List<BatchPlan.Enqueue> rows) throws SQLException {
        if (rows.isEmpty()) {
            return;
        }
        copy.start();
        for (BatchPlan.Enqueue row : rows) {
            StoredMessage m = row.message();
            // born delivered: no payload stored (see insertMessages)
            boolean bornDelivered = row.deliveredAtMs() != null;
            copy.row(16);
            copy.text(Rows.clean(m.messageId()));
            copy.text(Rows.clean(m.meshId()));
            copy.text(Rows.clean(m.senderMemberId()));
            copy.text(Rows.clean(m.senderMemberPubkey()));
            copy.text(Rows.clean(m.senderPubkey()));
            copy.text(Rows.clean(m.senderName()));
            copy.text(Rows.clean(m.targetKey()));
            copy.text(Rows.clean(m.priority()));
            if (bornDelivered) {
                copy.bytes(NO_BYTES);
                copy.bytes(NO_BYTES);
            } else {
                copy.payload(m.payload(), true);
                copy.payload(m.payload(), false);
            }
            copy.text(Rows.clean(m.clientMessageId()));
            copy.text(Rows.clean(m.requestFingerprint()));
            copy.text(m.subtype());
            copy.timestamp(m.createdAtMs());
            copy.timestamp(m.expiresAtMs());
            copy.timestampOrNull(row.deliveredAtMs());
        }
        copy.copyIn(c, COPY_MESSAGES, sender);
    }

    static void copyAudits(Connection c, CopyBuffer copy, CopyBuffer.Sender sender, AuditRows rows) throws SQLException {
        if (rows.size() == 0) {
            return;
        }
        copy.start();
        byte[] payloads = rows.payloadBytes();
        int from = 0;
        for (int i = 0; i < rows.size(); i++) {
            int to = rows.payloadEnds()[i];
            copy.row(7);
            copy.text(rows.meshIds()[i]);
            copy.text(rows.eventTypes()[i]);
            copy.text(rows.actorIds()[i]);
            copy.utf8(payloads, from, to - from);
            from = to;
            copy.timestamp(rows.createdAtMs()[i]);
            copy.text(rows.prevHashes()[i]);
            copy.text(rows.hashes()[i]);
        }
        copy.copyIn(c, COPY_AUDITS, sender);
    }

    /** The stored hash of the mesh's last audit row, or null when it has none (via audit_log_pk (mesh_id, id), V12). */
    static String chainHead(DSLContext dsl, String meshId) {
        return dsl.select(AUDIT_LOG.HASH).from(AUDIT_LOG)
                .where(AUDIT_LOG.MESH_ID.eq(meshId))
                .orderBy(AUDIT_LOG.ID.desc())
                .limit(1)
                .fetchOne(AUDIT_LOG.HASH);
    }
}
