/**
 * The durable writer: the one thread per shard that applies the core's {@link dev.claudemesh.broker.core.port.DurableOp}s
 * to PostgreSQL in batches ({@link dev.claudemesh.broker.db.writer.PgDurableLog}), and the mesh-sharded set of such
 * writers the broker runs ({@link dev.claudemesh.broker.db.writer.ShardedDurableLog}).
 *
 * <p>Nothing here logs {@code nonce}, {@code ciphertext}, bind values or secrets: failures are logged with the SQL
 * state and the first line of the driver's message only.</p>
 */
package dev.claudemesh.broker.db.writer;
