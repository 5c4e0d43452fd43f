/**
 * The vault (PROTOCOL-MESH §13): a member's sealed secrets. The client encrypts each value with a random key and
 * seals that key to its own member key; the broker stores the base64 texts as given, never opens them, never logs
 * them, and serves an entry only to the member that stored it, in the mesh it stored it in.
 * {@link dev.claudemesh.broker.core.vault.VaultService} serves {@code vault_set}, {@code vault_get},
 * {@code vault_list} and {@code vault_delete} over its store port {@link dev.claudemesh.broker.core.vault.VaultStore}.
 */
package dev.claudemesh.broker.core.vault;
