-- claudemesh broker schema, version 1.
--
-- This directory is the only schema source: the broker runs these files at boot (broker-db Migrator,
-- under a PostgreSQL advisory lock) and jOOQ generates its classes from them at build time
-- (DDLDatabase). Keep it plain PostgreSQL DDL that jOOQ's parser understands; wrap anything it cannot
-- interpret (e.g. partial indexes) in jooq ignore markers. Strings are unbounded `varchar`, which is
-- `text` to PostgreSQL, because DDLDatabase replays the script on H2, where `text` is a CLOB that
-- cannot be indexed.
--
-- Tables written by the broker's batched writer (presence, message_queue, audit_log) carry no foreign
-- keys and few NOT NULL constraints on purpose: the writer retries a failed batch until it commits, so
-- a constraint that one bad row could violate would stall all durable work.

CREATE SCHEMA IF NOT EXISTS mesh;

-- A mesh: id is 32 chars [0-9A-Za-z] (PROTOCOL section 1), slug is the operator-facing unique handle.
CREATE TABLE mesh.mesh (
  id         varchar                  NOT NULL,
  name       varchar                  NOT NULL,
  slug       varchar                  NOT NULL,
  created_at timestamp with time zone NOT NULL DEFAULT now(),
  CONSTRAINT mesh_pk PRIMARY KEY (id),
  CONSTRAINT mesh_slug_uk UNIQUE (slug),
  CONSTRAINT mesh_id_len_ck CHECK (char_length(id) = 32)
);

-- A member of a mesh with a stable ed25519 public key (64 lowercase hex). revoked_at set = banned.
-- default_groups: [{"name":"be","role":"lead"}]; peer_grants: {"<sender member pubkey>":["dm",...]}.
CREATE TABLE mesh.member (
  id             varchar                   NOT NULL,
  mesh_id        varchar                   NOT NULL,
  peer_pubkey    varchar                   NOT NULL,
  display_name   varchar                   NOT NULL,
  role_tag       varchar,
  default_groups jsonb                     NOT NULL,
  peer_grants    jsonb                     NOT NULL,
  message_mode   varchar                   NOT NULL DEFAULT 'push',
  created_at     timestamp with time zone  NOT NULL DEFAULT now(),
  revoked_at     timestamp with time zone,
  CONSTRAINT member_pk PRIMARY KEY (id),
  CONSTRAINT member_mesh_fk FOREIGN KEY (mesh_id) REFERENCES mesh.mesh (id),
  CONSTRAINT member_mesh_pubkey_uk UNIQUE (mesh_id, peer_pubkey)
);

-- One row per lease (id = the lease's presenceId); disconnected_at is set when the lease is evicted.
CREATE TABLE mesh.presence (
  id              varchar                   NOT NULL,
  mesh_id         varchar                   NOT NULL,
  member_id       varchar                   NOT NULL,
  session_pubkey  varchar,
  session_id      varchar,
  display_name    varchar,
  cwd             varchar,
  pid             bigint,
  status          varchar,
  peer_role       varchar,
  connected_at    timestamp with time zone  NOT NULL,
  disconnected_at timestamp with time zone,
  CONSTRAINT presence_pk PRIMARY KEY (id)
);

CREATE INDEX presence_mesh_idx ON mesh.presence (mesh_id, connected_at);

-- Direct messages held for delivery. nonce and ciphertext are the sender's base64 text, stored as
-- given and never inspected. A row is live while delivered_at is null and expires_at is in the future.
CREATE TABLE mesh.message_queue (
  id                   varchar                   NOT NULL,
  mesh_id              varchar                   NOT NULL,
  sender_member_id     varchar,
  sender_member_pubkey varchar,
  sender_pubkey        varchar,
  sender_name          varchar,
  target_key           varchar                   NOT NULL,
  priority             varchar                   NOT NULL,
  nonce                varchar                   NOT NULL,
  ciphertext           varchar                   NOT NULL,
  client_message_id    varchar,
  request_fingerprint  varchar,
  created_at           timestamp with time zone  NOT NULL,
  expires_at           timestamp with time zone  NOT NULL,
  delivered_at         timestamp with time zone,
  CONSTRAINT message_queue_pk PRIMARY KEY (id)
);

/* [jooq ignore start] */
-- The per-target scan of undelivered DMs (and the boot-time reload) only ever touches live rows.
CREATE INDEX message_queue_undelivered_idx
  ON mesh.message_queue (mesh_id, target_key, created_at)
  WHERE delivered_at IS NULL;
/* [jooq ignore stop] */

-- The per-mesh audit hash chain (PROTOCOL section 7). Metadata only: never nonce, ciphertext or
-- plaintext. payload_canonical is exactly the canonical JSON text that was hashed, and created_at has
-- millisecond precision, so every stored row re-hashes to its stored hash:
--   hash = sha256hex(prev_hash|mesh_id|event_type|actor_id or "null"|payload_canonical|created_at ISO ms Z)
-- (mesh_id, hash) is unique so that re-applying a batch whose commit outcome was unknown is a no-op.
CREATE TABLE mesh.audit_log (
  id                bigserial                   NOT NULL,
  mesh_id           varchar                     NOT NULL,
  event_type        varchar                     NOT NULL,
  actor_id          varchar,
  payload_canonical varchar                     NOT NULL,
  created_at        timestamp(3) with time zone NOT NULL,
  prev_hash         varchar                     NOT NULL,
  hash              varchar                     NOT NULL,
  CONSTRAINT audit_log_pk PRIMARY KEY (id),
  CONSTRAINT audit_log_mesh_hash_uk UNIQUE (mesh_id, hash)
);

CREATE INDEX audit_log_mesh_id_idx ON mesh.audit_log (mesh_id, id);
