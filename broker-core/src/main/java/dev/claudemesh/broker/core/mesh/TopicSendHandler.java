package dev.claudemesh.broker.core.mesh;

/**
 * Serves {@code send}s whose {@code targetSpec} starts with {@code #} (a topic, PROTOCOL-MESH §8.6), registered by at
 * most one service with {@link MeshService.Registrar#handleTopicSends}. The core keeps the DM and multicast paths and
 * every check common to sends (rate limit, size, validity, idempotency) and calls this only for {@code #} targets.
 * <b>Thread:</b> the mesh loop; must not block; answers through {@link RoutedSend} exactly once.
 *
 * @param <S> the per-mesh state of the service
 */
@FunctionalInterface
public interface TopicSendHandler<S> {

    void handle(S state, RoutedSend send);
}
