package dev.claudemesh.broker.netty;

import dev.claudemesh.broker.core.apikey.ApiKeyLimits;
import dev.claudemesh.broker.core.apikey.ApiKeyService;
import dev.claudemesh.broker.core.mesh.MeshService;
import dev.claudemesh.broker.core.topic.TopicLimits;
import dev.claudemesh.broker.core.topic.TopicService;
import dev.claudemesh.broker.db.topic.PgApiKeyStore;
import dev.claudemesh.broker.db.topic.PgTopicStore;
import dev.claudemesh.broker.netty.config.Settings;

import javax.sql.DataSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The mesh features this broker serves (PROTOCOL-MESH), registered in ONE place (DESIGN "Mesh services",
 * docs/ARCHITECTURE.md "Adding a message type"): each feature is one line here — its service, its store over the
 * broker's database, its limits from the configuration. The dispatcher never changes for a new feature.
 */
final class MeshServices {

    private MeshServices() {
    }

    /**
     * The services, each with its store over {@code dataSource} and its limits from {@code config}.
     *
     * @param dataSource the broker's database (the stores' JDBC runs on the storage pool, never on an event loop)
     */
    static List<MeshService<?>> all(DataSource dataSource, BrokerConfig config) {
        Objects.requireNonNull(dataSource, "dataSource");
        Objects.requireNonNull(config, "config");
        List<MeshService<?>> services = new ArrayList<>();
        // one line per feature, e.g.: services.add(new SharedStateService(new PgStateStore(dataSource), limits));
        services.add(new TopicService(new PgTopicStore(dataSource), topicLimits(config)));
        services.add(new ApiKeyService(new PgApiKeyStore(dataSource), apiKeyLimits(config)));
        return List.copyOf(services);
    }

    /** PROTOCOL-MESH §8: topics per mesh, event streams per mesh. */
    static TopicLimits topicLimits(BrokerConfig config) {
        return new TopicLimits(config.get(Settings.TOPICS_MAX_PER_MESH), config.get(Settings.TOPIC_STREAMS_MAX_PER_MESH));
    }

    /** PROTOCOL-MESH §8.9: live keys per member, the longest lifetime, how long dead keys are kept. */
    static ApiKeyLimits apiKeyLimits(BrokerConfig config) {
        return new ApiKeyLimits(config.get(Settings.API_KEYS_MAX_PER_MEMBER),
                config.get(Settings.API_KEY_MAX_TTL_HOURS) * 3_600_000L,
                config.get(Settings.API_KEY_RETENTION_HOURS) * 3_600_000L);
    }
}
