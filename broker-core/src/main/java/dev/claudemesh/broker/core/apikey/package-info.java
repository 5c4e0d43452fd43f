/**
 * API keys over the WebSocket (PROTOCOL-MESH §8.9): {@code apikey_create}, {@code apikey_list},
 * {@code apikey_revoke}, with the capability rules of the [fix] (members mint {@code read}/{@code send} keys for
 * themselves; {@code admin}/{@code state_write} keys and revoking others' keys are for mesh admins). Secrets are made
 * here ({@link dev.claudemesh.broker.core.apikey.ApiKeySecrets}), shown once, and stored as SHA-256 hashes only; keys
 * always expire. The REST API verifies them through {@link dev.claudemesh.broker.core.apikey.ApiKeyStore#verify}.
 */
package dev.claudemesh.broker.core.apikey;
