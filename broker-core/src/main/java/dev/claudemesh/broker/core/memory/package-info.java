/**
 * Mesh memory (PROTOCOL-MESH §5): {@code remember} ({@code memory_stored} with {@code id} and {@code memoryId}),
 * {@code recall} (PostgreSQL full-text search, ranked, at most 20: {@code memory_results}, then
 * {@code memory_recall_result} for the daemon) and the soft {@code forget} (an ack-shaped reply).
 * {@link dev.claudemesh.broker.core.memory.MemoryService} registers the handlers;
 * {@link dev.claudemesh.broker.core.memory.MemoryStore} is its blocking store port (broker-db implements it over the
 * {@code memory} table). Per-mesh state is confined to the mesh loop; store calls run on the mesh's serial storage
 * lane.
 */
package dev.claudemesh.broker.core.memory;
