package dev.claudemesh.broker.netty.http;

import dev.claudemesh.broker.core.model.GroupRole;
import dev.claudemesh.broker.db.store.InvitePreset;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class InviteFormatsTest {

    @Test
    void shouldDefaultToOneUseSevenDaysAndMember() {
        assertThat(InviteFormats.maxUsesOf(null)).isEqualTo(1);
        assertThat(InviteFormats.expiresInSOf(null)).isEqualTo(604_800);
        assertThat(InviteFormats.roleOf(null)).isEqualTo("member");
        assertThat(InviteFormats.presetOf(null)).isEqualTo(InvitePreset.NONE);
    }

    @Test
    void shouldReadCliDurations() {
        assertThat(InviteFormats.durationSecondsOf("7d")).isEqualTo(604_800);
        assertThat(InviteFormats.durationSecondsOf("12h")).isEqualTo(43_200);
        assertThat(InviteFormats.durationSecondsOf("30m")).isEqualTo(1_800);
        assertThat(InviteFormats.durationSecondsOf("3600s")).isEqualTo(3_600);
        assertThat(InviteFormats.durationSecondsOf(" 90 ")).isEqualTo(90);
        for (String bad : new String[] {"", "0", "7w", "-1d", "1.5h", "367d", "d"}) {
            assertThatThrownBy(() -> InviteFormats.durationSecondsOf(bad)).as(bad)
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void shouldRefuseOutOfRangeAndMistypedValues() {
        assertThat(InviteFormats.maxUsesOf(10L)).isEqualTo(10);
        assertThat(InviteFormats.maxUsesOf(10.0)).isEqualTo(10);
        for (Object bad : new Object[] {0L, 1_000_001L, 2.5, "10", true}) {
            assertThatThrownBy(() -> InviteFormats.maxUsesOf(bad)).as(String.valueOf(bad))
                    .hasMessage("maxUses must be an integer 1..1000000");
        }
        assertThatThrownBy(() -> InviteFormats.expiresInSOf(0L)).isInstanceOf(IllegalArgumentException.class);
        assertThat(InviteFormats.roleOf("admin")).isEqualTo("admin");
        assertThatThrownBy(() -> InviteFormats.roleOf("owner")).hasMessage("role must be member or admin");
    }

    @Test
    void shouldReadPresetsAndRefuseUnknownKeys() {
        InvitePreset p = InviteFormats.presetOf(Map.of("displayName", "ann", "roleTag", "dev",
                "groups", List.of("ops", Map.of("name", "be", "role", "lead")), "messageMode", "inbox"));

        assertThat(p).isEqualTo(new InvitePreset("ann", "dev", List.of(new GroupRole("ops", null),
                new GroupRole("be", "lead")), "inbox"));
        for (Object bad : new Object[] {"x", Map.of("colour", "red"), Map.of("messageMode", "loud"),
                Map.of("groups", "be"), Map.of("groups", List.of(Map.of("role", "lead"))), Map.of("displayName", " ")}) {
            assertThatThrownBy(() -> InviteFormats.presetOf(bad)).as(String.valueOf(bad))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("preset must be an object");
        }
    }
}
