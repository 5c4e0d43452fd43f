/**
 * The per-connection Netty pipeline, built in one place ({@link
 * dev.claudemesh.broker.netty.pipeline.BrokerChannelInitializer}, handler names in {@link
 * dev.claudemesh.broker.netty.pipeline.HandlerNames}): {@code [tls] → httpLinger → httpCodec → httpAggregator →
 * httpRouter}, and after an upgrade at {@code /ws} {@code [tls] → wsdecoder → wsencoder → wsAggregator → wsClose →
 * peer}. The router hands plain HTTP to the routes of the {@code http} package; {@link
 * dev.claudemesh.broker.netty.pipeline.PeerFrameHandler} turns frames into the domain's input and {@link
 * dev.claudemesh.broker.netty.pipeline.NettyPeerConnection} the domain's output into frames (WebSocket stops at this
 * edge); {@link dev.claudemesh.broker.netty.pipeline.WebSocketCloseHandler} runs the closing handshake of RFC 6455 §7
 * and {@link dev.claudemesh.broker.netty.pipeline.HttpLingeringClose} the lingering close of RFC 9112 §9.6.
 * A fan-out's frame shared by several recipients ({@link dev.claudemesh.broker.netty.pipeline.SharedFrame}) travels
 * the outbound path as a complete, already encoded WebSocket frame in a plain {@code ByteBuf}, which {@code wsencoder}
 * passes on: an outbound handler added above it must let such buffers through, and a WebSocket extension
 * (compression) would need such connections to get ordinary frames instead.
 * Every handler runs on its channel's event loop.
 */
package dev.claudemesh.broker.netty.pipeline;
