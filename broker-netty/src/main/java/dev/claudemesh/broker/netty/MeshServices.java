package dev.claudemesh.broker.netty;

import dev.claudemesh.broker.core.context.ContextService;
import dev.claudemesh.broker.core.mesh.MeshService;
import dev.claudemesh.broker.core.skill.SkillService;
import dev.claudemesh.broker.core.stream.StreamService;
import dev.claudemesh.broker.core.vault.VaultService;
import dev.claudemesh.broker.db.store.PgContextStore;
import dev.claudemesh.broker.db.store.PgSkillStore;
import dev.claudemesh.broker.db.store.PgStreamStore;
import dev.claudemesh.broker.db.store.PgVaultStore;
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

    private static final long DAY_MS = 86_400_000L;

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
        services.add(new ContextService(new PgContextStore(dataSource), new ContextService.Limits(
                config.get(Settings.MAX_CONTEXTS_PER_MESH), config.get(Settings.CONTEXT_RETENTION_DAYS) * DAY_MS)));
        services.add(new SkillService(new PgSkillStore(dataSource), new SkillService.Limits(
                config.get(Settings.MAX_SKILLS_PER_MESH), config.get(Settings.MAX_SKILL_INSTRUCTIONS_BYTES))));
        services.add(new StreamService(new PgStreamStore(dataSource), new StreamService.Limits(
                config.get(Settings.MAX_STREAMS_PER_MESH), config.get(Settings.MAX_SUBSCRIPTIONS_PER_LEASE),
                config.get(Settings.STREAM_BUFFER_BYTES))));
        services.add(new VaultService(new PgVaultStore(dataSource), new VaultService.Limits(
                config.get(Settings.MAX_VAULT_ENTRIES_PER_MEMBER), config.get(Settings.MAX_VAULT_ENTRY_BYTES))));
        return List.copyOf(services);
    }
}
