-- claudemesh broker schema, version 4: peer state across reconnects, and the member API's mesh policy
-- (PROTOCOL-MESH §2, §3.6).
--
-- Same rules as V1 (plain PostgreSQL DDL that jOOQ's DDLDatabase can replay; unbounded varchar).

-- One row per (mesh, member), written when a control-plane lease of the member closes and read by the member's next
-- hello (PROTOCOL-MESH §2.1, §2.2; only control-plane leases save, the §2.5 [fix]). Upserted in one statement, the
-- counters added in SQL, so two brokers on one database cannot lose an increase.
--   groups:           [{"name","role"?}] of the closing lease
--   profile:          {avatar?, title?, bio?, capabilities?} of the closing lease (set_profile)
--   visible:          false when the closing lease was hidden (set_visible)
--   last_summary:     the last non-empty summary of a closing lease
--   cumulative_stats: {"messagesIn","messagesOut","toolCalls","errors"}, each the sum of what the member's closed
--                     leases counted (set_stats)
--   last_seen_at:     when a lease of the member last closed
-- Rows go with their mesh or member (ON DELETE CASCADE); one per member, so the table grows with the members only.
CREATE TABLE mesh.peer_state (
  id                varchar                  NOT NULL,
  mesh_id           varchar                  NOT NULL,
  member_id         varchar                  NOT NULL,
  groups            jsonb                    NOT NULL DEFAULT '[]',
  profile           jsonb                    NOT NULL DEFAULT '{}',
  visible           boolean                  NOT NULL DEFAULT true,
  last_summary      varchar,
  last_display_name varchar,
  cumulative_stats  jsonb                    NOT NULL DEFAULT '{"messagesIn":0,"messagesOut":0,"toolCalls":0,"errors":0}',
  last_seen_at      timestamp with time zone,
  created_at        timestamp with time zone NOT NULL DEFAULT now(),
  updated_at        timestamp with time zone NOT NULL DEFAULT now(),
  CONSTRAINT peer_state_pk PRIMARY KEY (id),
  CONSTRAINT peer_state_mesh_fk FOREIGN KEY (mesh_id) REFERENCES mesh.mesh (id) ON DELETE CASCADE,
  CONSTRAINT peer_state_member_fk FOREIGN KEY (member_id) REFERENCES mesh.member (id) ON DELETE CASCADE,
  CONSTRAINT peer_state_mesh_member_uk UNIQUE (mesh_id, member_id)
);

-- Which profile fields a member may change on itself through PATCH /mesh/{meshId}/member/{memberId} (PROTOCOL-MESH
-- §3.6); admins may change every field. Replaced as a whole by PATCH /mesh/{meshId}/settings; a field missing from
-- it is not self-editable.
ALTER TABLE mesh.mesh ADD COLUMN self_editable jsonb NOT NULL
  DEFAULT '{"displayName":true,"roleTag":true,"groups":true,"messageMode":true}';
