-- claudemesh broker schema, version 5: the mesh workspace — shared state, memory and tasks (PROTOCOL-MESH §4-§6).
--
-- Same rules as V1 (plain PostgreSQL DDL that jOOQ's DDLDatabase can replay on H2; unbounded varchar; what H2 cannot
-- interpret sits between jooq ignore markers). Rows are written by the features' own stores (broker-db
-- PgStateStore, PgMemoryStore, PgTaskStore) on the storage pool, never by the batched writer, so these tables may
-- carry foreign keys and constraints: a violation fails one request, never a batch. Every row belongs to a mesh and
-- goes with it (ON DELETE CASCADE). Per-mesh caps are checked in the transaction that writes, under a transaction-
-- scoped advisory lock per (feature, mesh), so they hold even when several brokers share the database.

-- Shared state (§4): one row per (mesh, key); upserted by set_state. There is no delete message: the number of keys
-- per mesh is capped instead (STATE_MAX_ENTRIES_PER_MESH), and a new key over the cap is refused.
--   updated_by_presence: the writer's presence id (no foreign key: presence rows are written by the batched writer
--                        after the lease exists, and are kept only as a record)
--   updated_by_name:     the writer's member name
CREATE TABLE mesh.state (
  id                  varchar                  NOT NULL,
  mesh_id             varchar                  NOT NULL,
  "key"               varchar                  NOT NULL,
  value               jsonb                    NOT NULL,
  updated_by_presence varchar,
  updated_by_name     varchar,
  updated_at          timestamp with time zone NOT NULL,
  CONSTRAINT state_pk PRIMARY KEY (id),
  CONSTRAINT state_mesh_fk FOREIGN KEY (mesh_id) REFERENCES mesh.mesh (id) ON DELETE CASCADE,
  CONSTRAINT state_mesh_key_uk UNIQUE (mesh_id, "key")
);

-- Memory (§5): remembered text, searched with PostgreSQL full text (english). forget is soft (forgotten_at set);
-- forgotten rows are invisible and are deleted MEMORY_FORGOTTEN_RETENTION_HOURS later, or sooner, oldest first, when
-- a remember needs their room under MEMORY_MAX_ROWS_PER_MESH (which counts every row, forgotten ones included).
CREATE TABLE mesh.memory (
  id                 varchar                  NOT NULL,
  mesh_id            varchar                  NOT NULL,
  content            varchar                  NOT NULL,
  tags               varchar array            NOT NULL,
  remembered_by      varchar,
  remembered_by_name varchar,
  remembered_at      timestamp with time zone NOT NULL,
  forgotten_at       timestamp with time zone,
  CONSTRAINT memory_pk PRIMARY KEY (id),
  CONSTRAINT memory_mesh_fk FOREIGN KEY (mesh_id) REFERENCES mesh.mesh (id) ON DELETE CASCADE,
  CONSTRAINT memory_member_fk FOREIGN KEY (remembered_by) REFERENCES mesh.member (id) ON DELETE SET NULL
);

CREATE INDEX memory_mesh_idx ON mesh.memory (mesh_id, remembered_at);

/* [jooq ignore start] */
ALTER TABLE mesh.memory ALTER COLUMN tags SET DEFAULT '{}';
-- recall: to_tsvector('english', content) @@ plainto_tsquery('english', query), ranked by ts_rank.
ALTER TABLE mesh.memory ADD COLUMN search_vector tsvector
  GENERATED ALWAYS AS (to_tsvector('english'::regconfig, content)) STORED;
CREATE INDEX memory_search_idx ON mesh.memory USING gin (search_vector);
-- forgotten rows, for their retention and for making room
CREATE INDEX memory_forgotten_idx ON mesh.memory (mesh_id, forgotten_at) WHERE forgotten_at IS NOT NULL;
/* [jooq ignore stop] */

-- Tasks (§6): open -> claimed -> done. A claim is one conditional UPDATE (… WHERE status = 'open'), so of two
-- concurrent claimers exactly one wins. Done tasks are deleted TASK_DONE_RETENTION_HOURS after completion, or
-- sooner, oldest first, when a create_task needs their room under TASK_MAX_PER_MESH (which counts every row).
--   claimed_by_presence: the claimer's presence id (no foreign key, as state.updated_by_presence)
CREATE TABLE mesh.task (
  id                  varchar                  NOT NULL,
  mesh_id             varchar                  NOT NULL,
  title               varchar                  NOT NULL,
  assignee            varchar,
  claimed_by_name     varchar,
  claimed_by_presence varchar,
  priority            varchar                  NOT NULL DEFAULT 'normal',
  status              varchar                  NOT NULL DEFAULT 'open',
  tags                varchar array            NOT NULL,
  result              varchar,
  created_by_name     varchar,
  created_at          timestamp with time zone NOT NULL,
  claimed_at          timestamp with time zone,
  completed_at        timestamp with time zone,
  CONSTRAINT task_pk PRIMARY KEY (id),
  CONSTRAINT task_mesh_fk FOREIGN KEY (mesh_id) REFERENCES mesh.mesh (id) ON DELETE CASCADE,
  CONSTRAINT task_status_ck CHECK (status IN ('open', 'claimed', 'done'))
);

-- list_tasks: newest first per mesh
CREATE INDEX task_mesh_created_idx ON mesh.task (mesh_id, created_at);

/* [jooq ignore start] */
ALTER TABLE mesh.task ALTER COLUMN tags SET DEFAULT '{}';
-- done tasks, for their retention and for making room
CREATE INDEX task_done_idx ON mesh.task (mesh_id, completed_at) WHERE status = 'done';
/* [jooq ignore stop] */
