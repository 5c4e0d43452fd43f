/**
 * The jar's command line (picocli): {@code serve} (the default: the broker, configured by environment variables
 * that flags override), {@code keygen}, and the administration subcommands {@code mesh create}, {@code member add},
 * {@code member revoke}, {@code audit verify}, {@code invite create}, {@code invite revoke}, which work directly on
 * the database through broker-db's {@code MembershipAdmin}, the same service as the admin HTTP routes. Every
 * command has {@code --help}; the jar has {@code --version} and {@code help}. Exit codes: 0 done, 1 failed (a
 * supervisor may retry), 2 bad usage or configuration (it should not).
 */
package dev.claudemesh.broker.netty.cli;
