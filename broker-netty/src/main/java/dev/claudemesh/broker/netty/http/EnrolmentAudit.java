package dev.claudemesh.broker.netty.http;

import dev.claudemesh.broker.core.port.DurableLog;
import dev.claudemesh.broker.core.port.DurableOp;
import dev.claudemesh.broker.db.store.AuditOutbox;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Objects;

/**
 * Moves enrolment audit events from the {@link AuditOutbox} into the audit chain by submitting them to the broker's
 * single durable writer, which alone appends to {@code audit_log} (so the per-mesh chain cannot fork). Runs after
 * every enrolment change this broker makes (before its HTTP answer, so {@code member_joined} precedes the member's
 * first {@code peer_joined}) and once at startup, which picks up what the jar's {@code invite create|revoke} wrote
 * while no broker — or another process — was running; events the jar writes while this broker runs are chained
 * at its next enrolment change.
 *
 * <p>Blocking (JDBC): call it on the blocking executor only. {@link #drain()} is serialised so events are submitted
 * in outbox order. Failures are logged and the events stay in the outbox for the next drain.</p>
 */
final class EnrolmentAudit {

    private static final Logger log = LoggerFactory.getLogger(EnrolmentAudit.class);
    private static final int BATCH = 256;

    private final AuditOutbox outbox;
    private final DurableLog durable;

    EnrolmentAudit(AuditOutbox outbox, DurableLog durable) {
        this.outbox = Objects.requireNonNull(outbox, "outbox");
        this.durable = Objects.requireNonNull(durable, "durable");
    }

    /** Submits every waiting event to the durable writer, oldest first. Never throws. */
    synchronized void drain() {
        try {
            List<DurableOp.AppendAudit> ops;
            do {
                ops = outbox.take(BATCH);
                for (DurableOp.AppendAudit op : ops) {
                    durable.submit(op);
                }
            } while (ops.size() == BATCH);
        } catch (RuntimeException e) {
            log.warn("enrolment audit events not moved to the audit chain yet (they stay queued): {}", e.toString());
        }
    }
}
