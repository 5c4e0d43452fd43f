package dev.claudemesh.broker.core.mesh;

/**
 * Why a {@code hello} or {@code session_hello} was refused (PROTOCOL §3.1, §3.2): the code is the error frame's
 * {@code code}, the close reason, the audit {@code hello_rejected.reason} and the label of
 * {@code broker_connections_rejected_total}.
 */
enum HelloRejection {

    BAD_SESSION_PUBKEY("bad_session_pubkey"),
    BAD_PARENT_PUBKEY("bad_parent_pubkey"),
    ATTESTATION_MISMATCH("attestation_mismatch"),
    CAPACITY("capacity"),
    TIMESTAMP_SKEW("timestamp_skew"),
    MALFORMED("malformed"),
    EXPIRED("expired"),
    TTL_TOO_LONG("ttl_too_long"),
    BAD_SIGNATURE("bad_signature"),
    /** The member is revoked: a custom message, and close 4002 {@code banned}. */
    REVOKED("revoked"),
    UNAUTHORIZED("unauthorized"),
    MEMBER_ID_MISMATCH("member_id_mismatch"),
    PARENT_MEMBER_ID_MISMATCH("parent_member_id_mismatch"),
    SESSION_PUBKEY_IN_USE("session_pubkey_in_use");

    private final String code;

    HelloRejection(String code) {
        this.code = code;
    }

    /** The code on the wire. */
    String code() {
        return code;
    }
}
