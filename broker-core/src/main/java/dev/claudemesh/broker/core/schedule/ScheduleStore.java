package dev.claudemesh.broker.core.schedule;

import java.util.List;

/**
 * The scheduler's storage port (table {@code scheduled_message}). Blocking (JDBC): called through
 * {@link dev.claudemesh.broker.core.mesh.MeshContext#storage}, never on an event loop, except
 * {@link #meshesWithPending}, which runs once at boot. Implementations are thread-safe; the per-member cap is
 * enforced in one transaction, so it holds with several brokers on one database.
 *
 * <p>Entries of revoked members are neither returned nor claimed (their rows stay, and come back if the member is
 * re-admitted).</p>
 */
public interface ScheduleStore {

    /** Outcome of {@link #insert}. */
    enum InsertResult {
        /** Stored. */
        INSERTED,
        /** The member already has the most pending entries it may have; nothing was stored. */
        OVER_CAP,
        /** The member is revoked or gone; nothing was stored. */
        NO_MEMBER
    }

    /** What {@link #due} read: the entries due before the asked time, and when the next later one is due. */
    record Due(List<ScheduledMessage> entries, long nextLaterMs) {
        public Due {
            entries = List.copyOf(entries);
        }
    }

    /** The member an entry is sent for, as the database has it now. */
    record MemberRef(String pubkey, String name) {
    }

    /** The ids of meshes with pending entries of non-revoked members (boot). */
    List<String> meshesWithPending();

    /**
     * Stores {@code entry} unless its member already has {@code maxPendingPerMember} pending entries, or is revoked;
     * the count and the insert are one transaction that locks the member row.
     */
    InsertResult insert(ScheduledMessage entry, int maxPendingPerMember);

    /** The pending entries of {@code memberId} in {@code meshId}, in creation order. */
    List<ScheduledMessage> listByMember(String meshId, String memberId);

    /** Deletes entry {@code id} if it is {@code memberId}'s in {@code meshId}; true when it did. */
    boolean cancel(String meshId, String id, String memberId);

    /**
     * The entries of {@code meshId} due before {@code beforeMs} (oldest first), with whether a send under way was
     * accepted ({@link ScheduledMessage#pendingSent}), and the due time of the earliest later entry (-1 when none).
     */
    Due due(String meshId, long beforeMs);

    /**
     * Records {@code messageId} as the send under way of entry {@code id} (before the send: see
     * {@link ScheduledMessage#pendingMessageId}) and returns its member, or null when the entry is gone or its member
     * revoked or gone.
     */
    MemberRef claim(String id, String messageId);

    /** Deletes entry {@code id}: a one-shot that was sent, given up, or could never be sent. */
    void delete(String id);

    /**
     * Moves a cron entry to its next fire {@code nextDeliverAtMs} with {@code firedCount} accepted fires, the last
     * at {@code firedAtMs} (null: unchanged, an occurrence skipped), and forgets the send under way.
     */
    void advance(String id, long nextDeliverAtMs, int firedCount, Long firedAtMs);
}
