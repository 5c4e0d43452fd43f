package dev.claudemesh.broker.db.store;

import dev.claudemesh.broker.core.crypto.Ed25519;
import dev.claudemesh.broker.core.crypto.Hex;
import dev.claudemesh.broker.core.envelope.JsonOut;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.Objects;

/**
 * A signed invite, v1 (PROTOCOL §9): what {@code ic://join/<token>} carries. The mesh owner key signs
 * {@code v|mesh_id|mesh_slug|broker_url|expires_at|mesh_root_key|role|owner_pubkey} (numbers in decimal); the token
 * is base64url, without padding, of the payload's JSON with the fields in this record's order and the signature
 * last, as the claudemesh CLI's {@code JSON.stringify} writes it. Immutable and thread-safe.
 *
 * @param v           format version, 1
 * @param meshId      the mesh id
 * @param meshSlug    the mesh slug
 * @param brokerUrl   the broker's ws(s) URL
 * @param expiresAt   unix seconds
 * @param meshRootKey base64url of the mesh's 32-byte root key
 * @param role        {@code member} or {@code admin}
 * @param ownerPubkey the mesh owner key, 64 hex
 * @param signature   128 hex
 */
public record InvitePayload(long v, String meshId, String meshSlug, String brokerUrl, long expiresAt,
                            String meshRootKey, String role, String ownerPubkey, String signature) {

    /** The scheme and path prefix of an invite link. */
    public static final String LINK_PREFIX = "ic://join/";

    private static final Base64.Encoder B64URL = Base64.getUrlEncoder().withoutPadding();

    public InvitePayload {
        Objects.requireNonNull(meshId, "meshId");
        Objects.requireNonNull(meshSlug, "meshSlug");
        Objects.requireNonNull(brokerUrl, "brokerUrl");
        Objects.requireNonNull(meshRootKey, "meshRootKey");
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(ownerPubkey, "ownerPubkey");
        Objects.requireNonNull(signature, "signature");
    }

    /** Builds the v1 payload and signs it with the owner key's {@code ownerSeed}. */
    public static InvitePayload sign(String meshId, String meshSlug, String brokerUrl, long expiresAt,
                                     String meshRootKey, String role, String ownerPubkey, byte[] ownerSeed) {
        String canonical = canonical(1, meshId, meshSlug, brokerUrl, expiresAt, meshRootKey, role, ownerPubkey);
        return new InvitePayload(1, meshId, meshSlug, brokerUrl, expiresAt, meshRootKey, role, ownerPubkey,
                Ed25519.sign(ownerSeed, canonical));
    }

    /**
     * The payload as a client sent it (a JSON object parsed into Maps, Strings and Numbers), or null when a field
     * is missing or of the wrong type — which the broker answers as {@code invite_bad_signature}, because no
     * signature can be checked over it.
     */
    public static InvitePayload fromMap(Map<String, Object> m) {
        if (m == null) {
            return null;
        }
        Long v = integer(m.get("v"));
        Long expiresAt = integer(m.get("expires_at"));
        if (v == null || expiresAt == null
                || !(m.get("mesh_id") instanceof String meshId)
                || !(m.get("mesh_slug") instanceof String meshSlug)
                || !(m.get("broker_url") instanceof String brokerUrl)
                || !(m.get("mesh_root_key") instanceof String rootKey)
                || !(m.get("role") instanceof String role)
                || !(m.get("owner_pubkey") instanceof String ownerPubkey)
                || !(m.get("signature") instanceof String signature)) {
            return null;
        }
        return new InvitePayload(v, meshId, meshSlug, brokerUrl, expiresAt, rootKey, role, ownerPubkey, signature);
    }

    /** The string the owner key signs. */
    public String canonical() {
        return canonical(v, meshId, meshSlug, brokerUrl, expiresAt, meshRootKey, role, ownerPubkey);
    }

    static String canonical(long v, String meshId, String meshSlug, String brokerUrl, long expiresAt,
                            String meshRootKey, String role, String ownerPubkey) {
        return v + "|" + meshId + "|" + meshSlug + "|" + brokerUrl + "|" + expiresAt + "|" + meshRootKey + "|" + role
                + "|" + ownerPubkey;
    }

    /** True when {@link #signature()} is a valid signature of {@link #canonical()} by {@link #ownerPubkey()}. */
    public boolean signatureValid() {
        return Hex.isHex(ownerPubkey, 64) && Hex.isHex(signature, 128)
                && Ed25519.verify(ownerPubkey, signature, canonical());
    }

    /** The payload's JSON: {@code {"v":1,"mesh_id":…,…,"owner_pubkey":…,"signature":…}}, no whitespace. */
    public String toJson() {
        return new JsonOut(512).beginObject()
                .field("v", v)
                .field("mesh_id", meshId)
                .field("mesh_slug", meshSlug)
                .field("broker_url", brokerUrl)
                .field("expires_at", expiresAt)
                .field("mesh_root_key", meshRootKey)
                .field("role", role)
                .field("owner_pubkey", ownerPubkey)
                .field("signature", signature)
                .endObject().toString();
    }

    /** base64url (no padding) of {@link #toJson()}'s UTF-8 bytes. */
    public String token() {
        return B64URL.encodeToString(toJson().getBytes(StandardCharsets.UTF_8));
    }

    /** {@code ic://join/<token>}. */
    public String link() {
        return LINK_PREFIX + token();
    }

    /** An integral JSON number as a long, else null (JavaScript prints {@code 1.0} as {@code 1}, so do we). */
    private static Long integer(Object o) {
        if (o instanceof Long || o instanceof Integer || o instanceof Short) {
            return ((Number) o).longValue();
        }
        if (o instanceof BigInteger) {
            return null;
        }
        if (o instanceof Number n) {
            double d = n.doubleValue();
            if (d == Math.rint(d) && Math.abs(d) < 0x1p53) {
                return (long) d;
            }
        }
        return null;
    }
}
