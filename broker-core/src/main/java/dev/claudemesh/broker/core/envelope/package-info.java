/**
 * The wire: {@link dev.claudemesh.broker.core.envelope.EnvelopeDecoder} turns client frames into
 * {@link dev.claudemesh.broker.core.envelope.Inbound}s (streaming, strict);
 * {@link dev.claudemesh.broker.core.envelope.Frames} and {@link dev.claudemesh.broker.core.envelope.JsonOut} write
 * every frame the broker sends; {@link dev.claudemesh.broker.core.envelope.JsonNode} is the tree mesh services read
 * their own fields from. Stateless or immutable, except the per-encoding {@code JsonOut}.
 */
package dev.claudemesh.broker.core.envelope;
