/**
 * The durable writer: per shard, one thread (plus a commit thread when pipelined) that applies the core's
 * {@link dev.claudemesh.broker.core.port.DurableOp}s to PostgreSQL in batches, exactly once, in submission order.
 *
 * <ul>
 *   <li>{@link dev.claudemesh.broker.db.writer.PgDurableLog}: the queue, back-pressure, the thread and its
 *       drain/commit/callbacks loop; {@link dev.claudemesh.broker.db.writer.ShardedDurableLog}: writers sharded by
 *       mesh id, the port the broker uses;</li>
 *   <li>{@link dev.claudemesh.broker.db.writer.WriterConfig} (a builder, validated once) and
 *       {@link dev.claudemesh.broker.db.writer.Sleeper}, injected so that tests drive retries without waiting;</li>
 *   <li>package-private parts with one job each: {@code OpKind} (the one dispatch over the op types),
 *       {@code BatchPlan} (folding a batch into one statement per kind), {@code BatchRunner} (commit exactly once,
 *       retrying per {@code RetryPolicy}), {@code BatchPipeline} (the next batch executes while the previous one
 *       commits on a commit thread, in order; a failure falls back to {@code BatchRunner}), {@code BatchStatements} (stateless SQL and binding), {@code AuditHeads}
 *       (the chain heads, restored on failure, and the lost-commit check), {@code Pressure} and
 *       {@code WriterStatus} (shared by the single and the sharded writer).</li>
 * </ul>
 *
 * <p>Nothing here logs {@code nonce}, {@code ciphertext}, bind values or secrets: failures are logged with the SQL
 * state and the first line of the driver's message only.</p>
 */
package dev.claudemesh.broker.db.writer;
