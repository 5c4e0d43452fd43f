package dev.claudemesh.broker.netty;

import dev.claudemesh.broker.core.apikey.ApiKeyLimits;
import dev.claudemesh.broker.core.apikey.ApiKeyService;
import dev.claudemesh.broker.core.auditlog.AuditLogService;
import dev.claudemesh.broker.core.clock.ClockService;
import dev.claudemesh.broker.core.context.ContextService;
import dev.claudemesh.broker.core.memory.MemoryLimits;
import dev.claudemesh.broker.core.memory.MemoryService;
import dev.claudemesh.broker.core.mesh.MeshService;
import dev.claudemesh.broker.core.meshinfo.MeshInfoService;
import dev.claudemesh.broker.core.moderation.ModerationService;
import dev.claudemesh.broker.core.presence.PresenceLimits;
import dev.claudemesh.broker.core.presence.PresenceService;
import dev.claudemesh.broker.core.presence.TopicRecipients;
import dev.claudemesh.broker.core.schedule.ScheduleLimits;
import dev.claudemesh.broker.core.schedule.SchedulerService;
import dev.claudemesh.broker.core.skill.SkillService;
import dev.claudemesh.broker.core.state.SharedStateService;
import dev.claudemesh.broker.core.state.StateLimits;
import dev.claudemesh.broker.core.stream.StreamService;
import dev.claudemesh.broker.core.tasks.TaskLimits;
import dev.claudemesh.broker.core.tasks.TaskService;
import dev.claudemesh.broker.core.topic.TopicLimits;
import dev.claudemesh.broker.core.topic.TopicService;
import dev.claudemesh.broker.core.topic.TopicStore;
import dev.claudemesh.broker.core.unsupported.UnsupportedFeatures;
import dev.claudemesh.broker.core.vault.VaultService;
import dev.claudemesh.broker.db.store.MembershipAdmin;
import dev.claudemesh.broker.db.store.PgAuditLogStore;
import dev.claudemesh.broker.db.store.PgContextStore;
import dev.claudemesh.broker.db.store.PgMeshInfoStore;
import dev.claudemesh.broker.db.store.PgMessageLookup;
import dev.claudemesh.broker.db.store.PgModerationStore;
import dev.claudemesh.broker.db.store.PgPeerStateStore;
import dev.claudemesh.broker.db.store.PgScheduleStore;
import dev.claudemesh.broker.db.store.PgSkillStore;
import dev.claudemesh.broker.db.store.PgStreamStore;
import dev.claudemesh.broker.db.store.PgVaultStore;
import dev.claudemesh.broker.db.topic.PgApiKeyStore;
import dev.claudemesh.broker.db.topic.PgTopicStore;
import dev.claudemesh.broker.db.workspace.PgMemoryStore;
import dev.claudemesh.broker.db.workspace.PgStateStore;
import dev.claudemesh.broker.db.workspace.PgTaskStore;
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

    private static final long DAY_MS = 86_400_000L;

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
        PgTopicStore topics = new PgTopicStore(dataSource, config.get(Settings.TOPIC_MESSAGES_MAX_PER_TOPIC));
        // presence (PROTOCOL-MESH §1-§3); message_status of a #topic send reports the topic's members (§1.5 [fix])
        services.add(new PresenceService(new PgPeerStateStore(dataSource), new PgMessageLookup(dataSource),
                topicRecipients(topics), new PresenceLimits(config.get(Settings.LEASE_METADATA_MAX_BYTES))));
        services.add(new SharedStateService(new PgStateStore(dataSource), stateLimits(config)));
        services.add(new MemoryService(new PgMemoryStore(dataSource), memoryLimits(config)));
        services.add(new TaskService(new PgTaskStore(dataSource), taskLimits(config)));
        services.add(new SchedulerService(new PgScheduleStore(dataSource), scheduleLimits(config)));
        services.add(new TopicService(topics, topicLimits(config)));
        services.add(new ApiKeyService(new PgApiKeyStore(dataSource), apiKeyLimits(config)));
        // moderation, mesh info, clock, audit over the WebSocket, unsupported features (§9, §10, §14, §15)
        PgModerationStore moderation = new PgModerationStore(membership);
        services.add(new ModerationService(moderation, moderation));
        services.add(new MeshInfoService(new PgMeshInfoStore(dataSource)));
        services.add(new ClockService());
        services.add(new AuditLogService(new PgAuditLogStore(dataSource), moderation,
                config.get(Settings.AUDIT_QUERY_MAX_ROWS)));
        services.add(new UnsupportedFeatures());
        // contexts, skills, streams, vault (§11-§13)
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

    // ------------------------------------------------------------------ workspace limits (PROTOCOL-MESH §4-§6)

    static StateLimits stateLimits(BrokerConfig c) {
        return new StateLimits(c.get(Settings.STATE_MAX_KEY_CHARS), c.get(Settings.STATE_MAX_VALUE_BYTES),
                c.get(Settings.STATE_MAX_ENTRIES_PER_MESH), c.get(Settings.STATE_LIST_MAX_ENTRIES));
    }

    static MemoryLimits memoryLimits(BrokerConfig c) {
        return new MemoryLimits(c.get(Settings.MEMORY_MAX_CONTENT_CHARS), c.get(Settings.WORKSPACE_MAX_TAGS),
                c.get(Settings.WORKSPACE_MAX_TAG_CHARS), c.get(Settings.MEMORY_MAX_ROWS_PER_MESH),
                c.get(Settings.MEMORY_FORGOTTEN_RETENTION_HOURS) * HOUR_MS);
    }

    static TaskLimits taskLimits(BrokerConfig c) {
        return new TaskLimits(c.get(Settings.TASK_MAX_TEXT_CHARS), c.get(Settings.WORKSPACE_MAX_TAGS),
                c.get(Settings.WORKSPACE_MAX_TAG_CHARS), c.get(Settings.TASK_MAX_PER_MESH),
                c.get(Settings.TASK_DONE_RETENTION_HOURS) * HOUR_MS);
    }

    private static final long HOUR_MS = 3_600_000L;

    /** The scheduler's limits (PROTOCOL-MESH §7.10): SCHEDULE_* settings. */
    static ScheduleLimits scheduleLimits(BrokerConfig config) {
        return new ScheduleLimits(config.get(Settings.SCHEDULE_MAX_PENDING_PER_MEMBER),
                config.get(Settings.SCHEDULE_MIN_CRON_INTERVAL_SECONDS) * 1_000L,
                config.get(Settings.SCHEDULE_RETRY_SECONDS) * 1_000L, config.get(Settings.SCHEDULE_TICK_MS));
    }

    /** The subscribers of a topic of the mesh (by id), for message_status; null when the mesh has no such topic. */
    static TopicRecipients topicRecipients(PgTopicStore topics) {
        return (meshId, topicId) -> {
            TopicStore.Topic topic = topics.resolve(meshId, topicId);
            if (topic == null || !topic.id().equals(topicId)) {
                return null;
            }
            return topics.subscribers(topic.id()).stream()
                    .map(s -> new TopicRecipients.Member(s.displayName(), s.pubkey())).toList();
        };
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
