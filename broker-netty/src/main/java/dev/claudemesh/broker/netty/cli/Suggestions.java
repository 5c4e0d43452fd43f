package dev.claudemesh.broker.netty.cli;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * "Did you mean …?" for a mistyped flag or command: the known names within a small edit distance (a typo such as
 * {@code --prot} for {@code --port}), then picocli's own suggestions (names sharing a prefix). Stateless.
 */
final class Suggestions {

    private static final int MAX_SHOWN = 3;

    private Suggestions() {
    }

    /** {@code " (did you mean --port?)"}, or empty when nothing is close. */
    static String hint(String given, Collection<String> known, List<String> prefixMatches) {
        int maxDistance = Math.max(2, given.length() / 4);
        List<String> close = new ArrayList<>();
        for (String k : known) {
            if (distance(given, k) <= maxDistance) {
                close.add(k);
            }
        }
        close.sort(Comparator.comparingInt((String k) -> distance(given, k)).thenComparing(k -> k));
        Set<String> all = new LinkedHashSet<>(close);
        all.addAll(prefixMatches);
        List<String> shown = all.stream().filter(k -> !k.equals(given)).limit(MAX_SHOWN).toList();
        return shown.isEmpty() ? "" : " (did you mean " + String.join(" or ", shown) + "?)";
    }

    /** Levenshtein distance. */
    static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
