/**
 * The audit log over the WebSocket (PROTOCOL-MESH §14): {@code audit_query} and {@code audit_verify}, for the mesh's
 * admins only [fix], with a capped page size.
 */
package dev.claudemesh.broker.core.auditlog;
