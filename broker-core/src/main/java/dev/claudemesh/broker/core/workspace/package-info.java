/**
 * What the workspace services (shared state {@code core.state}, memory {@code core.memory}, tasks
 * {@code core.tasks}; PROTOCOL-MESH §4-§6) share: reading and checking the fields of a request
 * ({@link dev.claudemesh.broker.core.workspace.RequestFields}) and answering a rejected or failed request with one
 * error frame and one log line ({@link dev.claudemesh.broker.core.workspace.Rejections}). Stateless; thread-safe.
 */
package dev.claudemesh.broker.core.workspace;
