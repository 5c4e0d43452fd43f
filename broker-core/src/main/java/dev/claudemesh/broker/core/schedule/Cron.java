package dev.claudemesh.broker.core.schedule;

import java.time.DayOfWeek;
import java.time.LocalDate;
import java.util.Objects;

/**
 * A 5-field cron expression of the scheduler (PROTOCOL-MESH §7.2), evaluated in UTC (§7.10 [fix]: the original used
 * the broker process's time zone). Immutable; thread-safe.
 *
 * <p>Grammar: exactly five whitespace-separated fields, minute 0–59, hour 0–23, day-of-month 1–31, month 1–12,
 * day-of-week 0–6 (0 = Sunday). A field is a comma list of items; an item is {@code *}, {@code N} or {@code N-M},
 * optionally followed by {@code /S}: {@code *}{@code /S} steps through the whole range, {@code N-M/S} inside the range,
 * {@code N/S} yields only N. Values outside a field's range are dropped (so {@code 7} is not Sunday), as in the
 * original. A minute matches when all five fields match: day-of-month AND day-of-week (classic cron ORs them).</p>
 *
 * <p>Deviations, all on input the original mishandled: an item that is not of the grammar ({@code 5abc},
 * {@code MON}, {@code 1-}, an empty item) is refused instead of being prefix-parsed or silently dropped; a step of 0
 * is refused (the original looped forever); a field left empty once out-of-range values are dropped is refused, as
 * in the original.</p>
 */
public final class Cron {

    /** How far ahead the next fire is looked for; an expression with none in this span is invalid (§7.1). */
    public static final long HORIZON_MS = 366L * 24 * 3_600_000;
    private static final long MINUTE_MS = 60_000;
    private static final long DAY_MS = 86_400_000;
    private static final int MINUTES_PER_DAY = 1_440;
    /** Days looked at when measuring the shortest gap between two fires (two years: a leap day included). */
    private static final int GAP_SPAN_DAYS = 2 * 366;

    private final String expression;
    /** Bit i set: minute i matches (0–59). */
    private final long minutes;
    /** Bit i set: hour i matches (0–23). */
    private final long hours;
    /** Bit i set: day-of-month i matches (1–31). */
    private final long daysOfMonth;
    /** Bit i set: month i matches (1–12). */
    private final long months;
    /** Bit i set: day-of-week i matches (0 = Sunday … 6). */
    private final long daysOfWeek;

    private Cron(String expression, long minutes, long hours, long daysOfMonth, long months, long daysOfWeek) {
        this.expression = expression;
        this.minutes = minutes;
        this.hours = hours;
        this.daysOfMonth = daysOfMonth;
        this.months = months;
        this.daysOfWeek = daysOfWeek;
    }

    /**
     * Parses {@code expression}.
     *
     * @throws IllegalArgumentException when it is not of the grammar, or a field matches no value
     */
    public static Cron parse(String expression) {
        Objects.requireNonNull(expression, "expression");
        String[] fields = expression.trim().split("\\s+");
        if (fields.length != 5) {
            throw new IllegalArgumentException("cron: " + fields.length + " fields (expected: 5)");
        }
        return new Cron(expression, field(fields[0], 0, 59, "minute"), field(fields[1], 0, 23, "hour"),
                field(fields[2], 1, 31, "day-of-month"), field(fields[3], 1, 12, "month"),
                field(fields[4], 0, 6, "day-of-week"));
    }

    private static long field(String text, int min, int max, String name) {
        long bits = 0;
        for (String item : text.split(",", -1)) {
            bits |= item(item, min, max, name);
        }
        if (bits == 0) {
            throw new IllegalArgumentException("cron: " + name + " field '" + text + "' matches no value in "
                    + min + "-" + max);
        }
        return bits;
    }

    private static long item(String item, int min, int max, String name) {
        String range = item;
        long step = 1;
        int slash = item.indexOf('/');
        if (slash >= 0) {
            range = item.substring(0, slash);
            step = number(item.substring(slash + 1), item, name);
            if (step == 0) {
                throw new IllegalArgumentException("cron: " + name + " item '" + item + "' has a step of 0");
            }
        }
        long start;
        long end;
        if (range.equals("*")) {
            start = min;
            end = max;
        } else {
            int dash = range.indexOf('-');
            if (dash >= 0) {
                start = number(range.substring(0, dash), item, name);
                end = number(range.substring(dash + 1), item, name);
            } else {
                start = number(range, item, name);
                end = start;
            }
        }
        long bits = 0;
        for (long v = start; v <= end; v += step) {
            if (v >= min && v <= max) {
                bits |= 1L << v;
            }
        }
        return bits;
    }

