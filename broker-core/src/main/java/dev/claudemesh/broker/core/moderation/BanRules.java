package dev.claudemesh.broker.core.moderation;

import dev.claudemesh.broker.core.model.MemberRole;

import java.util.List;
import java.util.Objects;

/**
 * Who may ban, unban or demote whom (PROTOCOL-MESH §9.1, §9.3, §9.4 and the §9.6 [fix]), as pure decisions over the
 * facts the store read inside the transaction that applies them (so they hold when two requests race: the store
 * serialises a mesh's role and ban changes).
 *
 * <ul>
 *   <li>"Owner or admin" (§9.1) is a member whose role is {@link MemberRole#ADMIN}; only they may ban or unban.</li>
 *   <li>The mesh's <b>owner</b> is its first admin: the active (not banned) admin enrolled earliest. This broker has
 *       no user accounts, so the operator makes the owner by enrolling the mesh's first admin (admin API, the jar's
 *       {@code member add --role admin}, an admin invite). If the owner is revoked by the operator, the next admin
 *       by enrolment becomes the owner.</li>
 *   <li>Only the owner may ban an admin; nobody can ban the owner over the WebSocket (it cannot ban itself).</li>
 *   <li>Nobody can ban, revoke or demote the last admin of a mesh: the operator gets a conflict, and must make another
 *       member admin first. A mesh that has an admin keeps one.</li>
 *   <li>A target must name exactly one member ({@link Targets}); several matches are refused, not picked from.</li>
 * </ul>
 * Stateless.
 */
public final class BanRules {

    /** A member row as the rules see it. */
    public record Member(String memberId, String name, String pubkey, MemberRole role) {
        public Member {
            Objects.requireNonNull(memberId, "memberId");
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(pubkey, "pubkey");
            Objects.requireNonNull(role, "role");
        }
    }

    static final String FORBIDDEN = "forbidden";
    static final String INVALID = "invalid";
    static final String NOT_FOUND = "not_found";
    static final String AMBIGUOUS = "ambiguous_target";

    private BanRules() {
    }

    /**
     * A member's {@code ban}.
     *
     * @param callerId     the banning member's id
     * @param callerRole   its role, null when it is no longer an active member
     * @param target       the request's target (non-empty)
     * @param matches      the active members the target names (at most a few: two already mean "ambiguous")
     * @param ownerId      the mesh owner's member id, or null when the mesh has no active admin
     * @param activeAdmins number of active admins of the mesh
     * @return {@link BanOutcome.Done} naming the member to ban, or the refusal
     */
    public static BanOutcome ban(String callerId, MemberRole callerRole, String target, List<Member> matches,
                                 String ownerId, int activeAdmins) {
        if (callerRole != MemberRole.ADMIN) {
            return new BanOutcome.Refused(FORBIDDEN, "only owner or admin can ban");
        }
        BanOutcome one = single(target, matches, "peer \"" + target + "\" not found");
        if (!(one instanceof BanOutcome.Done)) {
            return one;
        }
        Member m = matches.get(0);
        if (m.memberId().equals(callerId)) {
            return new BanOutcome.Refused(INVALID, "cannot ban yourself");
        }
        if (m.role() == MemberRole.ADMIN) {
            if (activeAdmins <= 1) {
                return new BanOutcome.Refused(FORBIDDEN, "cannot ban the last admin of the mesh");
            }
            if (!callerId.equals(ownerId)) {
                return new BanOutcome.Refused(FORBIDDEN, "only the mesh owner (its first admin) can ban an admin");
            }
        }
        return one;
    }

    /**
     * A member's {@code unban}: any admin may lift any ban.
     *
     * @param matches the banned members the target names (display name or full key)
     */
    public static BanOutcome unban(MemberRole callerRole, String target, List<Member> matches) {
        if (callerRole != MemberRole.ADMIN) {
            return new BanOutcome.Refused(FORBIDDEN, "only owner or admin can unban");
        }
        return single(target, matches, "no banned peer \"" + target + "\"");
    }

    /**
     * The operator's revoke, or a role change away from admin: refused (with the reason) when {@code member} is an
     * active admin and the last one; null when allowed.
     */
    public static String lastAdminRefusal(Member member, boolean active, int activeAdmins) {
        if (active && member.role() == MemberRole.ADMIN && activeAdmins <= 1) {
            return "member " + member.memberId() + " is the last admin of its mesh: make another member admin first";
        }
        return null;
    }

    private static BanOutcome single(String target, List<Member> matches, String notFound) {
        if (matches.isEmpty()) {
            return new BanOutcome.Refused(NOT_FOUND, notFound);
        }
        if (matches.size() > 1) {
            return new BanOutcome.Refused(AMBIGUOUS, "target \"" + target + "\" names more than one member: use the "
                    + "full key or a longer key prefix");
        }
        Member m = matches.get(0);
        return new BanOutcome.Done(m.memberId(), m.name(), m.pubkey());
    }
}
