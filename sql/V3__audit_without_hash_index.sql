-- claudemesh broker schema, version 3.
--
-- audit_log loses its UNIQUE (mesh_id, hash). It existed only so that the writer could re-apply a batch whose
-- commit outcome was unknown (ON CONFLICT DO NOTHING). Every DM appends an audit row, and a unique B-tree on a
-- random 64-char hash was the single most expensive index to maintain (measured: 200 000 rows insert in 3.8 s with
-- it, 1.7 s without). The writer now learns whether such a batch committed by reading the mesh's chain head
-- through audit_log_mesh_id_idx before retrying (PgDurableLog), so a chain still never holds a row twice.
ALTER TABLE mesh.audit_log DROP CONSTRAINT audit_log_mesh_hash_uk;
