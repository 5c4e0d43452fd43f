-- claudemesh broker schema, version 10.
--
-- The keys of the two tables every DM writes compare bytewise. The embedded cluster's default collation is C.UTF-8
-- (a libc locale other than "C"), for which PostgreSQL compares text through strcoll() on null-terminated copies;
-- with COLLATE "C" a B-tree comparison is a memcmp. The keys are ASCII ids, mesh ids and hex keys, for which the
-- order is the same (code points), so no query changes its result, and a comparison with a column of the default
-- collation takes "C" (the default collation yields to an explicit one). Measured on the embedded PostgreSQL: 300 000
-- rows copied into a table keyed like message_queue in 1.8–2.2 s with "C" against 2.4–2.5 s without.
--
-- Changing a column's collation rebuilds its indexes (not the table) under an exclusive lock: fast for queues kept
-- for QUEUE_RETENTION_HOURS, longer for a large audit log, once, at the upgrade's boot.
/* [jooq ignore start] */
ALTER TABLE mesh.message_queue
  ALTER COLUMN id         TYPE varchar COLLATE "C",
  ALTER COLUMN mesh_id    TYPE varchar COLLATE "C",
  ALTER COLUMN target_key TYPE varchar COLLATE "C";
ALTER TABLE mesh.audit_log
  ALTER COLUMN mesh_id TYPE varchar COLLATE "C";
/* [jooq ignore stop] */
