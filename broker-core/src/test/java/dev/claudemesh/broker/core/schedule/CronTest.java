package dev.claudemesh.broker.core.schedule;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.TimeZone;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The cron grammar of PROTOCOL-MESH §7.2, evaluated in UTC (§7.10): fields, lists, ranges, steps, out-of-range
 * values, day-of-month AND day-of-week, the 366-day horizon, refused input, and the shortest interval.
 */
class CronTest {

    private static long t(String iso) {
        return Instant.parse(iso).toEpochMilli();
    }

    private static String iso(long ms) {
        return Instant.ofEpochMilli(ms).toString();
    }

    /** The next {@code n} fires after {@code fromIso}. */
    private static List<String> fires(String expr, String fromIso, int n) {
        Cron c = Cron.parse(expr);
        List<String> out = new ArrayList<>();
        long at = t(fromIso);
        for (int i = 0; i < n; i++) {
            at = c.nextAfter(at);
            out.add(iso(at));
        }
        return out;
    }

    @Test
    void shouldFireAtTheFirstWholeMinuteStrictlyAfterTheReference() {
        assertThat(fires("* * * * *", "2026-03-10T10:15:00Z", 2))
                .containsExactly("2026-03-10T10:16:00Z", "2026-03-10T10:17:00Z");
        assertThat(fires("* * * * *", "2026-03-10T10:15:59.999Z", 1)).containsExactly("2026-03-10T10:16:00Z");
        assertThat(fires("15 10 * * *", "2026-03-10T10:15:00Z", 1)).containsExactly("2026-03-11T10:15:00Z");
        assertThat(fires("15 10 * * *", "2026-03-10T10:14:30Z", 1)).containsExactly("2026-03-10T10:15:00Z");
    }

    @Test
    void shouldEvaluateInUtcWhateverTheProcessTimeZone() {
        TimeZone before = TimeZone.getDefault();
        try {
            TimeZone.setDefault(TimeZone.getTimeZone("Pacific/Kiritimati")); // UTC+14
            assertThat(fires("0 9 * * *", "2026-03-10T12:00:00Z", 1)).containsExactly("2026-03-11T09:00:00Z");
            TimeZone.setDefault(TimeZone.getTimeZone("America/New_York"));
            // across the US daylight-saving change (2026-03-08): still 09:00 UTC
            assertThat(fires("0 9 * * *", "2026-03-07T12:00:00Z", 2))
                    .containsExactly("2026-03-08T09:00:00Z", "2026-03-09T09:00:00Z");
        } finally {
            TimeZone.setDefault(before);
        }
    }

    @Test
    void shouldReadListsRangesAndSteps() {
        // weekdays at 9:00 and 17:30 (2026-03-13 is a Friday)
        assertThat(fires("0,30 9,17 * * 1-5", "2026-03-13T09:10:00Z", 4)).containsExactly(
                "2026-03-13T09:30:00Z", "2026-03-13T17:00:00Z", "2026-03-13T17:30:00Z", "2026-03-16T09:00:00Z");
        // */15 steps through the whole range
        assertThat(fires("*/15 * * * *", "2026-03-10T10:01:00Z", 4)).containsExactly(
                "2026-03-10T10:15:00Z", "2026-03-10T10:30:00Z", "2026-03-10T10:45:00Z", "2026-03-10T11:00:00Z");
        // N-M/S steps inside the range
        assertThat(fires("10-30/10 8 * * *", "2026-03-10T07:00:00Z", 4)).containsExactly(
                "2026-03-10T08:10:00Z", "2026-03-10T08:20:00Z", "2026-03-10T08:30:00Z", "2026-03-11T08:10:00Z");
        // N/S yields only N
        assertThat(fires("5/20 8 * * *", "2026-03-10T07:00:00Z", 2))
                .containsExactly("2026-03-10T08:05:00Z", "2026-03-11T08:05:00Z");
        // leading zeros, surrounding and repeated whitespace
        assertThat(fires("  05   08\t* * *  ", "2026-03-10T07:00:00Z", 1)).containsExactly("2026-03-10T08:05:00Z");
    }

