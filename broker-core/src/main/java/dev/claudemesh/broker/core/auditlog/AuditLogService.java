package dev.claudemesh.broker.core.auditlog;

import dev.claudemesh.broker.core.mesh.MeshContext;
import dev.claudemesh.broker.core.mesh.MeshService;
import dev.claudemesh.broker.core.port.MemberRoles;

import java.util.Objects;

/**
 * {@code audit_query} and {@code audit_verify} (PROTOCOL-MESH §14) with the [fix]: only the mesh's admins may read its
 * audit log (others get {@code forbidden}), and a page holds at most {@code maxRows} rows. Payloads are the stored
 * metadata; the broker's events never carry values, contents or ciphertext. Stateless apart from its ports;
 * thread-safe.
 */
public final class AuditLogService implements MeshService<MeshContext> {

    /** {@code limit} when the request gives none (the original's default). */
    public static final int DEFAULT_LIMIT = 50;

    private final AuditLogStore store;
    private final MemberRoles roles;
    private final int maxRows;

    /**
     * @param maxRows the most rows one {@code audit_query} returns (a larger {@code limit} is capped to it)
     */
    public AuditLogService(AuditLogStore store, MemberRoles roles, int maxRows) {
        this.store = Objects.requireNonNull(store, "store");
        this.roles = Objects.requireNonNull(roles, "roles");
        if (maxRows < 1) {
            throw new IllegalArgumentException("maxRows: " + maxRows + " (expected: > 0)");
        }
        this.maxRows = maxRows;
    }

    @Override
    public String name() {
        return "audit";
    }

    @Override
    public void registerHandlers(Registrar<MeshContext> r) {
        r.handle("audit_query", new AuditQueryHandler(store, roles, maxRows));
        r.handle("audit_verify", new AuditVerifyHandler(store, roles));
    }

    @Override
    public MeshContext createMeshState(MeshContext mesh) {
        return mesh;
    }
}
