-- claudemesh broker schema, version 7: topics, their history, sealed keys and mention notifications, and API keys
-- (PROTOCOL-MESH section 8).
--
-- Same rules as V1 (plain PostgreSQL DDL that jOOQ's DDLDatabase can replay; unbounded varchar). These tables are
-- written by the topic and API-key services through their own stores (one transaction per request), not by the
-- batched writer, so they carry foreign keys: a topic and everything in it goes with its mesh, a subscription, a
-- sealed key and a notification go with their member.
--
-- The broker stores ciphertext and sealed keys only. topic_message.nonce / ciphertext are the sender's base64 text,
-- never inspected (body_version 1: base64 of the plaintext; 2: crypto_secretbox under the topic key).
-- topic_member_key.encrypted_key is base64(sealer's X25519 public key || crypto_box(topic key)); the topic key itself
-- is never stored. api_key.secret_hash is the SHA-256 hex of the whole secret; the secret itself is never stored.

-- A named conversation room of a mesh. visibility: public | private | dm ('private' and 'dm' are restricted: joining
-- needs a lead or admin, history/members/sends need a subscription). encrypted_key_pubkey: hex X25519 public key of
-- the ephemeral key that sealed the creator's copy (null = a topic without a key, v1 only).
CREATE TABLE mesh.topic (
  id                   varchar                  NOT NULL,
  mesh_id              varchar                  NOT NULL,
  name                 varchar                  NOT NULL,
  description          varchar,
  visibility           varchar                  NOT NULL DEFAULT 'public',
  created_by_member_id varchar,
  encrypted_key_pubkey varchar,
  created_at           timestamp with time zone NOT NULL DEFAULT now(),
  archived_at          timestamp with time zone,
  CONSTRAINT topic_pk PRIMARY KEY (id),
  CONSTRAINT topic_mesh_fk FOREIGN KEY (mesh_id) REFERENCES mesh.mesh (id) ON DELETE CASCADE,
  CONSTRAINT topic_creator_fk FOREIGN KEY (created_by_member_id) REFERENCES mesh.member (id) ON DELETE SET NULL,
  CONSTRAINT topic_mesh_name_uk UNIQUE (mesh_id, name),
  CONSTRAINT topic_visibility_ck CHECK (visibility IN ('public', 'private', 'dm'))
);

-- A member's subscription. role: lead | member | observer.
CREATE TABLE mesh.topic_member (
  topic_id     varchar                  NOT NULL,
  member_id    varchar                  NOT NULL,
  role         varchar                  NOT NULL DEFAULT 'member',
  joined_at    timestamp with time zone NOT NULL DEFAULT now(),
  last_read_at timestamp with time zone,
  CONSTRAINT topic_member_pk PRIMARY KEY (topic_id, member_id),
  CONSTRAINT topic_member_topic_fk FOREIGN KEY (topic_id) REFERENCES mesh.topic (id) ON DELETE CASCADE,
  CONSTRAINT topic_member_member_fk FOREIGN KEY (member_id) REFERENCES mesh.member (id) ON DELETE CASCADE,
  CONSTRAINT topic_member_role_ck CHECK (role IN ('lead', 'member', 'observer'))
);

CREATE INDEX topic_member_member_idx ON mesh.topic_member (member_id);

-- The history. sender_session_pubkey: the sending lease's session key (null for control-plane leases and REST posts).
-- Pages are read newest first and streams oldest first, both by (created_at, id) within a topic.
CREATE TABLE mesh.topic_message (
  id                    varchar                  NOT NULL,
  topic_id              varchar                  NOT NULL,
  sender_member_id      varchar,
  sender_session_pubkey varchar,
  nonce                 varchar                  NOT NULL,
  ciphertext            varchar                  NOT NULL,
  body_version          integer                  NOT NULL DEFAULT 1,
  reply_to_id           varchar,
  created_at            timestamp with time zone NOT NULL DEFAULT now(),
  CONSTRAINT topic_message_pk PRIMARY KEY (id),
  CONSTRAINT topic_message_topic_fk FOREIGN KEY (topic_id) REFERENCES mesh.topic (id) ON DELETE CASCADE,
  CONSTRAINT topic_message_sender_fk FOREIGN KEY (sender_member_id) REFERENCES mesh.member (id) ON DELETE SET NULL,
  CONSTRAINT topic_message_reply_fk FOREIGN KEY (reply_to_id) REFERENCES mesh.topic_message (id) ON DELETE SET NULL
);

CREATE INDEX topic_message_topic_idx ON mesh.topic_message (topic_id, created_at, id);

-- Each member's sealed copy of the topic key.
CREATE TABLE mesh.topic_member_key (
  id            varchar                  NOT NULL,
  topic_id      varchar                  NOT NULL,
  member_id     varchar                  NOT NULL,
  encrypted_key varchar                  NOT NULL,
  nonce         varchar                  NOT NULL,
  created_at    timestamp with time zone NOT NULL DEFAULT now(),
  rotated_at    timestamp with time zone,
  CONSTRAINT topic_member_key_pk PRIMARY KEY (id),
  CONSTRAINT topic_member_key_topic_fk FOREIGN KEY (topic_id) REFERENCES mesh.topic (id) ON DELETE CASCADE,
  CONSTRAINT topic_member_key_member_fk FOREIGN KEY (member_id) REFERENCES mesh.member (id) ON DELETE CASCADE,
  CONSTRAINT topic_member_key_uk UNIQUE (topic_id, member_id)
);

-- @-mentions: one row per (message, mentioned member). kind: mention.
CREATE TABLE mesh.notification (
  id                  varchar                  NOT NULL,
  mesh_id             varchar                  NOT NULL,
  topic_id            varchar                  NOT NULL,
  message_id          varchar                  NOT NULL,
  recipient_member_id varchar                  NOT NULL,
  sender_member_id    varchar,
  kind                varchar                  NOT NULL DEFAULT 'mention',
  created_at          timestamp with time zone NOT NULL DEFAULT now(),
  read_at             timestamp with time zone,
  CONSTRAINT notification_pk PRIMARY KEY (id),
  CONSTRAINT notification_mesh_fk FOREIGN KEY (mesh_id) REFERENCES mesh.mesh (id) ON DELETE CASCADE,
  CONSTRAINT notification_topic_fk FOREIGN KEY (topic_id) REFERENCES mesh.topic (id) ON DELETE CASCADE,
  CONSTRAINT notification_message_fk FOREIGN KEY (message_id) REFERENCES mesh.topic_message (id) ON DELETE CASCADE,
  CONSTRAINT notification_recipient_fk FOREIGN KEY (recipient_member_id) REFERENCES mesh.member (id)
    ON DELETE CASCADE,
  CONSTRAINT notification_sender_fk FOREIGN KEY (sender_member_id) REFERENCES mesh.member (id) ON DELETE SET NULL,
  CONSTRAINT notification_message_recipient_uk UNIQUE (message_id, recipient_member_id)
);

CREATE INDEX notification_recipient_idx ON mesh.notification (recipient_member_id, created_at);

-- Bearer keys for the REST API under /api/v1. capabilities: jsonb array of send | read | state_write | admin;
-- topic_scopes: jsonb array of topic names, null = every topic. secret_prefix: the first 11 chars of the secret
-- ("cm_" + 8), the lookup key. expires_at is always set by this broker (keys expire). Keys revoked or expired longer
-- ago than API_KEY_RETENTION_HOURS are deleted when a key of the mesh is created.
CREATE TABLE mesh.api_key (
  id                  varchar                  NOT NULL,
  mesh_id             varchar                  NOT NULL,
  label               varchar                  NOT NULL,
  secret_hash         varchar                  NOT NULL,
  secret_prefix       varchar                  NOT NULL,
  capabilities        jsonb                    NOT NULL,
  topic_scopes        jsonb,
  issued_by_member_id varchar,
  created_at          timestamp with time zone NOT NULL DEFAULT now(),
  last_used_at        timestamp with time zone,
  revoked_at          timestamp with time zone,
  expires_at          timestamp with time zone,
  CONSTRAINT api_key_pk PRIMARY KEY (id),
  CONSTRAINT api_key_mesh_fk FOREIGN KEY (mesh_id) REFERENCES mesh.mesh (id) ON DELETE CASCADE,
  CONSTRAINT api_key_issuer_fk FOREIGN KEY (issued_by_member_id) REFERENCES mesh.member (id) ON DELETE SET NULL
);

CREATE INDEX api_key_prefix_idx ON mesh.api_key (secret_prefix);
CREATE INDEX api_key_mesh_idx ON mesh.api_key (mesh_id, created_at);
CREATE INDEX api_key_issuer_idx ON mesh.api_key (issued_by_member_id);
