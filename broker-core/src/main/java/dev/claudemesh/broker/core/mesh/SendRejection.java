package dev.claudemesh.broker.core.mesh;

/**
 * Why a {@code send} was refused (PROTOCOL §4.1): the failed ack's error text starts with the reason's prefix, and the
 * reason labels {@code broker_messages_rejected_total}.
 */
public enum SendRejection {

    RATE_LIMIT("rate_limit"),
    PAYLOAD_TOO_LARGE("payload_too_large"),
    INVALID("invalid"),
    NO_PEER("no_peer"),
    GRANTS("grants"),
    /** A {@code #topic} send by a member the topic's access rules refuse (a restricted topic it is not subscribed to). */
    FORBIDDEN("forbidden"),
    /** A {@code #topic} send the topic history could not store (a database failure): it may pass later. */
    INTERNAL_ERROR("internal_error");

    private final String metricReason;

    SendRejection(String metricReason) {
        this.metricReason = metricReason;
    }

    /** The {@code reason} label of {@code broker_messages_rejected_total}. */
    public String metricReason() {
        return metricReason;
    }
}
