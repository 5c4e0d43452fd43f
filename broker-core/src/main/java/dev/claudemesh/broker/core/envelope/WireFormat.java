package dev.claudemesh.broker.core.envelope;

/**
 * The encoding a connection speaks: the JSON text protocol ({@code PROTOCOL.md}, the default) or the binary
 * subprotocol {@value BinaryWire#SUBPROTOCOL} ({@code docs/BINARY-PROTOCOL.md}), chosen once at the WebSocket
 * upgrade.
 */
public enum WireFormat {
    JSON,
    BINARY
}
