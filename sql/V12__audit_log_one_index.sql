-- claudemesh broker schema, version 12: audit_log keeps one index.
--
-- Every DM appends an audit row, and each row went into two B-trees: the primary key on id and audit_log_mesh_id_idx
-- (mesh_id, id). Every reader of the table asks for one mesh's rows in chain (id) order: audit_query and audit_verify,
-- the writer's chain-head read before a retry, the admin API, a mesh deletion. None looks a row up by id alone (only
-- tests do, on a few rows). So the primary key becomes (mesh_id, id), which serves all of them, and the second index
-- goes: one B-tree to maintain per DM instead of two. id stays a bigserial, unique on its own (the sequence); the chain
-- order is still the id order within a mesh.
--
-- Measured on the embedded PostgreSQL 18 (docs/bench-data/2026-12-03-wave2d/pg, interleaved.sql: 200 000 rows COPYed
-- in binary batches of 200, one transaction each, into candidate tables alternately in one backend, eight runs): an
-- audit row costs 24 % less with this one index (median), and a DM's queue + audit + delivery-mark rows 7.9 % less
-- (median; -4.8 to -11.5 %, one run 0 %; 17.7-39.6 µs per DM before, with the load of the shared machine). WAL per
-- DM: 1 563-1 643 -> 1 493 bytes (run.sh).
--
-- Building the new key reads the whole table once, under an exclusive lock: a few seconds per million audit rows,
-- once, at the upgrade's boot.
ALTER TABLE mesh.audit_log DROP CONSTRAINT audit_log_pk;
ALTER TABLE mesh.audit_log ADD CONSTRAINT audit_log_pk PRIMARY KEY (mesh_id, id);
DROP INDEX mesh.audit_log_mesh_id_idx;
