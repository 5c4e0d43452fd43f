-- claudemesh broker schema, version 2: invite-based enrolment (PROTOCOL section 9).
--
-- Same rules as V1 (plain PostgreSQL DDL that jOOQ's DDLDatabase can replay; unbounded varchar).

-- Every mesh's owner ed25519 key pair and root key, one row per mesh. The owner key signs invites; the broker is
-- the only holder of its secret. A separate table rather than nullable columns on mesh.mesh: SQL cannot make
-- ed25519 keys, so meshes created before this version get their row lazily, at their first invite, by
-- MeshKeys.ensure() (INSERT … ON CONFLICT (mesh_id) DO NOTHING, then SELECT: of two concurrent callers one row
-- wins and both use it). Meshes created from now on get it right after creation.
--   owner_pubkey:  64 lowercase hex
--   secret_format: 'plain'       owner_secret = base64url(32-byte seed), secret_iv null (BROKER_ENCRYPTION_KEY unset)
--                  'aes-256-gcm' owner_secret = base64url(ciphertext || 16-byte tag) of the seed under
--                                BROKER_ENCRYPTION_KEY, secret_iv = base64url(random 12-byte IV),
--                                additional data "claudemesh-owner-secret|<mesh_id>"
--   root_key:      base64url (no padding) of 32 random bytes, carried to members by invites
CREATE TABLE mesh.mesh_key (
  mesh_id       varchar                  NOT NULL,
  owner_pubkey  varchar                  NOT NULL,
  owner_secret  varchar                  NOT NULL,
  secret_format varchar                  NOT NULL,
  secret_iv     varchar,
  root_key      varchar                  NOT NULL,
  created_at    timestamp with time zone NOT NULL DEFAULT now(),
  CONSTRAINT mesh_key_pk PRIMARY KEY (mesh_id),
  CONSTRAINT mesh_key_mesh_fk FOREIGN KEY (mesh_id) REFERENCES mesh.mesh (id),
  CONSTRAINT mesh_key_format_ck CHECK (secret_format IN ('plain', 'aes-256-gcm'))
);

-- An invite: token is base64url (no padding) of payload, the signed invite JSON exactly as issued (text, not
-- jsonb, so that the token stays its encoding byte for byte). role is 'member' or 'admin'. A use is claimed by
-- one UPDATE … SET used_count = used_count + 1 WHERE used_count < max_uses AND revoked_at IS NULL AND
-- expires_at > now(), in the transaction that inserts the member, so concurrent joins never exceed max_uses.
-- preset (nullable): {"displayName","roleTag","groups":[{"name","role"?}],"messageMode"} given to joiners.
CREATE TABLE mesh.invite (
  id         varchar                  NOT NULL,
  mesh_id    varchar                  NOT NULL,
  token      varchar                  NOT NULL,
  payload    varchar                  NOT NULL,
  role       varchar                  NOT NULL,
  max_uses   integer                  NOT NULL,
  used_count integer                  NOT NULL DEFAULT 0,
  expires_at timestamp with time zone NOT NULL,
  revoked_at timestamp with time zone,
  preset     jsonb,
  created_at timestamp with time zone NOT NULL DEFAULT now(),
  CONSTRAINT invite_pk PRIMARY KEY (id),
  CONSTRAINT invite_mesh_fk FOREIGN KEY (mesh_id) REFERENCES mesh.mesh (id),
  CONSTRAINT invite_token_uk UNIQUE (token),
  CONSTRAINT invite_role_ck CHECK (role IN ('member', 'admin')),
  CONSTRAINT invite_uses_ck CHECK (max_uses >= 1 AND used_count >= 0 AND used_count <= max_uses)
);

CREATE INDEX invite_mesh_idx ON mesh.invite (mesh_id, created_at);

-- The role a member was enrolled with ('member' or 'admin'); members added by operators are 'member'.
ALTER TABLE mesh.member ADD COLUMN role varchar NOT NULL DEFAULT 'member';

-- Audit events of enrolment (invite_created, invite_revoked, member_joined), written in the same transaction as
-- the change they describe and moved into the audit chain by the running broker, which submits them to its
-- single durable writer (PgDurableLog) in id order and deletes them. Nothing else appends to audit_log: the writer
-- caches each mesh's last hash, so a row appended behind its back (e.g. by the jar's `invite create` while a broker
-- runs on the same database) would fork the chain. Columns as in audit_log, without the hashes.
CREATE TABLE mesh.audit_outbox (
  id                bigserial                   NOT NULL,
  mesh_id           varchar                     NOT NULL,
  event_type        varchar                     NOT NULL,
  actor_id          varchar,
  payload_canonical varchar                     NOT NULL,
  created_at        timestamp(3) with time zone NOT NULL,
  CONSTRAINT audit_outbox_pk PRIMARY KEY (id)
);
