package dev.claudemesh.broker.core.auditlog;

import dev.claudemesh.broker.core.audit.AuditChain;
import dev.claudemesh.broker.core.envelope.Frames;
import dev.claudemesh.broker.core.envelope.Inbound;
import dev.claudemesh.broker.core.envelope.JsonNode;
import dev.claudemesh.broker.core.envelope.JsonOut;
import dev.claudemesh.broker.core.envelope.JsonTree;
import dev.claudemesh.broker.core.mesh.MeshContext;
import dev.claudemesh.broker.core.mesh.MessageHandler;
import dev.claudemesh.broker.core.mesh.PeerSession;
import dev.claudemesh.broker.core.model.MemberRole;
import dev.claudemesh.broker.core.port.MemberRoles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;

/**
 * {@code audit_query {limit?, offset?, eventType?}} (PROTOCOL-MESH §14) →
 * {@code {"type":"audit_result","entries":[{"id","eventType","actor","payload","hash","createdAt"}],"total","_reqId"?}}:
 * the caller's mesh, newest first, {@code limit} 50 by default and capped to the configured maximum [fix],
 * {@code offset} 0 by default, {@code eventType} exact (empty = any). A negative or fractional {@code limit} or
 * {@code offset}, or a non-string {@code eventType} → {@code bad_request}; a caller that is not an admin →
 * {@code forbidden} [fix]; a store failure → {@code audit_query_error}. The role check and the query are one storage
 * call. Runs on the mesh loop; stateless.
 */
final class AuditQueryHandler implements MessageHandler<MeshContext> {

    private static final Logger log = LoggerFactory.getLogger(AuditQueryHandler.class);

    private final AuditLogStore store;
    private final MemberRoles roles;
    private final int maxRows;

    AuditQueryHandler(AuditLogStore store, MemberRoles roles, int maxRows) {
        this.store = store;
        this.roles = roles;
        this.maxRows = maxRows;
    }

    @Override
    public void handle(MeshContext mesh, PeerSession from, Inbound in) {
        JsonNode.ObjectNode body = in.body();
        long limit = nonNegative(body.get("limit"), AuditLogService.DEFAULT_LIMIT);
        long offset = nonNegative(body.get("offset"), 0);
        JsonNode type = body.get("eventType");
        if (limit < 0 || offset < 0 || (type != null && !(type instanceof JsonNode.NullNode)
                && !(type instanceof JsonNode.StringNode))) {
            refuse(mesh, from, in, "bad_request",
                    "limit and offset must be non-negative integers, eventType a string");
            return;
        }
        String eventType = type instanceof JsonNode.StringNode s && !s.value().isEmpty() ? s.value() : null;
        int rows = (int) Math.min(limit, maxRows);
        String meshId = mesh.meshId();
        String callerId = from.lease().member().id();
        mesh.onLoop(mesh.storage(() -> roles.roleOf(meshId, callerId) == MemberRole.ADMIN
                ? store.query(meshId, rows, offset, eventType) : null), (page, failure) -> {
            if (failure != null) {
                log.warn("mesh {} conn {}: audit_query failed: {}", meshId, from.connection().id(),
                        failure.toString());
                mesh.error(from, in, "audit_query_error", "the audit log cannot be read right now");
            } else if (page == null) {
                refuse(mesh, from, in, "forbidden", "only owner or admin can query the audit log");
            } else {
                from.reply(reply(page, in));
            }
        });
    }

    private static byte[] reply(AuditLogStore.Page page, Inbound in) {
        JsonOut o = new JsonOut(256 + 256 * page.entries().size()).beginObject().field("type", "audit_result")
                .name("entries").beginArray();
        for (AuditLogStore.Entry e : page.entries()) {
            byte[] payload = e.payloadJson().getBytes(StandardCharsets.UTF_8);
            o.beginObject().field("id", e.id()).field("eventType", e.eventType()).field("actor", e.actor())
                    .name("payload").value(JsonTree.parseObject(payload, 0, payload.length))
                    .field("hash", e.hash()).field("createdAt", AuditChain.isoMillis(e.createdAtMs())).endObject();
        }
        o.endArray().field("total", page.total());
        return Frames.endReply(o, in);
    }

    /**
     * A non-negative integer field: {@code dflt} when absent or null, -1 when it is anything but a non-negative
     * integer (large values saturate).
     */
    static long nonNegative(JsonNode v, long dflt) {
        if (v == null || v instanceof JsonNode.NullNode) {
            return dflt;
        }
        if (!(v instanceof JsonNode.NumberNode n)) {
            return -1;
        }
        BigDecimal d = n.decimalValue();
        if (d.signum() < 0 || d.stripTrailingZeros().scale() > 0) {
            return -1;
        }
        return d.min(BigDecimal.valueOf(Long.MAX_VALUE)).longValue();
    }

    static void refuse(MeshContext mesh, PeerSession from, Inbound in, String code, String message) {
        mesh.error(from, in, code, message); // logs the one line of the refusal
    }
}
