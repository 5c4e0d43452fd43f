/**
 * The audit log's hash chain (PROTOCOL §7): {@link dev.claudemesh.broker.core.audit.AuditChain} hashes,
 * {@link dev.claudemesh.broker.core.audit.AuditEvent} the typed events that know their canonical payload, and
 * {@link dev.claudemesh.broker.core.audit.CanonicalJson} the writer of canonical JSON they use. Stateless or
 * immutable; thread-safe.
 */
package dev.claudemesh.broker.core.audit;
