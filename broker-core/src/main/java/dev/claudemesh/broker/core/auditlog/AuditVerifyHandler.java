package dev.claudemesh.broker.core.auditlog;

import dev.claudemesh.broker.core.envelope.Frames;
import dev.claudemesh.broker.core.envelope.Inbound;
import dev.claudemesh.broker.core.envelope.JsonOut;
import dev.claudemesh.broker.core.mesh.MeshContext;
import dev.claudemesh.broker.core.mesh.MessageHandler;
import dev.claudemesh.broker.core.mesh.PeerSession;
import dev.claudemesh.broker.core.model.MemberRole;
import dev.claudemesh.broker.core.port.MemberRoles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code audit_verify} (PROTOCOL-MESH §14) → {@code {"type":"audit_verify_result","valid","entries","brokenAt"?,
 * "_reqId"?}} after re-walking the mesh's whole chain ({@code brokenAt}: the first bad row, only when invalid). A
 * caller that is not an admin → {@code forbidden} [fix]; a store failure → {@code audit_verify_error}. Runs on the mesh
 * loop; stateless.
 */
final class AuditVerifyHandler implements MessageHandler<MeshContext> {

    private static final Logger log = LoggerFactory.getLogger(AuditVerifyHandler.class);

    private final AuditLogStore store;
    private final MemberRoles roles;

    AuditVerifyHandler(AuditLogStore store, MemberRoles roles) {
        this.store = store;
        this.roles = roles;
    }

    @Override
    public void handle(MeshContext mesh, PeerSession from, Inbound in) {
        String meshId = mesh.meshId();
        String callerId = from.lease().member().id();
        mesh.onLoop(mesh.storage(() -> roles.roleOf(meshId, callerId) == MemberRole.ADMIN
                ? store.verify(meshId) : null), (v, failure) -> {
            if (failure != null) {
                log.warn("mesh {} conn {}: audit_verify failed: {}", meshId, from.connection().id(),
                        failure.toString());
                mesh.error(from, in, "audit_verify_error", "the audit log cannot be verified right now");
            } else if (v == null) {
                AuditQueryHandler.refuse(mesh, from, in, "forbidden", "only owner or admin can verify the audit log");
            } else {
                JsonOut o = Frames.beginReply("audit_verify_result").field("valid", v.valid())
                        .field("entries", v.entries());
                if (v.brokenAt() != null) {
                    o.field("brokenAt", v.brokenAt().longValue());
                }
                from.reply(Frames.endReply(o, in));
            }
        });
    }
}
