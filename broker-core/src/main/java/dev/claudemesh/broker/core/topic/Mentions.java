package dev.claudemesh.broker.core.topic;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The mention tokens of a topic message (PROTOCOL-MESH §8.8): the sender's {@code mentions} (lowercased, a leading
 * {@code @} removed) when it gave any, else the {@code @name} tokens of the base64-decoded body. Stateless.
 */
public final class Mentions {

    /** Most distinct tokens taken from a message. */
    public static final int MAX_TOKENS = 16;
    /** Most notification rows one message makes. */
    public static final int MAX_RECIPIENTS = 32;
    /** Longest token, in chars. */
    public static final int MAX_TOKEN_CHARS = 64;

    private static final Pattern MENTION =
            Pattern.compile("(^|[^A-Za-z0-9_-])@([A-Za-z0-9_-]{1," + MAX_TOKEN_CHARS + "})(?=$|[^A-Za-z0-9_-])");

    private Mentions() {
    }

    /**
     * The tokens of a message: {@code given} normalised when it holds any, else (when {@code scanBody}) those found
     * in {@code ciphertextBase64} decoded as UTF-8.
     */
    public static List<String> tokens(List<String> given, String ciphertextBase64, boolean scanBody) {
        Set<String> out = new LinkedHashSet<>();
        if (given != null) {
            for (String g : given) {
                String t = g.startsWith("@") ? g.substring(1) : g;
                if (!t.isEmpty() && t.length() <= MAX_TOKEN_CHARS && out.size() < MAX_TOKENS) {
                    out.add(t.toLowerCase(Locale.ROOT));
                }
            }
        }
        if (out.isEmpty() && scanBody && ciphertextBase64 != null) {
            out.addAll(scan(ciphertextBase64));
        }
        return new ArrayList<>(out);
    }

    /** The {@code @name} tokens of the base64-decoded body, lowercased, distinct, at most {@value #MAX_TOKENS}. */
    static List<String> scan(String base64) {
        String text;
        try {
            text = new String(Base64.getMimeDecoder().decode(base64), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return List.of();
        }
        Set<String> found = new LinkedHashSet<>();
        Matcher m = MENTION.matcher(text);
        while (m.find() && found.size() < MAX_TOKENS) {
            found.add(m.group(2).toLowerCase(Locale.ROOT));
        }
        return new ArrayList<>(found);
    }
}
