-- Candidate table shapes compared in ONE backend, batch by batch: each batch of gen.py is COPYed (binary, from the
-- server-side files) into every candidate table, the order rotated from batch to batch, one transaction per batch
-- (committed, fsync on). The time of each COPY (clock_timestamp) and the backend's CPU ticks around it
-- (/proc/self/stat) are summed per candidate, so that load from other processes falls on all candidates alike.
-- Run: psql -v dir=/tmp/i15pg/data-text -v bdir=/tmp/i15pg/data-bytea -v batches=1000 -f interleaved.sql
-- in a database that has sql/V1..V11 applied.
\set ON_ERROR_STOP 1
SET client_min_messages = notice;
DROP SCHEMA IF EXISTS cand CASCADE;
CREATE SCHEMA cand;
-- audit_log as V1..V11 leave it: pk (id) + audit_log_mesh_id_idx (mesh_id, id), ids from the bigserial
CREATE TABLE cand.audit_two (LIKE mesh.audit_log INCLUDING DEFAULTS);
ALTER TABLE cand.audit_two ADD PRIMARY KEY (id);
CREATE INDEX ON cand.audit_two (mesh_id, id);
-- one index: PRIMARY KEY (mesh_id, id)
CREATE TABLE cand.audit_one (LIKE mesh.audit_log INCLUDING DEFAULTS);
ALTER TABLE cand.audit_one ADD PRIMARY KEY (mesh_id, id);
-- the same two shapes with the id given in the COPY (no nextval per row)
CREATE TABLE cand.audit_two_ids (LIKE cand.audit_two INCLUDING ALL);
CREATE TABLE cand.audit_one_ids (LIKE cand.audit_one INCLUDING ALL);
-- no index at all: the floor
CREATE TABLE cand.audit_none (LIKE mesh.audit_log INCLUDING DEFAULTS);
-- message_queue as today, and with the three hex keys as bytea (32 bytes instead of 64 chars)
-- (INCLUDING ALL: the primary key and the partial index message_queue_undelivered_idx come along)
CREATE TABLE cand.queue_text (LIKE mesh.message_queue INCLUDING ALL);
CREATE TABLE cand.queue_bytea (LIKE mesh.message_queue INCLUDING ALL);
ALTER TABLE cand.queue_bytea ALTER sender_member_pubkey TYPE bytea USING NULL, ALTER sender_pubkey TYPE bytea USING NULL,
  ALTER target_key TYPE bytea USING NULL;
CREATE TABLE cand.delivery (LIKE mesh.message_delivery INCLUDING ALL);
CREATE TABLE cand.result (name text PRIMARY KEY, us float8 NOT NULL DEFAULT 0, ticks int8 NOT NULL DEFAULT 0);

CREATE PROCEDURE cand.run(dir text, bdir text, batches int) LANGUAGE plpgsql AS $$
DECLARE
  qcols text := '(id, mesh_id, sender_member_id, sender_member_pubkey, sender_pubkey, sender_name, target_key, '
             || 'priority, nonce, ciphertext, client_message_id, request_fingerprint, subtype, created_at, expires_at, '
             || 'delivered_at)';
  acols text := '(mesh_id, event_type, actor_id, payload_canonical, created_at, prev_hash, hash)';
  names text[] := ARRAY['audit_two', 'audit_one', 'audit_two_ids', 'audit_one_ids', 'audit_none', 'queue_text',
                        'queue_bytea', 'delivery'];
  sqls text[];
  b int; k int; i int; t0 timestamptz; c0 int8; c1 int8; st text[]; f text;
BEGIN
  FOREACH f IN ARRAY names LOOP INSERT INTO cand.result (name) VALUES (f); END LOOP;
  COMMIT;
  FOR b IN 0 .. batches - 1 LOOP
    f := lpad(b::text, 5, '0') || '.bin';
    sqls := ARRAY[
      format('COPY cand.audit_two %s FROM %L (FORMAT binary)', acols, dir || '/n' || f),
      format('COPY cand.audit_one %s FROM %L (FORMAT binary)', acols, dir || '/n' || f),
      format('COPY cand.audit_two_ids (id, %s FROM %L (FORMAT binary)', substr(acols, 2), dir || '/a' || f),
      format('COPY cand.audit_one_ids (id, %s FROM %L (FORMAT binary)', substr(acols, 2), dir || '/a' || f),
      format('COPY cand.audit_none %s FROM %L (FORMAT binary)', acols, dir || '/n' || f),
      format('COPY cand.queue_text %s FROM %L (FORMAT binary)', qcols, dir || '/q' || f),
      format('COPY cand.queue_bytea %s FROM %L (FORMAT binary)', qcols, bdir || '/q' || f),
      format('COPY cand.delivery (id, mesh_id, delivered_at) FROM %L (FORMAT binary)', dir || '/d' || f)];
    FOR k IN 0 .. array_length(names, 1) - 1 LOOP
      i := (b + k) % array_length(names, 1) + 1;
      st := string_to_array(pg_read_file('/proc/self/stat'), ' ');
      c0 := st[14]::int8 + st[15]::int8;
      t0 := clock_timestamp();
      EXECUTE sqls[i];
      st := string_to_array(pg_read_file('/proc/self/stat'), ' ');
      c1 := st[14]::int8 + st[15]::int8;
      UPDATE cand.result SET us = us + extract(epoch FROM clock_timestamp() - t0) * 1e6, ticks = ticks + c1 - c0
        WHERE name = names[i];
    END LOOP;
    COMMIT;
  END LOOP;
END $$;
CALL cand.run(:'dir', :'bdir', :batches);
SELECT name, (SELECT count(*) FROM pg_index WHERE indrelid = ('cand.' || name)::regclass) AS indexes, round((us / (:batches * 200))::numeric, 2) AS wall_us_per_row,
       round((ticks * 10000.0 / (:batches * 200))::numeric, 2) AS cpu_us_per_row,
       pg_size_pretty(pg_total_relation_size(('cand.' || name)::regclass)) AS size
FROM cand.result ORDER BY name;
