package dev.claudemesh.broker.db.store;

import dev.claudemesh.broker.core.model.GroupRole;
import org.jooq.JSONB;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class RowsTest {

    @Test
    void shouldRoundTripDefaultGroups() {
        List<GroupRole> groups = List.of(new GroupRole("be", "lead"), new GroupRole("ops", null));

        JSONB json = Rows.groupsJson(groups);

        assertThat(json.data()).isEqualTo("[{\"name\":\"be\",\"role\":\"lead\"},{\"name\":\"ops\"}]");
        assertThat(Rows.groups(json)).isEqualTo(groups);
    }

    @Test
    void shouldReadGroupsWrittenByOtherTools() {
        JSONB json = JSONB.valueOf("[\"fe\", {\"role\":\"x\"}, {\"name\":\"be\",\"extra\":{\"a\":[1]}}, 3]");

        assertThat(Rows.groups(json)).containsExactly(new GroupRole("fe", null), new GroupRole("be", null));
        assertThat(Rows.groups(JSONB.valueOf("{}"))).isEmpty();
        assertThat(Rows.groups(null)).isEmpty();
    }

    @Test
    void shouldRoundTripPeerGrants() {
        Map<String, List<String>> grants = Map.of("ab".repeat(32), List.of("dm", "broadcast"), "cd".repeat(32),
                List.of());

        assertThat(Rows.grants(Rows.grantsJson(grants))).isEqualTo(grants);
        assertThat(Rows.grantsJson(null).data()).isEqualTo("{}");
        assertThat(Rows.grants(JSONB.valueOf("{\"k\":\"not-a-list\",\"j\":[\"dm\",1]}")))
                .isEqualTo(Map.of("j", List.of("dm")));
    }

    @Test
    void shouldReplaceNulCharactersOnly() {
        assertThat(Rows.clean("a\0b")).isEqualTo("a\uFFFDb");
        String plain = "plain";
        assertThat(Rows.clean(plain)).isSameAs(plain);
        assertThat(Rows.clean(null)).isNull();
    }

    @Test
    void shouldConvertMillisWithoutLoss() {
        long ms = 1_717_459_200_123L;

        assertThat(Rows.millis(Rows.time(ms))).isEqualTo(ms);
    }
}
