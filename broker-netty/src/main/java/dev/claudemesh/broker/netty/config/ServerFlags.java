package dev.claudemesh.broker.netty.config;

import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The server's command-line flags, one per {@link Setting} ({@code --port}, {@code --status-ttl-seconds}, …), as
 * picocli options built from the descriptors: {@code --name value} and {@code --name=value}, each at most once, an
 * unknown flag refused with picocli's message (and its suggestion of the nearest flag). Flags override the
 * environment. Stateless.
 */
public final class ServerFlags {

    private ServerFlags() {
    }

    /** Adds one option per setting to {@code spec}; the help line says variable, default, range and unit. */
    public static void addTo(CommandSpec spec) {
        for (Setting<?> s : Settings.ALL) {
            boolean numeric = s.range() != null && s.range().contains("..");
            spec.addOption(OptionSpec.builder(s.flag())
                    .type(String.class)
                    .arity("1")
                    .paramLabel(numeric ? "<n>" : "<value>")
                    .description(s.helpLine())
                    .build());
        }
    }

    /** The flags given on the parsed command line, by setting. */
    public static Map<Setting<?>, String> valuesOf(ParseResult parsed) {
        Map<Setting<?>, String> out = new LinkedHashMap<>();
        for (Setting<?> s : Settings.ALL) {
            if (parsed.hasMatchedOption(s.flag())) {
                out.put(s, parsed.matchedOptionValue(s.flag(), (String) null));
            }
        }
        return out;
    }

    /**
     * Parses server flags alone (no subcommands, no help), for callers that configure a broker from code.
     *
     * @throws ConfigException with picocli's message for an unknown flag, a missing value or a repeated flag
     */
    public static Map<Setting<?>, String> parse(List<String> args) {
        if (args.isEmpty()) {
            return Map.of();
        }
        CommandSpec spec = CommandSpec.create().name("serve");
        addTo(spec);
        try {
            return valuesOf(new CommandLine(spec).parseArgs(args.toArray(String[]::new)));
        } catch (CommandLine.ParameterException e) {
            throw new ConfigException(e.getMessage());
        }
    }
}
