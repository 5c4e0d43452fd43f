/**
 * Logical backups of the broker's database over JDBC, and their restore: every table of schema {@code mesh} read in
 * one {@code REPEATABLE READ, READ ONLY} transaction with {@code COPY … TO STDOUT}, written to one file with a header
 * (format, Flyway schema version, tables and row counts) and a SHA-256 checksum
 * ({@link dev.claudemesh.broker.db.backup.BackupWriter}, format in
 * {@link dev.claudemesh.broker.db.backup.BackupFormat});
 * restored into an empty database migrated to exactly that schema version, in foreign-key order, in one transaction
 * ({@link dev.claudemesh.broker.db.backup.BackupRestore}).
 *
 * <p>Why not {@code pg_dump}: the embedded server's binaries carry none, and the {@code pg_dump} of the host's
 * distribution is often older than the server (a {@code pg_dump} cannot dump a newer major). The approach is the one
 * {@code EmbeddedUpgrade} uses to move a cluster between majors.</p>
 *
 * <p>Everything here blocks (JDBC, files): call it from a CLI subcommand or another non-event-loop thread.</p>
 */
package dev.claudemesh.broker.db.backup;
