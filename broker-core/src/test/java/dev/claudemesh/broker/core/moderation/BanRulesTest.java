package dev.claudemesh.broker.core.moderation;

import dev.claudemesh.broker.core.model.MemberRole;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The ban rules (PROTOCOL-MESH §9 with the §9.6 [fix], defect 7): admins only, one member named, not oneself, only
 * the owner (the first admin) bans an admin, nobody bans or demotes the last admin; key prefixes of 8+ hex chars.
 */
class BanRulesTest {

    private static final BanRules.Member OWNER = new BanRules.Member("o", "olga", "aa".repeat(32), MemberRole.ADMIN);
    private static final BanRules.Member ADMIN = new BanRules.Member("a", "ada", "bb".repeat(32), MemberRole.ADMIN);
    private static final BanRules.Member BOB = new BanRules.Member("b", "bob", "cc".repeat(32), MemberRole.MEMBER);

    private static BanOutcome.Refused refused(String code, String message) {
        return new BanOutcome.Refused(code, message);
    }

    @Test
    void onlyAnActiveAdminShouldBan() {
        assertThat(BanRules.ban("b", MemberRole.MEMBER, "olga", List.of(OWNER), "o", 2))
                .isEqualTo(refused("forbidden", "only owner or admin can ban"));
        assertThat(BanRules.ban("x", null, "bob", List.of(BOB), "o", 2))
                .isEqualTo(refused("forbidden", "only owner or admin can ban"));
        assertThat(BanRules.ban("a", MemberRole.ADMIN, "bob", List.of(BOB), "o", 2))
                .isEqualTo(new BanOutcome.Done("b", "bob", BOB.pubkey()));
    }

    @Test
    void theTargetShouldNameExactlyOneMemberOtherThanTheCaller() {
        assertThat(BanRules.ban("a", MemberRole.ADMIN, "zed", List.of(), "o", 2))
                .isEqualTo(refused("not_found", "peer \"zed\" not found"));
        assertThat(BanRules.ban("a", MemberRole.ADMIN, "cccccccc", List.of(BOB, BOB), "o", 2))
                .isEqualTo(refused("ambiguous_target", "target \"cccccccc\" names more than one member: use the full "
                        + "key or a longer key prefix"));
        assertThat(BanRules.ban("a", MemberRole.ADMIN, "ada", List.of(ADMIN), "o", 2))
                .isEqualTo(refused("invalid", "cannot ban yourself"));
    }

    @Test
    void onlyTheOwnerShouldBanAnAdminAndNobodyTheOwner() {
        assertThat(BanRules.ban("a", MemberRole.ADMIN, "olga", List.of(OWNER), "o", 2))
                .isEqualTo(refused("forbidden", "only the mesh owner (its first admin) can ban an admin"));
        assertThat(BanRules.ban("o", MemberRole.ADMIN, "ada", List.of(ADMIN), "o", 2))
                .isEqualTo(new BanOutcome.Done("a", "ada", ADMIN.pubkey()));
        assertThat(BanRules.ban("o", MemberRole.ADMIN, "olga", List.of(OWNER), "o", 2))
                .isEqualTo(refused("invalid", "cannot ban yourself"));
    }

    @Test
    void nobodyShouldBanOrDemoteTheLastAdmin() {
        assertThat(BanRules.ban("o", MemberRole.ADMIN, "ada", List.of(ADMIN), "o", 1))
                .isEqualTo(refused("forbidden", "cannot ban the last admin of the mesh"));
        assertThat(BanRules.lastAdminRefusal(OWNER, true, 1)).contains("last admin");
        assertThat(BanRules.lastAdminRefusal(OWNER, true, 2)).isNull();
        assertThat(BanRules.lastAdminRefusal(OWNER, false, 1)).as("already banned: not an active admin").isNull();
        assertThat(BanRules.lastAdminRefusal(BOB, true, 1)).isNull();
    }

    @Test
    void anyAdminShouldUnban() {
        assertThat(BanRules.unban(MemberRole.MEMBER, "bob", List.of(BOB)))
                .isEqualTo(refused("forbidden", "only owner or admin can unban"));
        assertThat(BanRules.unban(MemberRole.ADMIN, "bob", List.of()))
                .isEqualTo(refused("not_found", "no banned peer \"bob\""));
        assertThat(BanRules.unban(MemberRole.ADMIN, "bob", List.of(BOB)))
                .isEqualTo(new BanOutcome.Done("b", "bob", BOB.pubkey()));
    }

    @Test
    void keyPrefixesShouldNeedEightHexCharacters() {
        assertThat(Targets.keyPrefix("c")).isNull();
        assertThat(Targets.keyPrefix("ccccccc")).isNull();
        assertThat(Targets.keyPrefix("CCCCCCCC")).isEqualTo("cccccccc");
        assertThat(Targets.keyPrefix("bob-1234")).isNull();
        assertThat(Targets.keyPrefix("cc".repeat(32))).isEqualTo("cc".repeat(32));
        assertThat(Targets.keyPrefix("cc".repeat(33))).isNull();
        assertThat(Targets.matches("c", Targets.keyPrefix("c"), "bob", BOB.pubkey())).isFalse();
        assertThat(Targets.matches("cccccccc", "cccccccc", "bob", BOB.pubkey())).isTrue();
        assertThat(Targets.matches("bob", null, "bob", BOB.pubkey())).isTrue();
    }
}
