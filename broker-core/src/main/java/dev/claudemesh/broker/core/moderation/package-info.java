/**
 * Moderation (PROTOCOL-MESH §9): {@code kick}, {@code disconnect}, {@code ban}, {@code unban}, {@code list_bans}, as one
 * mesh service ({@link dev.claudemesh.broker.core.moderation.ModerationService}). Kicks and disconnects end leases
 * through the mesh's one lease-ending path; bans go through the same database change and the same lease ending as the
 * operator's revoke ({@link dev.claudemesh.broker.core.moderation.ModerationStore}); who may do what is
 * {@link dev.claudemesh.broker.core.moderation.BanRules}.
 */
package dev.claudemesh.broker.core.moderation;
