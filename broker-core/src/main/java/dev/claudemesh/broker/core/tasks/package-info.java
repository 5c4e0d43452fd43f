/**
 * Mesh tasks (PROTOCOL-MESH §6): {@code create_task} ({@code task_created}), the atomic {@code claim_task} (one
 * conditional UPDATE: of two concurrent claimers exactly one wins), {@code complete_task} (both answer with the mesh's
 * whole {@code task_list}) and {@code list_tasks} (newest first, at most 100). No pushes.
 * {@link dev.claudemesh.broker.core.tasks.TaskService} registers the handlers;
 * {@link dev.claudemesh.broker.core.tasks.TaskStore} is its blocking store port (broker-db implements it over the
 * {@code task} table). Per-mesh state is confined to the mesh loop; store calls run on the mesh's serial storage
 * lane.
 */
package dev.claudemesh.broker.core.tasks;
