-- claudemesh broker schema, version 11: delivery marks as an append-only record.
--
-- A DM whose client_ack reaches the writer in the same batch as the DM itself is stored born delivered
-- (message_queue.delivered_at set, no payload). A mark that misses its DM's batch used to UPDATE the queue row: a new
-- version of the whole row (payload included) in the heap and the WAL, a new primary-key entry, a dead tuple for
-- VACUUM, and the writer had to wait for the batch that inserted the row to commit before it could update it. At
-- max load 45 % of DMs paid that. Such a mark is now one small row here, appended by binary COPY, with no wait.
--
-- A DM is delivered when message_queue.delivered_at is set OR a row here has its id (the earliest delivered_at wins;
-- a mark repeated in a later batch may add a second row). Readers: the boot-time reload (an anti-join), message_status
-- and the retention sweep; message_queue_status below gives both as one column. No foreign key (the writer's tables
-- have none, V1): a mark may commit before its DM's batch does; the retention sweep deletes a mark once its DM is
-- gone and the mark is older than the retention period. mesh_id lets a mesh deletion take its marks with it.
CREATE TABLE mesh.message_delivery (
  id           varchar                  NOT NULL,
  mesh_id      varchar                  NOT NULL,
  delivered_at timestamp with time zone NOT NULL
);

/* [jooq ignore start] */
ALTER TABLE mesh.message_delivery
  ALTER COLUMN id      TYPE varchar COLLATE "C",
  ALTER COLUMN mesh_id TYPE varchar COLLATE "C";

-- Ids start with their creation time, so inserts land at the right edge of this index.
CREATE INDEX message_delivery_id_idx ON mesh.message_delivery (id);

-- message_queue with delivered_at from either place: what the old column meant, for operators' queries and tests.
CREATE VIEW mesh.message_queue_status AS
  SELECT q.id, q.mesh_id, q.sender_member_id, q.sender_member_pubkey, q.sender_pubkey, q.sender_name, q.target_key,
         q.priority, q.nonce, q.ciphertext, q.client_message_id, q.request_fingerprint, q.subtype, q.created_at, q.expires_at,
         COALESCE(q.delivered_at,
                  (SELECT min(d.delivered_at) FROM mesh.message_delivery d WHERE d.id = q.id)) AS delivered_at
  FROM mesh.message_queue q;
/* [jooq ignore stop] */
