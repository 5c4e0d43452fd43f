package dev.claudemesh.broker.core.topic;

import dev.claudemesh.broker.core.mesh.MeshContext;
import dev.claudemesh.broker.core.mesh.MeshService;

import java.util.Objects;

/**
 * Topics (PROTOCOL-MESH §8): {@code topic_create}, {@code topic_list}, {@code topic_join}, {@code topic_leave},
 * {@code topic_members}, {@code topic_history}, {@code topic_mark_read}, and {@code send}s to {@code #<topicId>}
 * targets. Its per-mesh state is a {@link TopicMesh}, which the REST API reaches through
 * {@link dev.claudemesh.broker.core.mesh.Broker#onMesh}. Immutable; thread-safe.
 */
public final class TopicService implements MeshService<TopicMesh> {

    private final TopicStore store;
    private final TopicLimits limits;

    public TopicService(TopicStore store, TopicLimits limits) {
        this.store = Objects.requireNonNull(store, "store");
        this.limits = Objects.requireNonNull(limits, "limits");
    }

    @Override
    public String name() {
        return "topics";
    }

    @Override
    public void registerHandlers(Registrar<TopicMesh> r) {
        r.handle("topic_create", TopicRequests::create);
        r.handle("topic_list", TopicRequests::list);
        r.handle("topic_join", TopicRequests::join);
        r.handle("topic_leave", TopicRequests::leave);
        r.handle("topic_members", TopicRequests::members);
        r.handle("topic_history", TopicRequests::history);
        r.handle("topic_mark_read", TopicRequests::markRead);
        r.handleTopicSends(TopicSends::send);
    }

    @Override
    public TopicMesh createMeshState(MeshContext mesh) {
        return new TopicMesh(mesh, store, limits);
    }
}
