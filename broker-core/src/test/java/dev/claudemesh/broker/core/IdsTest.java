package dev.claudemesh.broker.core;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class IdsTest {

    @Test
    void shouldBe32AlphanumericCharsAndDistinct() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 10_000; i++) {
            String id = Ids.newId(1_780_000_000_000L);
            assertThat(Ids.isId(id)).as(id).isTrue();
            assertThat(seen.add(id)).as("duplicate " + id).isTrue();
        }
    }

    @Test
    void shouldIncreaseWithTimeInBinaryOrderAndIgnoringCase() {
        List<String> ids = new ArrayList<>();
        for (long t : new long[] {0L, 35L, 36L, 1_000L, 1_780_000_000_000L, 1_780_000_000_001L, 4_102_444_800_000L}) {
            ids.add(Ids.newId(t));
        }
        for (int i = 1; i < ids.size(); i++) {
            String a = ids.get(i - 1).substring(0, Ids.TIME_CHARS);
            String b = ids.get(i).substring(0, Ids.TIME_CHARS);
            assertThat(a.compareTo(b)).as(a + " < " + b).isNegative();
            assertThat(a.compareToIgnoreCase(b)).as(a + " < " + b + " ignoring case").isNegative();
        }
        assertThat(Ids.newId(1_780_000_000_000L)).startsWith(Long.toString(1_780_000_000_000L, 36))
                .startsWith(Ids.timePrefix(1_780_000_000_000L));
        assertThat(Ids.newId(1_780_000_000_001L)).isGreaterThan(Ids.timePrefix(1_780_000_000_000L));
    }

    @Test
    void shouldClampTimesOutsideTheRange() {
        assertThat(Ids.newId(-5)).startsWith("00000000");
        assertThat(Ids.newId(Long.MAX_VALUE)).startsWith("zzzzzzzz");
    }
}