    /** A run of ASCII digits (leading zeros allowed); larger values saturate, so they fall out of every range. */
    private static long number(String s, String item, String name) {
        if (s.isEmpty()) {
            throw new IllegalArgumentException("cron: " + name + " item '" + item + "' is not *, N or N-M (/S)");
        }
        long v = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                throw new IllegalArgumentException("cron: " + name + " item '" + item + "' is not *, N or N-M (/S)");
            }
            v = Math.min(1_000_000, v * 10 + (c - '0'));
        }
        return v;
    }

    /** The expression as given. */
    public String expression() {
        return expression;
    }

    /**
     * The first whole minute strictly after {@code afterMs} (epoch ms, UTC) that matches, or -1 when none does
     * within {@link #HORIZON_MS} of {@code afterMs}.
     */
    public long nextAfter(long afterMs) {
        long limitMs = afterMs + HORIZON_MS;
        long candidate = Math.floorDiv(afterMs, MINUTE_MS) * MINUTE_MS + MINUTE_MS;
        long epochDay = Math.floorDiv(candidate, DAY_MS);
        int fromMinute = (int) ((candidate - epochDay * DAY_MS) / MINUTE_MS);
        while (epochDay * DAY_MS < limitMs) {
            if (dayMatches(epochDay)) {
                int m = firstMinuteOfDayFrom(fromMinute);
                if (m >= 0) {
                    long t = epochDay * DAY_MS + m * MINUTE_MS;
                    return t < limitMs ? t : -1;
                }
            }
            epochDay++;
            fromMinute = 0;
        }
        return -1;
    }

    /** True when the UTC day {@code epochDay} matches month, day-of-month AND day-of-week. */
    private boolean dayMatches(long epochDay) {
        LocalDate d = LocalDate.ofEpochDay(epochDay);
        int dow = d.getDayOfWeek() == DayOfWeek.SUNDAY ? 0 : d.getDayOfWeek().getValue();
        return has(months, d.getMonthValue()) && has(daysOfMonth, d.getDayOfMonth()) && has(daysOfWeek, dow);
    }

    /** The first matching minute of a day at or after minute-of-day {@code from}, or -1. */
    private int firstMinuteOfDayFrom(int from) {
        for (int h = from / 60; h < 24; h++) {
            if (!has(hours, h)) {
                continue;
            }
            for (int m = h == from / 60 ? from % 60 : 0; m < 60; m++) {
                if (has(minutes, m)) {
                    return h * 60 + m;
                }
            }
        }
        return -1;
    }

    /**
     * The shortest time between two consecutive fires, looking at the days from {@code fromMs} on over two years,
     * in ms; {@link Long#MAX_VALUE} when the expression fires at most once in that span. Within a day every matching
     * day has the same fires, so the shortest gap is either between two fires of one day or from the last fire of
     * a matching day to the first of the next one.
     */
    public long minIntervalMs(long fromMs) {
        int first = -1;
        int last = -1;
        int shortestInDay = Integer.MAX_VALUE;
        for (int t = 0; t < MINUTES_PER_DAY; t++) {
            if (has(hours, t / 60) && has(minutes, t % 60)) {
                if (last >= 0) {
                    shortestInDay = Math.min(shortestInDay, t - last);
                }
                if (first < 0) {
                    first = t;
                }
                last = t;
            }
        }
        long shortestDayGap = Long.MAX_VALUE;
        long previousDay = Long.MIN_VALUE;
        long day = Math.floorDiv(fromMs, DAY_MS);
        for (int i = 0; i < GAP_SPAN_DAYS; i++, day++) {
            if (dayMatches(day)) {
                if (previousDay != Long.MIN_VALUE) {
                    shortestDayGap = Math.min(shortestDayGap, day - previousDay);
                }
                previousDay = day;
            }
        }
        long shortestMinutes = shortestInDay;
        if (shortestDayGap != Long.MAX_VALUE) {
            shortestMinutes = Math.min(shortestMinutes, shortestDayGap * MINUTES_PER_DAY - (last - first));
        }
        return shortestMinutes == Integer.MAX_VALUE ? Long.MAX_VALUE : shortestMinutes * MINUTE_MS;
    }

    private static boolean has(long bits, int v) {
        return (bits & (1L << v)) != 0;
    }

    @Override
    public String toString() {
        return expression;
    }
}
