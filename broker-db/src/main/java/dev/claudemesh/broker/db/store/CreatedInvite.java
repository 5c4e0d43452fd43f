package dev.claudemesh.broker.db.store;

/**
 * An invite just created by {@link InviteRepository#create}. Immutable. {@code token} and {@code link} carry the
 * mesh root key: show them to the operator, never log them.
 *
 * @param id         invite id (32 alnum), for revoking it
 * @param meshId     the mesh
 * @param token      base64url of the signed payload
 * @param link       {@code ic://join/<token>}
 * @param expiresAtS unix seconds, as in the payload
 * @param payload    the signed payload
 */
public record CreatedInvite(String id, String meshId, String token, String link, long expiresAtS,
                            InvitePayload payload) {

    @Override
    public String toString() {
        return "CreatedInvite[id=" + id + ", meshId=" + meshId + ", expiresAtS=" + expiresAtS + "]";
    }
}
