package dev.claudemesh.broker.netty.http;

import dev.claudemesh.broker.core.envelope.JsonOut;
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
}
