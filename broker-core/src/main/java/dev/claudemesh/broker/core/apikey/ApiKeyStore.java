package dev.claudemesh.broker.core.apikey;

import java.util.List;
import java.util.Objects;

/**
 * API keys' durable state (PROTOCOL-MESH §8.9, table {@code api_key}), a port implemented in broker-db. Blocking
 * (JDBC): called through {@link dev.claudemesh.broker.core.mesh.MeshContext#storage} by the WebSocket handlers and
 * from the blocking pool by the REST API. Each call is one transaction; the rights (mesh admin =
 * {@code member.role = 'admin'}) and the per-member quota are checked inside it. Times are epoch milliseconds.
 * Implementations are thread-safe. Secrets never reach this port: only their SHA-256 hash and prefix.
 */
public interface ApiKeyStore {

    /** Capabilities that only a mesh admin may put on a key (PROTOCOL-MESH §8.9 [fix]). */
    List<String> ADMIN_CAPABILITIES = List.of("admin", "state_write");

    /** A key to store. {@code topicScopes} null = every topic. */
    record NewKey(String id, String meshId, String label, String secretHash, String secretPrefix,
                  List<String> capabilities, List<String> topicScopes, String issuerMemberId, long expiresAtMs,
                  long nowMs) {
        public NewKey {
            capabilities = List.copyOf(capabilities);
            topicScopes = topicScopes == null ? null : List.copyOf(topicScopes);
        }
    }

    /** How a create ended. */
    enum CreateStatus {
        CREATED,
        /** An {@code admin} or {@code state_write} capability asked for by a member who is not a mesh admin. */
        FORBIDDEN,
        /** The member holds {@link ApiKeyLimits#maxActivePerMember} live keys already. */
        LIMIT_EXCEEDED
    }

    /** A stored key as {@code apikey_list} shows it (no hash). */
    record Key(String id, String label, String prefix, List<String> capabilities, List<String> topicScopes,
               long createdAtMs, Long lastUsedAtMs, Long revokedAtMs, Long expiresAtMs, String issuerMemberId) {
    }

    /** The outcome of a revoke: {@code revoked} (with the full id), {@code not_found} or {@code not_unique}. */
    record Revoked(String status, String id, int matches, boolean changed) {
        public Revoked {
            Objects.requireNonNull(status, "status");
        }
    }

    /** A key that authenticated a request. {@code issuerMemberId} may be null (its member was deleted). */
    record Authed(String id, String meshId, String issuerMemberId, List<String> capabilities,
                  List<String> topicScopes) {
        public Authed {
            capabilities = List.copyOf(capabilities);
            topicScopes = topicScopes == null ? null : List.copyOf(topicScopes);
        }

        /** True when the key has {@code capability} or {@code admin}. */
        public boolean can(String capability) {
            return capabilities.contains(capability) || capabilities.contains("admin");
        }

        /** True when the key may act on the topic named {@code name} (no scopes = every topic). */
        public boolean scoped(String name) {
            return topicScopes == null || topicScopes.contains(name);
        }
    }

    /**
     * Stores {@code key} unless its issuer may not have one of its capabilities or holds the most live keys already;
     * deletes the mesh's keys revoked or expired more than {@code retentionMs} ago.
     */
    CreateStatus create(NewKey key, int maxActivePerMember, long retentionMs);

    /** Newest first, revoked and expired ones included: every key of the mesh for an admin, else the caller's own. */
    List<Key> list(String meshId, String callerMemberId);

    /**
     * Revokes the key whose id is {@code idOrPrefix} or starts with it, among every key of the mesh for an admin, else
     * the caller's own (at most two candidates are looked at). Revoking a revoked key is a success that changes
     * nothing.
     */
    Revoked revoke(String meshId, String callerMemberId, String idOrPrefix, long nowMs);

    /**
     * The key whose secret has this prefix and hash (compared in constant time), when it is neither revoked nor
     * expired at {@code nowMs} and its issuer is not revoked; null otherwise. Records {@code last_used_at}.
     */
    Authed verify(String secretPrefix, String secretHash, long nowMs);
}
