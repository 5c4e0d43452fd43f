/**
 * The wire: {@link dev.claudemesh.broker.core.envelope.EnvelopeDecoder} turns client frames into
 * {@link dev.claudemesh.broker.core.envelope.Inbound}s (streaming, strict);
 * {@link dev.claudemesh.broker.core.envelope.Frames} and {@link dev.claudemesh.broker.core.envelope.JsonOut} write
 * every frame the broker sends; {@link dev.claudemesh.broker.core.envelope.JsonNode} is the tree mesh services read
 * their own fields from. The binary subprotocol ({@code docs/BINARY-PROTOCOL.md}) sits beside them:
 * {@link dev.claudemesh.broker.core.envelope.BinaryDecoder} yields the same {@code Inbound}s,
 * {@link dev.claudemesh.broker.core.envelope.BinaryFrames} writes acks and pushes,
 * {@link dev.claudemesh.broker.core.envelope.BinaryTranscoder} converts the other frames from their JSON, and
 * {@link dev.claudemesh.broker.core.envelope.BinaryClientCodec} is the client's side. Stateless or immutable, except
 * the per-encoding {@code JsonOut} and the per-frame binary reader and writer.
 */
package dev.claudemesh.broker.core.envelope;
