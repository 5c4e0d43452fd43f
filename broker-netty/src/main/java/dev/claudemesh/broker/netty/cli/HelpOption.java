package dev.claudemesh.broker.netty.cli;

import picocli.CommandLine.Option;

/** {@code -h, --help} for a subcommand (the jar's {@code --version} is on the top command only). */
final class HelpOption {
    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;
}
