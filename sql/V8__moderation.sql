-- claudemesh broker schema, version 8: moderation (PROTOCOL-MESH section 9).
--
-- member.role (added by V2, 'member' unless an admin invite or the operator made it 'admin') now decides who may
-- kick, disconnect, ban and unban, and who may read the audit log over the WebSocket, so its values are checked.
-- The mesh's owner is its first admin (the active admin enrolled earliest): no column stores it. Bans stay
-- member.revoked_at, whoever set it (a member's ban and the operator's revoke are one path), and are audited
-- member_banned / member_unbanned through audit_outbox in the same transaction.
ALTER TABLE mesh.member ADD CONSTRAINT member_role_ck CHECK (role IN ('member', 'admin'));
