package dev.claudemesh.broker.netty;

import dev.claudemesh.broker.core.mesh.MeshService;
import dev.claudemesh.broker.core.presence.PresenceLimits;
import dev.claudemesh.broker.core.presence.PresenceService;
import dev.claudemesh.broker.db.store.PgMessageLookup;
import dev.claudemesh.broker.db.store.PgPeerStateStore;
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
        // presence (PROTOCOL-MESH §1-§3); topics: pass their TopicRecipients instead of null (message_status of #topic)
        services.add(new PresenceService(new PgPeerStateStore(dataSource), new PgMessageLookup(dataSource), null,
                new PresenceLimits(config.get(Settings.LEASE_METADATA_MAX_BYTES))));
        return List.copyOf(services);
    }
}
