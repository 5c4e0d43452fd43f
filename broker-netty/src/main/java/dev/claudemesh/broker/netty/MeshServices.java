package dev.claudemesh.broker.netty;

import dev.claudemesh.broker.core.mesh.MeshService;
import dev.claudemesh.broker.core.schedule.ScheduleLimits;
import dev.claudemesh.broker.core.schedule.SchedulerService;
import dev.claudemesh.broker.db.store.PgScheduleStore;
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
        services.add(new SchedulerService(new PgScheduleStore(dataSource), scheduleLimits(config)));
        return List.copyOf(services);
    }

    /** The scheduler's limits (PROTOCOL-MESH §7.10): SCHEDULE_* settings. */
    static ScheduleLimits scheduleLimits(BrokerConfig config) {
        return new ScheduleLimits(config.get(Settings.SCHEDULE_MAX_PENDING_PER_MEMBER),
                config.get(Settings.SCHEDULE_MIN_CRON_INTERVAL_SECONDS) * 1_000L,
                config.get(Settings.SCHEDULE_RETRY_SECONDS) * 1_000L, config.get(Settings.SCHEDULE_TICK_MS));
    }
}
