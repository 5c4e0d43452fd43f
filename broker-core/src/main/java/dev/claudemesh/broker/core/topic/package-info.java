/**
 * Topics (PROTOCOL-MESH §8): named conversation rooms of a mesh with durable history, subscriptions, sealed copies of
 * each topic's key and mention notifications. {@link dev.claudemesh.broker.core.topic.TopicService} serves the
 * {@code topic_*} messages and {@code send}s to {@code #<topicId>} targets; its per-mesh state,
 * {@link dev.claudemesh.broker.core.topic.TopicMesh}, fans committed messages out live to subscribed leases and to
 * the REST API's server-sent-event streams ({@link dev.claudemesh.broker.core.topic.TopicStreamSink}), and takes the
 * REST posts, so that both sides see one order. Durable state goes through
 * {@link dev.claudemesh.broker.core.topic.TopicStore}, implemented in broker-db.
 */
package dev.claudemesh.broker.core.topic;
