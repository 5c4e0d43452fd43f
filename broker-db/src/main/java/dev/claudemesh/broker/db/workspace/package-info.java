/**
 * PostgreSQL stores of the workspace services (PROTOCOL-MESH §4-§6):
 * {@link dev.claudemesh.broker.db.workspace.PgStateStore} (table {@code state}),
 * {@link dev.claudemesh.broker.db.workspace.PgMemoryStore} ({@code memory}, full-text search)
 * and {@link dev.claudemesh.broker.db.workspace.PgTaskStore} ({@code task}), all from migration {@code V5}. Blocking
 * JDBC through jOOQ: the services call them on the storage pool, one serial lane per mesh. Per-mesh caps are checked
 * inside the writing transaction under a transaction-scoped advisory lock per (feature, mesh), and the task claim is
 * one conditional UPDATE, so the invariants hold for concurrent callers and for several brokers on one database.
 * Thread-safe; they do not own their {@link javax.sql.DataSource}.
 */
package dev.claudemesh.broker.db.workspace;
