package dev.claudemesh.broker.netty.http;

import dev.claudemesh.broker.db.topic.PgApiKeyStore;
import dev.claudemesh.broker.db.topic.PgMeReads;
import dev.claudemesh.broker.db.topic.PgTopicReads;
import dev.claudemesh.broker.db.topic.PgTopicStore;

import javax.sql.DataSource;
import java.util.Objects;

/**
 * The stores behind the REST API under {@code /api/v1} (PROTOCOL-MESH §8.10), built once by the wiring over the
 * broker's database. Immutable; every store is thread-safe and blocking (called from the blocking pool only).
 *
 * @param topics the topic store the topic service uses too (topic lookups by name, history pages)
 * @param reads  the REST-only topic queries (members, notifications, sealed keys) and re-seals
 * @param me     the {@code me/*} views
 * @param keys   API keys: verification of bearer secrets
 */
public record ApiStores(PgTopicStore topics, PgTopicReads reads, PgMeReads me, PgApiKeyStore keys) {

    public ApiStores {
        Objects.requireNonNull(topics, "topics");
        Objects.requireNonNull(reads, "reads");
        Objects.requireNonNull(me, "me");
        Objects.requireNonNull(keys, "keys");
    }

    /** The stores over {@code dataSource}. */
    public static ApiStores of(DataSource dataSource) {
        return new ApiStores(new PgTopicStore(dataSource), new PgTopicReads(dataSource), new PgMeReads(dataSource),
                new PgApiKeyStore(dataSource));
    }
}
