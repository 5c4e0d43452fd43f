package dev.claudemesh.broker.netty.http;

import dev.claudemesh.broker.core.envelope.JsonOut;
import dev.claudemesh.broker.core.model.GroupRole;
import dev.claudemesh.broker.db.store.CreatedInvite;
import dev.claudemesh.broker.db.store.InvitePreset;
import dev.claudemesh.broker.db.store.InviteRepository;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Validation rules and JSON shapes of invites (PROTOCOL §9), shared by {@code POST /admin/meshes/{id}/invites} and
 * the jar's {@code invite create}, so both accept and print the same things. Every {@code …Of} method throws
 * {@link IllegalArgumentException} with the message the HTTP route answers (400) or the CLI prints. Stateless and
 * thread-safe.
 */
public final class InviteFormats {

    /** Uses of an invite when none are given. */
    public static final int DEFAULT_MAX_USES = 1;
    /** Lifetime of an invite when none is given: 7 days. */
    public static final long DEFAULT_EXPIRES_IN_S = 7L * 24 * 3600;
    /** Role of an invite when none is given. */
    public static final String DEFAULT_ROLE = "member";

    private static final Pattern DURATION = Pattern.compile("([0-9]{1,9})([smhd]?)");
    private static final Set<String> PRESET_KEYS = Set.of("displayName", "roleTag", "groups", "messageMode");
    private static final String PRESET_SHAPE = "preset must be an object {\"displayName\"?:\"…\",\"roleTag\"?:\"…\","
            + "\"groups\"?:[{\"name\":\"…\",\"role\"?:\"…\"}],\"messageMode\"?:\"push|inbox|off\"}";

    private InviteFormats() {
    }

    /** {@code maxUses}: absent/null → {@link #DEFAULT_MAX_USES}; else an integer 1..1 000 000. */
    public static int maxUsesOf(Object v) {
        if (v == null) {
            return DEFAULT_MAX_USES;
        }
        Long n = integer(v);
        if (n == null || n < 1 || n > InviteRepository.MAX_USES_LIMIT) {
            throw new IllegalArgumentException("maxUses must be an integer 1.." + InviteRepository.MAX_USES_LIMIT);
        }
        return n.intValue();
    }

    /** {@code expiresInS}: absent/null → {@link #DEFAULT_EXPIRES_IN_S}; else an integer number of seconds. */
    public static long expiresInSOf(Object v) {
        if (v == null) {
            return DEFAULT_EXPIRES_IN_S;
        }
        Long n = integer(v);
        if (n == null || n < 1 || n > InviteRepository.MAX_EXPIRES_IN_S) {
            throw new IllegalArgumentException("expiresInS must be an integer 1.." + InviteRepository.MAX_EXPIRES_IN_S
                    + " (seconds)");
        }
        return n;
    }

    /**
     * A CLI duration: {@code 7d}, {@code 12h}, {@code 30m}, {@code 3600s} or plain seconds ({@code 3600}), within
     * the same range as {@link #expiresInSOf}.
     */
    public static long durationSecondsOf(String s) {
        Matcher m = s == null ? null : DURATION.matcher(s.trim().toLowerCase(Locale.ROOT));
        if (m == null || !m.matches()) {
            throw new IllegalArgumentException("expected a duration like 7d, 12h, 30m or 3600s");
        }
        long n = Long.parseLong(m.group(1));
        long seconds = switch (m.group(2)) {
            case "d" -> n * 86_400;
            case "h" -> n * 3_600;
            case "m" -> n * 60;
            default -> n;
        };
        return expiresInSOf(seconds);
    }

    /** {@code role}: absent/null → {@link #DEFAULT_ROLE}; else {@code member} or {@code admin}. */
    public static String roleOf(Object v) {
        if (v == null) {
            return DEFAULT_ROLE;
        }
        if (!(v instanceof String s) || !InviteRepository.ROLES.contains(s)) {
            throw new IllegalArgumentException("role must be member or admin");
        }
        return s;
    }

    /**
     * {@code preset}: absent/null → none; else {@code {"displayName"?, "roleTag"?, "groups"?, "messageMode"?}}
     * where groups are {@code {"name","role"?}} objects or plain names, and unknown keys are refused (a typo would
     * otherwise silently enrol members without what the operator meant to give them).
     */
    public static InvitePreset presetOf(Object v) {
        if (v == null) {
            return InvitePreset.NONE;
        }
        if (!(v instanceof Map<?, ?> m) || !PRESET_KEYS.containsAll(m.keySet())) {
            throw new IllegalArgumentException(PRESET_SHAPE);
        }
        String displayName = optionalText(m.get("displayName"));
        String roleTag = optionalText(m.get("roleTag"));
        String messageMode = optionalText(m.get("messageMode"));
        if (messageMode != null && !InviteRepository.MESSAGE_MODES.contains(messageMode)) {
            throw new IllegalArgumentException(PRESET_SHAPE);
        }
        List<GroupRole> groups = new ArrayList<>();
        Object gs = m.get("groups");
        if (gs != null) {
            if (!(gs instanceof List<?> list)) {
                throw new IllegalArgumentException(PRESET_SHAPE);
            }
            for (Object o : list) {
                if (o instanceof String name && !name.isBlank()) {
                    groups.add(new GroupRole(name, null));
                } else if (o instanceof Map<?, ?> g && g.get("name") instanceof String name && !name.isBlank()
                        && (g.get("role") == null || g.get("role") instanceof String)) {
                    groups.add(new GroupRole(name, (String) g.get("role")));
                } else {
                    throw new IllegalArgumentException(PRESET_SHAPE);
                }
            }
        }
        return new InvitePreset(displayName, roleTag, groups, messageMode);
    }

    /** {@code {"id","token","link","expiresAt"}}, {@code expiresAt} in unix seconds as in the payload. */
    public static String createdJson(CreatedInvite invite) {
        return new JsonOut(1024).beginObject()
                .field("id", invite.id())
                .field("token", invite.token())
                .field("link", invite.link())
                .field("expiresAt", invite.expiresAtS())
                .endObject().toString();
    }

    private static String optionalText(Object v) {
        if (v == null) {
            return null;
        }
        if (!(v instanceof String s) || s.isBlank()) {
            throw new IllegalArgumentException(PRESET_SHAPE);
        }
        return s;
    }

    private static Long integer(Object v) {
        if (v instanceof Long l) {
            return l;
        }
        if (v instanceof Integer i) {
            return (long) i;
        }
        if (v instanceof Double d && d == Math.rint(d) && Math.abs(d) < 0x1p53) {
            return d.longValue();
        }
        return null;
    }
}
