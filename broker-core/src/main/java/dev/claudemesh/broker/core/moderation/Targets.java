package dev.claudemesh.broker.core.moderation;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * How a moderation {@code target} names members (PROTOCOL-MESH §9.2, §9.3 with the §9.6 [fix]): a display name
 * (exact), a full member key, or a member-key prefix of at least {@link #MIN_KEY_PREFIX} hex characters. Shorter
 * prefixes matched almost anyone in the original (one character matches a sixteenth of the mesh). Stateless.
 */
public final class Targets {

    /** The shortest key prefix a target may be (PROTOCOL-MESH §9.6 [fix]: "≥ 8 hex chars"). */
    public static final int MIN_KEY_PREFIX = 8;

    private static final Pattern HEX_PREFIX = Pattern.compile("[0-9a-fA-F]{" + MIN_KEY_PREFIX + ",64}");

    private Targets() {
    }

    /**
     * The lowercase key prefix {@code target} stands for, or null when it cannot be one (not hex, or shorter than
     * {@link #MIN_KEY_PREFIX}). A full 64-hex key is its own prefix.
     */
    public static String keyPrefix(String target) {
        return target != null && HEX_PREFIX.matcher(target).matches() ? target.toLowerCase(Locale.ROOT) : null;
    }

    /**
     * True when a member of display name {@code name} and key {@code memberPubkey} (lowercase hex) is named by
     * {@code target} ({@code keyPrefix} = {@link #keyPrefix}{@code (target)}).
     */
    public static boolean matches(String target, String keyPrefix, String name, String memberPubkey) {
        return target.equals(name) || (keyPrefix != null && memberPubkey.startsWith(keyPrefix));
    }
}
