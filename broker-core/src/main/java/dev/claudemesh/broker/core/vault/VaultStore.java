package dev.claudemesh.broker.core.vault;

import java.util.List;

/**
 * Where sealed secrets are kept (table {@code vault_entry}, unique by mesh, member and key). Every call is scoped to
 * one member of one mesh: no call reads or changes another member's entries. Blocking (JDBC): called only through
 * {@link dev.claudemesh.broker.core.mesh.MeshContext#storage}, never on an event loop. Implementations are
 * thread-safe, check the quota in the transaction that inserts, and never log an entry's texts.
 */
public interface VaultStore {

    /**
     * One entry. {@code ciphertext}, {@code nonce} and {@code sealedKey} are the client's texts, opaque to the broker
     * (null in {@link #list}, which does not read them).
     */
    record Entry(String key, String ciphertext, String nonce, String sealedKey, EntryType entryType,
                 String mountPath, String description, long updatedAtMs) {
        /** Never shows the sealed texts (an entry may end up in a log line or an assertion message). */
        @Override
        public String toString() {
            return "Entry[key=" + key + ", entryType=" + entryType + "]";
        }
    }

    /**
     * Inserts or replaces the member's entry {@code entry.key()}.
     *
     * @param newId a fresh id, used when the key is new
     * @return false when the key is new and the member already has {@code maxPerMember} entries in the mesh: nothing
     *         written
     */
    boolean set(String meshId, String memberId, String newId, Entry entry, long nowMs, int maxPerMember);

    /** The member's entries of the mesh without their sealed texts, by key, at most {@code limit}. */
    List<Entry> list(String meshId, String memberId, int limit);

    /** The member's entries among {@code keys}, with their sealed texts, by key. */
    List<Entry> get(String meshId, String memberId, List<String> keys);

    /** Deletes the member's entry {@code key}; false when it had none. */
    boolean delete(String meshId, String memberId, String key);
}
