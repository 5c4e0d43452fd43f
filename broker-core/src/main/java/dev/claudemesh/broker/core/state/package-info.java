/**
 * Shared state (PROTOCOL-MESH §4): {@code set_state} (no reply; a {@code state_change} push to every other lease once
 * the upsert committed), {@code get_state} ({@code state_result}, then {@code state_data} for the daemon) and
 * {@code list_state}. {@link dev.claudemesh.broker.core.state.SharedStateService} registers the handlers;
 * {@link dev.claudemesh.broker.core.state.StateStore} is its blocking store port (broker-db implements it over the
 * {@code state} table). Per-mesh state is confined to the mesh loop; store calls run on the mesh's serial storage
 * lane, so a {@code get_state} after a {@code set_state} from the same socket sees it.
 */
package dev.claudemesh.broker.core.state;
