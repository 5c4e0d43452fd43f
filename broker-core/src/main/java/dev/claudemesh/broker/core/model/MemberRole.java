package dev.claudemesh.broker.core.model;

/**
 * A member's role in its mesh ({@code member.role}). PROTOCOL-MESH §9.1's "owner or admin" is, in this broker, a member
 * whose role is {@link #ADMIN}: the operator enrols it as such (admin API, the jar's {@code member add --role admin},
 * or an invite of role {@code admin}) or changes its role later. The mesh's <em>owner</em> is its first admin: the
 * active admin enrolled earliest (see {@code BanRules}). Immutable.
 */
public enum MemberRole {

    MEMBER("member"),
    ADMIN("admin");

    private final String wire;

    MemberRole(String wire) {
        this.wire = wire;
    }

    /** The value stored in {@code member.role} and written in JSON. */
    public String wire() {
        return wire;
    }

    /** The role stored as {@code wire}, or null when it is none of them. */
    public static MemberRole of(String wire) {
        if (wire == null) {
            return null;
        }
        return switch (wire) {
            case "member" -> MEMBER;
            case "admin" -> ADMIN;
            default -> null;
        };
    }
}
