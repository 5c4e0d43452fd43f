/**
 * The message types of PROTOCOL-MESH §15 that this broker does not implement, each answered with a clear
 * {@code unsupported_feature} error naming its feature instead of {@code unknown_message_type}.
 */
package dev.claudemesh.broker.core.unsupported;