    @Test
    void shouldDropOutOfRangeValuesSoSevenIsNotSunday() {
        // 2026-03-15 is a Sunday: "7" is dropped, so 0-7 is Sunday..Saturday and "7" alone matches nothing
        assertThat(fires("0 12 * * 0-7", "2026-03-15T00:00:00Z", 1)).containsExactly("2026-03-15T12:00:00Z");
        assertThat(fires("0 12 * * 6,7", "2026-03-15T00:00:00Z", 1)).containsExactly("2026-03-21T12:00:00Z");
        assertThatThrownBy(() -> Cron.parse("0 12 * * 7")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("day-of-week");
        assertThatThrownBy(() -> Cron.parse("60 * * * *")).hasMessageContaining("minute");
        assertThat(fires("0,60 0 1 1 *", "2026-03-10T00:00:00Z", 1)).containsExactly("2027-01-01T00:00:00Z");
    }

    @Test
    void shouldRequireDayOfMonthAndDayOfWeekBothToMatch() {
        // classic cron would fire on every 13th and every Friday; here only on Friday the 13th
        assertThat(fires("0 0 13 * 5", "2026-01-01T00:00:00Z", 3)).containsExactly(
                "2026-02-13T00:00:00Z", "2026-03-13T00:00:00Z", "2026-11-13T00:00:00Z");
    }

    @Test
    void shouldRefuseAnExpressionWithNoFireWithin366Days() {
        // 30 February never comes
        assertThat(Cron.parse("0 0 30 2 *").nextAfter(t("2026-03-10T00:00:00Z"))).isEqualTo(-1);
        // 31 April never comes either
        assertThat(Cron.parse("0 0 31 4 *").nextAfter(t("2026-03-10T00:00:00Z"))).isEqualTo(-1);
        // 29 February: within 366 days of 2027-03-10 (2028-02-29), not of 2026-03-10
        assertThat(Cron.parse("0 0 29 2 *").nextAfter(t("2026-03-10T00:00:00Z"))).isEqualTo(-1);
        assertThat(iso(Cron.parse("0 0 29 2 *").nextAfter(t("2027-03-10T00:00:00Z"))))
                .isEqualTo("2028-02-29T00:00:00Z");
        // a yearly fire exactly at the edge: the first minute after the reference a year later is within
        long from = t("2026-03-10T10:15:30Z");
        assertThat(iso(Cron.parse("16 10 10 3 *").nextAfter(from))).isEqualTo("2026-03-10T10:16:00Z");
        assertThat(iso(Cron.parse("15 10 10 3 *").nextAfter(from))).isEqualTo("2027-03-10T10:15:00Z");
        assertThat(Cron.parse("15 10 10 3 *").nextAfter(from) - from).isLessThanOrEqualTo(Cron.HORIZON_MS);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "* * * *", "* * * * * *", "MON * * * *", "* * * * MON", "*/0 * * * *",
            "1- * * * *", "-1 * * * *", "5abc * * * *", "1,,2 * * * *", "* * ? * *", "L * * * *", "1-2-3 * * * *",
            "*/x * * * *", "1/ * * * *", "5-1 * * * *", "99 * * * *", "0 24 * * *", "0 0 0 * *", "0 0 * 13 *"})
    void shouldRefuseInputOutsideTheGrammar(String expr) {
        assertThatThrownBy(() -> Cron.parse(expr)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("cron: ");
    }

    @Test
    void shouldMeasureTheShortestIntervalBetweenTwoFires() {
        long from = t("2026-03-10T00:00:00Z");
        assertThat(Cron.parse("* * * * *").minIntervalMs(from)).isEqualTo(60_000);
        assertThat(Cron.parse("*/5 * * * *").minIntervalMs(from)).isEqualTo(300_000);
        // minutes 0 and 59 of consecutive hours: 59 then 1 minute apart
        assertThat(Cron.parse("0,59 * * * *").minIntervalMs(from)).isEqualTo(60_000);
        assertThat(Cron.parse("0,59 3,9 * * *").minIntervalMs(from)).isEqualTo(59 * 60_000);
        // 23:59 and the next day's 00:00
        assertThat(Cron.parse("0,59 0,23 * * *").minIntervalMs(from)).isEqualTo(60_000);
        assertThat(Cron.parse("0 9 * * *").minIntervalMs(from)).isEqualTo(86_400_000);
        assertThat(Cron.parse("0 9 * * 1-5").minIntervalMs(from)).isEqualTo(86_400_000);
        assertThat(Cron.parse("0 9 * * 1").minIntervalMs(from)).isEqualTo(7 * 86_400_000L);
        // fires once in the two years looked at (31 December 2026 is a Thursday; 2027's is a Friday)
        assertThat(Cron.parse("0 0 31 12 4").minIntervalMs(from)).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void shouldKeepTheExpressionAsGiven() {
        assertThat(Cron.parse(" 0 9 * * 1-5 ").expression()).isEqualTo(" 0 9 * * 1-5 ");
        assertThat(Cron.parse("0 9 * * 1-5")).hasToString("0 9 * * 1-5");
    }
}
