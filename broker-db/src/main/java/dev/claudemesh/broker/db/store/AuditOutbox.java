package dev.claudemesh.broker.db.store;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.claudemesh.broker.core.audit.AuditChain;
import dev.claudemesh.broker.core.audit.AuditEvent;
import dev.claudemesh.broker.core.port.DurableOp;
import dev.claudemesh.broker.db.Database;
import dev.claudemesh.broker.db.jooq.mesh.tables.records.AuditOutboxRecord;
import org.jooq.DSLContext;

import javax.sql.DataSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import static dev.claudemesh.broker.db.jooq.mesh.Tables.AUDIT_OUTBOX;
import static org.jooq.impl.DSL.select;

/**
 * Audit events of enrolment on their way into the audit chain (PROTOCOL §7, §9). The durable writer
 * ({@link dev.claudemesh.broker.db.writer.PgDurableLog}) is the only
 * writer of {@code audit_log}: it caches each mesh's last hash, so any row appended by another code path would fork
 * the chain at the writer's next append. Enrolment changes happen elsewhere (HTTP handlers on the blocking executor,
 * and the jar's {@code invite create|revoke}, which may run while a broker uses the same database), so they record
 * their event here, in the same transaction as the change ({@link #append}) — an event is never lost for a
 * committed change, nor recorded for a rolled-back one. The running broker then {@link #take}s the events and
 * submits them to its durable writer as {@link DurableOp.AppendAudit}s, which chains them.
 *
 * <p>Delivery is at most once: {@link #take} deletes the rows it returns, and the writer never drops a submitted
 * op, so an event is lost only if the broker dies between the two commits (milliseconds). Events wait here while
 * no broker runs; each keeps its original {@code created_at}.</p>
 *
 * <p>Blocking JDBC; thread-safe. Does not own the {@link DataSource}.</p>
 */
public final class AuditOutbox {

    private static final JsonFactory JSON = new JsonFactory();

    private final DSLContext dsl;

    /** Creates the outbox over {@code dataSource}. */
    public AuditOutbox(DataSource dataSource) {
        this.dsl = Database.dsl(Objects.requireNonNull(dataSource, "dataSource"));
    }

    /** Records an event inside the caller's transaction {@code tx}. {@code payload} holds metadata only. */
    static void append(DSLContext tx, String meshId, String eventType, String actorId, Map<String, Object> payload,
                       long createdAtMs) {
        tx.insertInto(AUDIT_OUTBOX, AUDIT_OUTBOX.MESH_ID, AUDIT_OUTBOX.EVENT_TYPE, AUDIT_OUTBOX.ACTOR_ID,
                        AUDIT_OUTBOX.PAYLOAD_CANONICAL, AUDIT_OUTBOX.CREATED_AT)
                .values(meshId, eventType, actorId, AuditChain.canonicalJson(payload), Rows.time(createdAtMs))
                .execute();
    }

    /** Records a typed event inside the caller's transaction {@code tx}, its canonical payload stored as it is. */
    static void append(DSLContext tx, String meshId, String actorId, AuditEvent event, long createdAtMs) {
        tx.insertInto(AUDIT_OUTBOX, AUDIT_OUTBOX.MESH_ID, AUDIT_OUTBOX.EVENT_TYPE, AUDIT_OUTBOX.ACTOR_ID,
                        AUDIT_OUTBOX.PAYLOAD_CANONICAL, AUDIT_OUTBOX.CREATED_AT)
                .values(meshId, event.type(), actorId, event.canonicalPayload(), Rows.time(createdAtMs))
                .execute();
    }

    /**
     * Removes up to {@code max} of the oldest waiting events and returns them as ops for the durable writer, oldest
     * first. The caller must submit every op it gets (they are gone from here).
     */
    public List<DurableOp.AppendAudit> take(int max) {
        if (max < 1) {
            throw new IllegalArgumentException("max: " + max + " (expected: > 0)");
        }
        List<AuditOutboxRecord> rows = new ArrayList<>(dsl.deleteFrom(AUDIT_OUTBOX)
                .where(AUDIT_OUTBOX.ID.in(select(AUDIT_OUTBOX.ID).from(AUDIT_OUTBOX)
                        .orderBy(AUDIT_OUTBOX.ID).limit(max).forUpdate().skipLocked()))
                .returning()
                .fetch());
        rows.sort(Comparator.comparing(AuditOutboxRecord::getId));
        List<DurableOp.AppendAudit> ops = new ArrayList<>(rows.size());
        for (AuditOutboxRecord r : rows) {
            // the stored text is chained as it is: no parse and re-serialise round trip
            AuditEvent event = new AuditEvent.Canonical(r.getEventType(), r.getPayloadCanonical());
            ops.add(new DurableOp.AppendAudit(r.getMeshId(), r.getActorId(), event, Rows.millis(r.getCreatedAt())));
        }
        return ops;
    }

    /** Number of events waiting. */
    public int size() {
        return dsl.fetchCount(AUDIT_OUTBOX);
    }

    /**
     * Parses canonical JSON back into the metadata values {@link AuditChain#canonicalJson} accepts (Maps, Lists,
     * Strings, Longs, Doubles, Booleans, null).
     */
    @SuppressWarnings("unchecked")
    static Map<String, Object> parseObject(String json) {
        try (JsonParser p = JSON.createParser(json)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IllegalStateException("audit_outbox payload is not a JSON object");
            }
            return (Map<String, Object>) value(p);
        } catch (IOException e) {
            throw new UncheckedIOException("audit_outbox payload is not valid JSON", e);
        }
    }

    private static Object value(JsonParser p) throws IOException {
        JsonToken t = p.currentToken();
        switch (t) {
            case START_OBJECT -> {
                Map<String, Object> m = new LinkedHashMap<>();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String name = p.currentName();
                    p.nextToken();
                    m.put(name, value(p));
                }
                return m;
            }
            case START_ARRAY -> {
                List<Object> l = new ArrayList<>();
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    l.add(value(p));
                }
                return l;
            }
            case VALUE_STRING -> {
                return p.getText();
            }
            case VALUE_NUMBER_INT -> {
                return p.getLongValue();
            }
            case VALUE_NUMBER_FLOAT -> {
                return p.getDoubleValue();
            }
            case VALUE_TRUE -> {
                return Boolean.TRUE;
            }
            case VALUE_FALSE -> {
                return Boolean.FALSE;
            }
            case VALUE_NULL -> {
                return null;
            }
            default -> throw new IOException("unexpected token " + t);
        }
    }
}
