package dev.claudemesh.broker.core.presence;

import java.util.List;

/**
 * The extension point for {@code message_status} of a message sent to a topic ({@code #topicId}): PROTOCOL-MESH §1.5
 * [fix] reports the topic's members instead of one {@code "unknown"} recipient. This broker has no topics yet, so
 * {@link PresenceService} is built without one and reports such messages as the original does; the topics feature
 * plugs its implementation in where the service is registered ({@code MeshServices}). Blocking (JDBC): called on the
 * storage thread, in the same call that found the message. Implementations are thread-safe.
 */
public interface TopicRecipients {

    /** The members of topic {@code topicId} of {@code meshId}, or null when there is no such topic. */
    List<Member> members(String meshId, String topicId);

    /**
     * A topic member as a recipient.
     *
     * @param name   its display name
     * @param pubkey its member key
     */
    record Member(String name, String pubkey) {
    }
}
