package dev.claudemesh.broker.netty;

import dev.claudemesh.broker.core.auditlog.AuditLogService;
import dev.claudemesh.broker.core.clock.ClockService;
import dev.claudemesh.broker.core.mesh.MeshService;
import dev.claudemesh.broker.core.meshinfo.MeshInfoService;
import dev.claudemesh.broker.core.moderation.ModerationService;
import dev.claudemesh.broker.core.unsupported.UnsupportedFeatures;
import dev.claudemesh.broker.db.store.MembershipAdmin;
import dev.claudemesh.broker.db.store.PgAuditLogStore;
import dev.claudemesh.broker.db.store.PgMeshInfoStore;
import dev.claudemesh.broker.db.store.PgModerationStore;
import dev.claudemesh.broker.netty.config.Settings;

import javax.sql.DataSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

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
     * @param membership the membership service with the running broker's listener (asked for at each call: the
     *                   listener is attached once the broker exists), so that a member's ban takes the operator's
     *                   revoke path
     */
    static List<MeshService<?>> all(DataSource dataSource, BrokerConfig config, Supplier<MembershipAdmin> membership) {
        Objects.requireNonNull(dataSource, "dataSource");
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(membership, "membership");
        List<MeshService<?>> services = new ArrayList<>();
        // one line per feature, e.g.: services.add(new SharedStateService(new PgStateStore(dataSource), limits));
        PgModerationStore moderation = new PgModerationStore(membership);
        services.add(new ModerationService(moderation, moderation));
        services.add(new MeshInfoService(new PgMeshInfoStore(dataSource)));
        services.add(new ClockService());
        services.add(new AuditLogService(new PgAuditLogStore(dataSource), moderation,
                config.get(Settings.AUDIT_QUERY_MAX_ROWS)));
        services.add(new UnsupportedFeatures());
        return List.copyOf(services);
    }
}
