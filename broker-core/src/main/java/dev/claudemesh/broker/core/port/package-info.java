/**
 * Ports: the interfaces through which the domain reaches storage ({@link dev.claudemesh.broker.core.port.DurableLog},
 * {@link dev.claudemesh.broker.core.port.RecoveryStore}, {@link dev.claudemesh.broker.core.port.MemberDirectory}),
 * sockets ({@link dev.claudemesh.broker.core.port.PeerConnection}, many at once through
 * {@link dev.claudemesh.broker.core.port.Fanout}) and threads
 * ({@link dev.claudemesh.broker.core.port.MeshLoop}). broker-db and broker-netty implement them; each interface
 * states which threads may call it.
 */
package dev.claudemesh.broker.core.port;
