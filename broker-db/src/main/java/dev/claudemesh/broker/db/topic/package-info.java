/**
 * PostgreSQL adapters of the topic and API-key features (PROTOCOL-MESH §8): {@link
 * dev.claudemesh.broker.db.topic.PgTopicStore} and {@link dev.claudemesh.broker.db.topic.PgApiKeyStore} implement the
 * core's ports; {@link dev.claudemesh.broker.db.topic.PgTopicReads} answers the REST API's read-only queries (members,
 * notifications, sealed keys, the {@code me/*} views) and stores re-sealed keys. Blocking JDBC with jOOQ; nothing here
 * logs ciphertext, keys, secrets or bind values.
 */
package dev.claudemesh.broker.db.topic;
