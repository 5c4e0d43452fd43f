package dev.claudemesh.broker.core.port;

import dev.claudemesh.broker.core.model.RecentSend;
import dev.claudemesh.broker.core.model.StoredMessage;

import java.util.List;

/**
 * What the broker reads back from the database once, at boot, before it accepts peers: the DMs still to deliver
 * and the recent sends that rebuild the idempotency window. Implemented by the storage adapter (broker-db).
 * Blocking; call it from the boot thread, never from an event loop. Thread-safe.
 */
public interface RecoveryStore {

    /** Every undelivered DM with {@code expires_at > nowMs}, oldest first. */
    List<StoredMessage> loadUndelivered(long nowMs);

    /**
     * The DM sends with a {@code client_message_id} created after {@code sinceMs}, delivered or not, oldest first, to
     * restore the idempotency window across a restart.
     */
    List<RecentSend> loadRecentSends(long sinceMs);
}
