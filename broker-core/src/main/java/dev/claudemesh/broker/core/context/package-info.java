/**
 * Contexts (PROTOCOL-MESH §11.1, §11.2): one work-context summary per member of a mesh, shared with
 * {@code share_context} and searched with {@code get_context} / {@code list_contexts}.
 * {@link dev.claudemesh.broker.core.context.ContextService} serves them over its store port
 * {@link dev.claudemesh.broker.core.context.ContextStore}.
 */
package dev.claudemesh.broker.core.context;
