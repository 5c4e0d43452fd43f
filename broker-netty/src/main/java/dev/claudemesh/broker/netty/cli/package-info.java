/**
 * The jar's admin subcommands ({@code mesh create}, {@code member add}, {@code member revoke},
 * {@code audit verify}), which work directly on the database through broker-db's admin repository.
 */
package dev.claudemesh.broker.netty.cli;
