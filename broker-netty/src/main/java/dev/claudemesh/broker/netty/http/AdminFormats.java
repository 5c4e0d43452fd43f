package dev.claudemesh.broker.netty.http;

import dev.claudemesh.broker.core.audit.AuditChain;
import dev.claudemesh.broker.core.envelope.JsonOut;
import dev.claudemesh.broker.db.store.AdminListing;
import dev.claudemesh.broker.core.model.Member;
import dev.claudemesh.broker.core.model.MemberRole;
import dev.claudemesh.broker.core.model.Mesh;
import dev.claudemesh.broker.db.store.AuditVerification;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Validation rules and JSON shapes of the membership administration (DESIGN "Membership administration"), shared
 * by the {@code /admin} routes and the jar's subcommands so both accept and print exactly the same things.
 * Stateless and thread-safe.
 */
public final class AdminFormats {

    /**
     * A slug: 1 to 64 characters of lowercase letters, digits and dashes, starting with a letter or digit. Slugs go
     * into invite payloads and URLs, so they stay URL- and shell-safe.
     */
    public static final Pattern SLUG = Pattern.compile("[a-z0-9][a-z0-9-]{0,63}");

    private static final Pattern HEX64 = Pattern.compile("[0-9a-fA-F]{64}");

    private AdminFormats() {
    }

    /** True when {@code slug} is a valid mesh slug ({@link #SLUG}). */
    public static boolean validSlug(String slug) {
        return slug != null && SLUG.matcher(slug).matches();
    }

    /**
     * The member key in canonical form (64 lowercase hex), or null when {@code pubkey} is not 64 hex characters.
     * Uppercase hex is accepted and lowercased: it names the same key, and peers always present lowercase.
     */
    public static String canonicalPubkey(String pubkey) {
        if (pubkey == null || !HEX64.matcher(pubkey).matches()) {
            return null;
        }
        return pubkey.toLowerCase(Locale.ROOT);
    }

    /** {@code {"id","name","slug"}}. */
    public static String meshJson(Mesh mesh) {
        return new JsonOut(128).beginObject()
                .field("id", mesh.id())
                .field("name", mesh.name())
                .field("slug", mesh.slug())
                .endObject().toString();
    }

    /** {@code {"id","meshId","pubkey","displayName"}}. */
    public static String memberJson(Member member) {
        return memberJson(member, null);
    }

    /**
     * {@code {"id","meshId","pubkey","displayName","role"?,"revoked"?}}: {@code role} when given (routes and
     * subcommands that set or change it), {@code "revoked":true} for a banned member.
     */
    public static String memberJson(Member member, MemberRole role) {
        JsonOut o = new JsonOut(224).beginObject()
                .field("id", member.id())
                .field("meshId", member.meshId())
                .field("pubkey", member.pubkey())
                .field("displayName", member.displayName());
        if (role != null) {
            o.field("role", role.wire());
        }
        if (member.revoked()) {
            o.field("revoked", true);
        }
        return o.endObject().toString();
    }

    /** {@code {"ok":true,"events":N}} or {@code {"ok":false,"events":N,"brokenAt":<id>}}. */
    public static String verificationJson(AuditVerification v) {
        JsonOut out = new JsonOut(64).beginObject()
                .field("ok", v.ok())
                .field("events", v.events());
        if (v.brokenAt() != null) {
            out.field("brokenAt", v.brokenAt().longValue());
        }
        return out.endObject().toString();
    }

    /** {@code {"error":"<message>"}}, escaped. */
    public static String errorJson(String message) {
        return new JsonOut(32 + message.length()).beginObject().field("error", message).endObject().toString();
    }

    /**
     * Opens a listed mesh's object and writes {@code "id","name","slug","createdAt","members","activeMembers"}; the
     * caller may add fields (the admin API adds {@code livePeers}) and closes it.
     */
    public static JsonOut meshRow(JsonOut o, AdminListing.MeshRow m) {
        return o.beginObject().field("id", m.id()).field("name", m.name()).field("slug", m.slug())
                .field("createdAt", AuditChain.isoMillis(m.createdAtMs())).field("members", m.members())
                .field("activeMembers", m.activeMembers());
    }

    /**
     * Opens a listed member's object: {@code "id","pubkey","displayName","roleTag"?,"role","createdAt","revoked",
     * "revokedAt"?}; the caller may add fields (the admin API adds {@code leases}) and closes it.
     */
    public static JsonOut memberRow(JsonOut o, AdminListing.MemberRow m) {
        o.beginObject().field("id", m.id()).field("pubkey", m.pubkey()).field("displayName", m.displayName());
        if (m.roleTag() != null) {
            o.field("roleTag", m.roleTag());
        }
        o.field("role", m.role().wire()).field("createdAt", AuditChain.isoMillis(m.createdAtMs()))
                .field("revoked", m.revoked());
        if (m.revoked()) {
            o.field("revokedAt", AuditChain.isoMillis(m.revokedAtMs()));
        }
        return o;
    }

    /**
     * A listed invite, closed: {@code "id","role","maxUses","usedCount","usesLeft","createdAt","expiresAt","revoked",
     * "revokedAt"?,"state","link"}; {@code state} is {@code active}, {@code revoked}, {@code expired} or
     * {@code used_up} at {@code nowMs}, the first that applies.
     */
    public static JsonOut inviteRow(JsonOut o, AdminListing.InviteRow i, long nowMs) {
        o.beginObject().field("id", i.id()).field("role", i.role()).field("maxUses", i.maxUses())
                .field("usedCount", i.usedCount()).field("usesLeft", i.usesLeft())
                .field("createdAt", AuditChain.isoMillis(i.createdAtMs()))
                .field("expiresAt", AuditChain.isoMillis(i.expiresAtMs()))
                .field("revoked", i.revokedAtMs() != null);
        if (i.revokedAtMs() != null) {
            o.field("revokedAt", AuditChain.isoMillis(i.revokedAtMs()));
        }
        String state = i.revokedAtMs() != null ? "revoked" : i.expiresAtMs() <= nowMs ? "expired"
                : i.usesLeft() == 0 ? "used_up" : "active";
        return o.field("state", state).field("link", i.link()).endObject();
    }

    /** {@code {"ok":true,"deleted":{"members","invites","messages","auditEvents"}}}. */
    public static String deletedJson(AdminListing.DeletedMesh d) {
        return new JsonOut(128).beginObject().field("ok", true).name("deleted").beginObject()
                .field("members", d.members()).field("invites", d.invites()).field("messages", d.messages())
                .field("auditEvents", d.auditEvents()).endObject().endObject().toString();
    }
}
