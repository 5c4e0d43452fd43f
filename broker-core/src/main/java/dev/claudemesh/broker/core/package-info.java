/**
 * The broker's domain: no Netty, no JDBC. Entry point {@link dev.claudemesh.broker.core.Broker};
 * storage and transport are reached through the ports in {@code core.port}.
 */
package dev.claudemesh.broker.core;
