/**
 * Streams (PROTOCOL-MESH §12): named live channels of a mesh. Only the names are stored ({@link
 * dev.claudemesh.broker.core.stream.StreamStore}); subscriptions and published data live on the mesh loop and are
 * never stored or replayed. Each subscriber has a bounded buffer ({@link dev.claudemesh.broker.core.stream.Streams}):
 * a subscriber that stops reading loses its oldest frames, counted in {@code broker_stream_frames_dropped_total},
 * and never grows the broker's memory.
 */
package dev.claudemesh.broker.core.stream;
