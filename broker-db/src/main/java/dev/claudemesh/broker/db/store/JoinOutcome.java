package dev.claudemesh.broker.db.store;

/** What {@link InviteRepository#join} decided. Immutable. */
public sealed interface JoinOutcome {

    /** A new member was enrolled, consuming one use of the invite. */
    record Joined(String memberId, String inviteId) implements JoinOutcome {
    }

    /** The key already belongs to a member of the mesh: nothing changed, no use consumed. */
    record AlreadyMember(String memberId) implements JoinOutcome {
    }

    /** Refused; nothing changed. */
    record Refused(Reason reason) implements JoinOutcome {
    }

    /**
     * Why a join was refused, in the order PROTOCOL §9 checks them ({@link #MEMBER_REVOKED} comes after the invite
     * checks, where the protocol would answer {@code alreadyMember}).
     */
    enum Reason {
        BAD_SIGNATURE("invite_bad_signature"),
        MESH_NOT_FOUND("mesh_not_found"),
        OWNER_MISMATCH("invite_owner_mismatch"),
        NOT_FOUND("invite_not_found"),
        MESH_MISMATCH("invite_mesh_mismatch"),
        REVOKED("invite_revoked"),
        EXPIRED("invite_expired"),
        EXHAUSTED("invite_exhausted"),
        /** [broker addition] the key belongs to a revoked (banned) member: an invite does not lift a ban. */
        MEMBER_REVOKED("member_revoked");

        private final String code;

        Reason(String code) {
            this.code = code;
        }

        /** The protocol's error code, e.g. {@code invite_expired}. */
        public String code() {
            return code;
        }
    }
}
