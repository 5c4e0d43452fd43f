-- claudemesh broker schema, version 9: contexts, skills, streams and the vault (PROTOCOL-MESH §11, §12, §13).
--
-- Same rules as V1 (plain PostgreSQL DDL that jOOQ's DDLDatabase can replay; unbounded varchar). Every row belongs
-- to a mesh and goes with it (ON DELETE CASCADE); rows written on behalf of a member go with the member. Quotas
-- (rows per mesh, entries per member) are checked in the transaction that inserts, under a per-mesh advisory lock,
-- so they hold even when several brokers share the database.

-- One work-context summary per member and mesh (share_context upserts it). presence_id is the lease that last
-- shared it; unlike the original it is not a foreign key: presence rows are written by the batched writer and may
-- not be committed yet when the context is. files_read, key_findings and tags default to empty arrays.
CREATE TABLE mesh.context (
  id           varchar                  NOT NULL,
  mesh_id      varchar                  NOT NULL,
  member_id    varchar                  NOT NULL,
  presence_id  varchar,
  peer_name    varchar                  NOT NULL,
  summary      varchar                  NOT NULL,
  files_read   varchar array            NOT NULL,
  key_findings varchar array            NOT NULL,
  tags         varchar array            NOT NULL,
  updated_at   timestamp with time zone NOT NULL,
  CONSTRAINT context_pk PRIMARY KEY (id),
  CONSTRAINT context_mesh_fk FOREIGN KEY (mesh_id) REFERENCES mesh.mesh (id) ON DELETE CASCADE,
  CONSTRAINT context_member_fk FOREIGN KEY (member_id) REFERENCES mesh.member (id) ON DELETE CASCADE,
  CONSTRAINT context_mesh_member_uk UNIQUE (mesh_id, member_id)
);

-- get_context / list_contexts read a mesh's rows newest first; retention deletes a mesh's oldest.
CREATE INDEX context_mesh_updated_idx ON mesh.context (mesh_id, updated_at);

-- A skill, unique by name in its mesh. author_member_id / author_name are whoever shared it last (only the author or
-- an admin may overwrite or remove it). manifest is the JSON text exactly as the client sent it (null when absent):
-- text rather than jsonb, which would reorder its keys and rewrite its numbers, so it round-trips byte for byte.
-- source_type, bundle_file_id, git_url, git_branch and git_sha exist in the original's schema for skill deployment,
-- which this broker does not serve (§15); they are kept so that rows keep the original's shape.
CREATE TABLE mesh.skill (
  id               varchar                  NOT NULL,
  mesh_id          varchar                  NOT NULL,
  name             varchar                  NOT NULL,
  description      varchar                  NOT NULL,
  instructions     varchar                  NOT NULL,
  tags             varchar array            NOT NULL,
  author_member_id varchar,
  author_name      varchar,
  source_type      varchar                  NOT NULL DEFAULT 'inline',
  bundle_file_id   varchar,
  git_url          varchar,
  git_branch       varchar                  DEFAULT 'main',
  git_sha          varchar,
  manifest         varchar,
  created_at       timestamp with time zone NOT NULL,
  updated_at       timestamp with time zone NOT NULL,
  CONSTRAINT skill_pk PRIMARY KEY (id),
  CONSTRAINT skill_mesh_fk FOREIGN KEY (mesh_id) REFERENCES mesh.mesh (id) ON DELETE CASCADE,
  CONSTRAINT skill_author_fk FOREIGN KEY (author_member_id) REFERENCES mesh.member (id) ON DELETE SET NULL,
  CONSTRAINT skill_mesh_name_uk UNIQUE (mesh_id, name)
);

-- A stream's name (publish/subscribe themselves are live-only and never stored). There is no delete.
CREATE TABLE mesh.stream (
  id              varchar                  NOT NULL,
  mesh_id         varchar                  NOT NULL,
  name            varchar                  NOT NULL,
  created_by_name varchar,
  created_at      timestamp with time zone NOT NULL,
  CONSTRAINT stream_pk PRIMARY KEY (id),
  CONSTRAINT stream_mesh_fk FOREIGN KEY (mesh_id) REFERENCES mesh.mesh (id) ON DELETE CASCADE,
  CONSTRAINT stream_mesh_name_uk UNIQUE (mesh_id, name)
);

CREATE INDEX stream_mesh_created_idx ON mesh.stream (mesh_id, created_at);

-- A member's sealed secret. ciphertext, nonce and sealed_key are the client's base64 text, stored as given: the
-- broker never holds the key that opens them and never logs them. entry_type is 'env' or 'file'.
CREATE TABLE mesh.vault_entry (
  id          varchar                  NOT NULL,
  mesh_id     varchar                  NOT NULL,
  member_id   varchar                  NOT NULL,
  key         varchar                  NOT NULL,
  ciphertext  varchar                  NOT NULL,
  nonce       varchar                  NOT NULL,
  sealed_key  varchar                  NOT NULL,
  entry_type  varchar                  NOT NULL DEFAULT 'env',
  mount_path  varchar,
  description varchar,
  created_at  timestamp with time zone NOT NULL,
  updated_at  timestamp with time zone NOT NULL,
  CONSTRAINT vault_entry_pk PRIMARY KEY (id),
  CONSTRAINT vault_entry_mesh_fk FOREIGN KEY (mesh_id) REFERENCES mesh.mesh (id) ON DELETE CASCADE,
  CONSTRAINT vault_entry_member_fk FOREIGN KEY (member_id) REFERENCES mesh.member (id) ON DELETE CASCADE,
  CONSTRAINT vault_entry_type_ck CHECK (entry_type IN ('env', 'file')),
  CONSTRAINT vault_entry_mesh_member_key_uk UNIQUE (mesh_id, member_id, key)
);
