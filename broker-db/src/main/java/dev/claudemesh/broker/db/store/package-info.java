/**
 * Adapters of the core's storage ports on PostgreSQL with jOOQ: the single batched writer
 * ({@link dev.claudemesh.broker.db.store.PgDurableLog}), the cached member lookup
 * ({@link dev.claudemesh.broker.db.store.PgMemberDirectory}) and the blocking operator operations
 * ({@link dev.claudemesh.broker.db.store.AdminRepository}).
 *
 * <p>Nothing here logs {@code nonce}, {@code ciphertext}, bind values or secrets: error logs carry the SQL state and
 * the first line of the driver's message only (the data source is configured with
 * {@code logServerErrorDetail=false}, and jOOQ's execute logging is off).</p>
 */
package dev.claudemesh.broker.db.store;
