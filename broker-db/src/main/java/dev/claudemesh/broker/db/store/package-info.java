/**
 * Adapters of the core's storage ports on PostgreSQL with jOOQ (the batched writer has its own package,
 * {@link dev.claudemesh.broker.db.writer}): the boot-time reads
 * ({@link dev.claudemesh.broker.db.store.PgRecoveryStore}), the queue's retention sweep
 * ({@link dev.claudemesh.broker.db.store.QueueRetention}), the cached member lookup
 * ({@link dev.claudemesh.broker.db.store.PgMemberDirectory}), the blocking operator operations
 * ({@link dev.claudemesh.broker.db.store.AdminRepository}) and enrolment: mesh owner keys
 * ({@link dev.claudemesh.broker.db.store.MeshKeys}), invites and {@code /join}
 * ({@link dev.claudemesh.broker.db.store.InviteRepository}), whose audit events reach the chain through the
 * {@link dev.claudemesh.broker.db.store.AuditOutbox}; roles and bans
 * ({@link dev.claudemesh.broker.db.store.MemberModeration}: the operator's revoke and a member's ban are one path) and
 * the stores of the mesh services ({@link dev.claudemesh.broker.db.store.PgModerationStore},
 * {@link dev.claudemesh.broker.db.store.PgMeshInfoStore}, {@link dev.claudemesh.broker.db.store.PgAuditLogStore}).
 *
 * <p>Nothing here logs {@code nonce}, {@code ciphertext}, bind values or secrets: error logs carry the SQL state and
 * the first line of the driver's message only (the data source is configured with
 * {@code logServerErrorDetail=false}, and jOOQ's execute logging is off).</p>
 */
package dev.claudemesh.broker.db.store;
