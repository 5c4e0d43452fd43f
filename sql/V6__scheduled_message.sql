-- claudemesh broker schema, version 6: the scheduler (PROTOCOL-MESH section 7, with the section 7.10 fixes).
--
-- Same rules as V1 (plain PostgreSQL DDL that jOOQ's DDLDatabase can replay; unbounded varchar).

-- A pending scheduled message: a one-shot (cron null) or a recurring one (cron set). A row exists only while the
-- entry is pending: a one-shot's row is deleted once its send was accepted (or when it is given up), a cancelled
-- entry's row at once, so the table never holds more than the per-member cap (SCHEDULE_MAX_PENDING_PER_MEMBER) per
-- member. The original kept fired and cancelled rows forever (section 16, defect 20).
--   id:                     UUID v4 text (section 0.6)
--   member_id:              the member the entry is sent for (section 7.10: never through another member)
--   presence_id:            the creating lease; its session key is the sender while that lease is still attached
--   target:                 the "to" targetSpec as given (a 64-hex key lower-cased)
--   to_self:                true when target was the creating lease's session key or the member's own key: the
--                           message is then queued for the member key with subtype "reminder"
--   message:                plaintext as given (delivered as base64 of its UTF-8 bytes)
--   deliver_at:             when it is due: a one-shot's time, a cron entry's next fire (UTC)
--   fired_count, fired_at:  accepted fires of a cron entry, and the last one
--   pending_message_id:     the message id of a send under way (set before the send, left after it): at boot an
--                           entry whose message is already in message_queue was sent, and is completed, not sent
--                           again
CREATE TABLE mesh.scheduled_message (
  id                 varchar                  NOT NULL,
  mesh_id            varchar                  NOT NULL,
  member_id          varchar                  NOT NULL,
  presence_id        varchar,
  target             varchar                  NOT NULL,
  to_self            boolean                  NOT NULL,
  message            varchar                  NOT NULL,
  deliver_at         timestamp with time zone NOT NULL,
  cron               varchar,
  subtype            varchar,
  fired_count        integer                  NOT NULL DEFAULT 0,
  fired_at           timestamp with time zone,
  pending_message_id varchar,
  created_at         timestamp with time zone NOT NULL,
  CONSTRAINT scheduled_message_pk PRIMARY KEY (id),
  CONSTRAINT scheduled_message_mesh_fk FOREIGN KEY (mesh_id) REFERENCES mesh.mesh (id) ON DELETE CASCADE,
  CONSTRAINT scheduled_message_member_fk FOREIGN KEY (member_id) REFERENCES mesh.member (id) ON DELETE CASCADE
);

-- The scheduler's scans: a mesh's entries due before a time, in due order.
CREATE INDEX scheduled_message_due_idx ON mesh.scheduled_message (mesh_id, deliver_at);
-- list_scheduled and the per-member cap: a member's entries in creation order.
CREATE INDEX scheduled_message_member_idx ON mesh.scheduled_message (member_id, created_at);

-- The push's subtype of a queued DM ("reminder" for a scheduled reminder, section 7.10), so that a reminder still
-- waiting in the queue keeps it across a restart. Null for every peer's own send.
ALTER TABLE mesh.message_queue ADD COLUMN subtype varchar;
