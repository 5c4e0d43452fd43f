package dev.claudemesh.broker.core.port;

import dev.claudemesh.broker.core.model.Member;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Looks up members for authentication. Implemented by the storage adapter (broker-db), normally with
 * a cache in front of the database. Lookups never block the caller: the future completes on a
 * storage thread.
 */
public interface MemberDirectory {

    /**
     * Finds the member of {@code meshId} with public key {@code pubkey} (64 lowercase hex), revoked or not.
     * If both a revoked and an active row could exist, the active one wins. Empty when none exists.
     */
    CompletableFuture<Optional<Member>> findByPubkey(String meshId, String pubkey);

    /** Drops any cached entry for this member so that the next lookup sees the database (after revoke). */
    void invalidate(String meshId, String pubkey);
}
