package dev.claudemesh.broker.db.store;

import org.jooq.DSLContext;

/**
 * A transaction-scoped PostgreSQL advisory lock on one quota (e.g. the skills of one mesh), taken before a quota is
 * counted and the row inserted, so that concurrent inserts (from other storage threads, or other brokers on the same
 * database) cannot both pass a check that only one of them may pass. Released at commit or rollback. The lock key is
 * the pair {@code (hashtext(scope), hashtext(key))}, in the two-key space that no other lock of the broker uses (Flyway
 * and the old migrator use one-key locks); a hash collision only makes two unrelated quotas wait for each other.
 * Stateless.
 */
final class QuotaLock {

    private QuotaLock() {
    }

    /** Takes the lock of quota {@code scope} / {@code key} for the rest of {@code tx}'s transaction. */
    static void take(DSLContext tx, String scope, String key) {
        tx.fetch("select pg_advisory_xact_lock(hashtext(?), hashtext(?))", scope, key);
    }
}
