package dev.claudemesh.broker.core.mesh;

import dev.claudemesh.broker.core.audit.AuditEvent;
import dev.claudemesh.broker.core.envelope.Frames;
import dev.claudemesh.broker.core.envelope.Inbound;

import java.util.Objects;

/**
 * A {@code send} to a {@code #<topicId>} target (PROTOCOL-MESH §8.6) that the core has checked (rate limit, size,
 * validity, idempotency) and handed to the service registered for topic sends ({@link TopicSendHandler}). The service
 * stores it and answers through this object exactly once: {@link #accepted} (the sender's {@code ack{queued:true}},
 * the idempotency entry, the routed counter and the {@code message_sent} audit event) or {@link #rejected} (the
 * failed ack). <b>Thread:</b> the mesh loop; created by the core, owned by the service until it answers.
 */
public final class RoutedSend {

    private final MeshCore mesh;
    private final PeerSession from;
    private final Inbound request;
    private final Priority priority;
    private final long nowMs;
    private final String idempotencyKey;
    private boolean answered;

    RoutedSend(MeshCore mesh, PeerSession from, Inbound request, Priority priority, long nowMs,
               String idempotencyKey) {
        this.mesh = mesh;
        this.from = from;
        this.request = request;
        this.priority = priority;
        this.nowMs = nowMs;
        this.idempotencyKey = idempotencyKey;
    }

    /** The sender's socket. */
    public PeerSession from() {
        return from;
    }

    /** The sending lease (its member, session key and names). */
    public Lease sender() {
        return from.lease;
    }

    /** The frame: nonce, ciphertext, ids; {@link Inbound#body()} has the topic fields. */
    public Inbound request() {
        return request;
    }

    /** The target without its {@code #}: the topic id as sent. */
    public String topicId() {
        return request.targetSpec.substring(1);
    }

    public Priority priority() {
        return priority;
    }

    /** When the core accepted the send (the injected clock), epoch milliseconds. */
    public long nowMs() {
        return nowMs;
    }

    /**
     * The send is durable as {@code messageId}: acks it {@code queued:true}, remembers its {@code client_message_id}
     * (as committed) and audits {@code message_sent}.
     *
     * @throws IllegalStateException when the send was answered already
     */
    public void accepted(String messageId) {
        Objects.requireNonNull(messageId, "messageId");
        answer();
        long now = mesh.nowMs();
        mesh.idempotency.committed(mesh.idempotency.remember(idempotencyKey, messageId, nowMs, now));
        mesh.metrics().messageRouted(priority.wire());
        from.reply(Frames.ackQueued(request, messageId));
        mesh.audit(from.lease == null ? null : from.lease.member.id(),
                new AuditEvent.MessageSent(request.targetSpec, priority.wire()));
    }

    /**
     * The send was refused: a failed ack with {@code error} (e.g. {@code "bad_request: topic not found"}), counted as
     * {@code invalid}.
     *
     * @throws IllegalStateException when the send was answered already
     */
    public void rejected(String error) {
        Objects.requireNonNull(error, "error");
        answer();
        mesh.metrics().messageRejected(SendRejection.INVALID.metricReason());
        from.reply(Frames.ackFailed(request, error));
    }

    private void answer() {
        if (answered) {
            throw new IllegalStateException("send " + request.id + " was answered already");
        }
        answered = true;
    }
}
