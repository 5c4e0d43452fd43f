package dev.claudemesh.broker.netty.config;

import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;

/**
 * One configuration setting, described once: its environment variable, command-line flag, default, accepted range,
 * unit, whether its value is a secret, and its help text. Parsing ({@link #parse}), {@code --help}, the startup
 * description and {@code BrokerConfig#toString()} are all derived from these descriptors ({@link Settings#ALL}).
 *
 * <p>A secret's value never appears in a description or in an error message: it is shown as {@code set} /
 * {@code unset}. A value that is not secret but may carry one ({@code DATABASE_URL}'s password) has a
 * {@link #shown redacting display}.</p>
 *
 * <p>Immutable and thread-safe.</p>
 *
 * @param <T> the parsed value's type
 */
public final class Setting<T> {

    /** Turns the text of a setting into its value, or throws {@link ConfigException} naming the setting. */
    @FunctionalInterface
    interface Parser<T> {
        T parse(Setting<T> setting, String text);
    }

    private final String env;
    private final String key;
    private final String defaultText;
    private final String range;
    private final String unit;
    private final boolean secret;
    private final String help;
    private final Parser<T> parser;
    private final Function<T, String> display;

    private Setting(String env, String key, String defaultText, String range, String unit, boolean secret,
                    String help, Parser<T> parser, Function<T, String> display) {
        this.env = Objects.requireNonNull(env, "env");
        this.key = Objects.requireNonNull(key, "key");
        this.defaultText = defaultText;
        this.range = range;
        this.unit = unit;
        this.secret = secret;
        this.help = Objects.requireNonNull(help, "help");
        this.parser = Objects.requireNonNull(parser, "parser");
        this.display = Objects.requireNonNull(display, "display");
    }

    /** An integer setting in {@code min..max}. */
    static Setting<Integer> integer(String env, String key, int defaultValue, int min, int max, String unit,
                                    String help) {
        return new Setting<>(env, key, String.valueOf(defaultValue), min + ".." + max, unit, false, help,
                (s, text) -> (int) s.parseLong(text, min, max), String::valueOf);
    }

    /** A long setting in {@code min..max} (durations in ms, byte counts). */
    static Setting<Long> longInt(String env, String key, long defaultValue, long min, long max, String unit,
                                 String help) {
        return new Setting<>(env, key, String.valueOf(defaultValue), min + ".." + max, unit, false, help,
                (s, text) -> s.parseLong(text, min, max), String::valueOf);
    }

    /** One of {@code choices} (compared case-sensitively after trimming). */
    static Setting<String> choice(String env, String key, String defaultValue, String help, String... choices) {
        String expected = String.join(", ", choices);
        return new Setting<>(env, key, defaultValue, expected, "", false, help, (s, text) -> {
            String t = text.trim();
            for (String c : choices) {
                if (c.equals(t)) {
                    return c;
                }
            }
            throw new ConfigException(s.env + ": '" + t + "' (expected: one of " + expected + ")");
        }, Function.identity());
    }

    /**
     * Free text, checked by {@code check} (which throws {@link ConfigException}); null default = unset.
     *
     * @param display how the value shows in the startup description (redact anything secret in it)
     */
    static Setting<String> text(String env, String key, String defaultValue, String help, Parser<String> check,
                                Function<String, String> display) {
        return new Setting<>(env, key, defaultValue, null, "", false, help, check, display);
    }

    /** A secret: shown as {@code set}/{@code unset} only; {@code check} must not quote the value in its message. */
    static Setting<String> secret(String env, String key, String help, Parser<String> check) {
        return new Setting<>(env, key, null, null, "", true, help, check, v -> "set");
    }

    /** The environment variable, e.g. {@code STATUS_TTL_SECONDS}. */
    public String env() {
        return env;
    }

    /**
     * The command-line flag: the variable in lower case without the {@code BROKER_} prefix, {@code _} → {@code -}:
     * {@code STATUS_TTL_SECONDS} → {@code --status-ttl-seconds}, {@code BROKER_PORT} → {@code --port}.
     */
    public String flag() {
        return flagOf(env);
    }

    static String flagOf(String env) {
        String n = env.startsWith("BROKER_") ? env.substring("BROKER_".length()) : env;
        return "--" + n.toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** The name in the startup description, e.g. {@code statusTtlSeconds}. */
    public String key() {
        return key;
    }

    /** The default as text, or null when the setting is unset by default. */
    public String defaultText() {
        return defaultText;
    }

    /** The accepted values for help texts ({@code 1..86400}, {@code text, json}), or null. */
    public String range() {
        return range;
    }

    /** The unit ({@code ms}, {@code s}, {@code bytes}, …), or empty. */
    public String unit() {
        return unit;
    }

    /** True when the value must never be shown. */
    public boolean secret() {
        return secret;
    }

    /** One sentence for {@code --help} and the README. */
    public String help() {
        return help;
    }

    /**
     * Parses {@code text} (null or blank: the default; a blank default: unset, i.e. null).
     *
     * @throws ConfigException naming {@link #env()} when the value is not acceptable
     */
    public T parse(String text) {
        String t = text == null || text.isBlank() ? defaultText : text;
        return t == null ? null : parser.parse(this, t);
    }

    /** The value as the startup description shows it: secrets as {@code set}, null as {@code unset}. */
    public String shown(T value) {
        return value == null ? "unset" : display.apply(value);
    }

    /** The help line: the text, then default, range and unit. */
    public String helpLine() {
        StringBuilder b = new StringBuilder(help);
        b.append(" [").append(env);
        b.append(defaultText == null ? ", default unset" : ", default " + defaultText);
        if (range != null && !range.contains(",")) {
            b.append(", ").append(range);
        } else if (range != null) {
            b.append(", one of ").append(range);
        }
        if (!unit.isEmpty()) {
            b.append(' ').append(unit);
        }
        if (secret) {
            b.append(", secret");
        }
        return b.append(']').toString();
    }

    private long parseLong(String text, long min, long max) {
        String s = text.trim();
        long n;
        try {
            n = Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new ConfigException(env + ": '" + s + "' is not an integer (expected: " + min + ".." + max + ")");
        }
        if (n < min || n > max) {
            throw new ConfigException(env + ": " + n + " is out of range (expected: " + min + ".." + max + ")");
        }
        return n;
    }

    @Override
    public String toString() {
        return env;
    }
}
