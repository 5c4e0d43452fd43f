package dev.claudemesh.broker.db.writer;

import dev.claudemesh.broker.core.audit.AuditChain;
import dev.claudemesh.broker.core.audit.AuditEvent;
import dev.claudemesh.broker.core.port.DurableOp;

import java.util.Map;

/** Audit ops with arbitrary payloads for writer tests: the map's canonical text as an already-canonical event. */
public final class TestAudits {

    private TestAudits() {
    }

    public static DurableOp.AppendAudit audit(String meshId, String eventType, String actorId, Map<String, Object> payload,
                                       long createdAtMs) {
        return new DurableOp.AppendAudit(meshId, actorId,
                new AuditEvent.Canonical(eventType, AuditChain.canonicalJson(payload)), createdAtMs);
    }
}
