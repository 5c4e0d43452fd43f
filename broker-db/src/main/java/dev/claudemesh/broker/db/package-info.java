/**
 * The PostgreSQL adapter's bootstrap: where the database comes from ({@link dev.claudemesh.broker.db.DatabaseConfig},
 * {@link dev.claudemesh.broker.db.DataSourceFactory}, {@link dev.claudemesh.broker.db.EmbeddedDatabase}), how its
 * schema is brought up to date (Flyway, through {@link dev.claudemesh.broker.db.Migrator}) and the handle that owns
 * both ({@link dev.claudemesh.broker.db.Database}). The adapters of the core's storage ports live in
 * {@code dev.claudemesh.broker.db.store}; the jOOQ classes in {@code dev.claudemesh.broker.db.jooq} are generated at
 * build time from {@code sql/} and never committed.
 *
 * <p>Everything here blocks (JDBC, process start): call it at boot, from CLI subcommands or from a
 * non-event-loop executor, never from an event loop.</p>
 */
package dev.claudemesh.broker.db;
