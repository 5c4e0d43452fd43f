package dev.claudemesh.broker.core.mesh;

import dev.claudemesh.broker.core.Ids;
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
    private final Lease sender;
    private final SendHandler.OnBehalf onBehalf;
    private final Inbound request;
    private final Priority priority;
    private final long nowMs;
    private final IdempotencyWindow.Key idempotencyKey;
    private final String messageId;
    private boolean answered;

    RoutedSend(MeshCore mesh, PeerSession from, Lease sender, Inbound request, Priority priority, long nowMs,
               IdempotencyWindow.Key idempotencyKey, SendHandler.OnBehalf onBehalf) {
        this.mesh = mesh;
        this.from = from;
        this.sender = sender;
        this.onBehalf = onBehalf;
        this.request = request;
        this.priority = priority;
        this.nowMs = nowMs;
        this.idempotencyKey = idempotencyKey;
        this.messageId = onBehalf != null ? onBehalf.messageId() : Ids.newId();
    }

    /** The sender's socket, or null for a send the broker makes on a member's behalf (a scheduled message). */
    public PeerSession from() {
        return from;
    }

    /** The sending lease (its member, session key and names); detached for a send made on a member's behalf. */
    public Lease sender() {
        return sender;
    }

    /** The frame: nonce, ciphertext, ids; {@link Inbound#body()} has the topic fields. */
    public Inbound request() {
        return request;
    }

    /** The target without its {@code #}: the topic id as sent. */
    public String topicId() {
        return request.targetSpec.substring(1);
    }

    /**
     * The id the message must be stored under (history and {@code message_queue}, in one transaction): a fresh id, or
     * for a send made on a member's behalf the id its maker recorded before sending (the scheduler recognises a fire
     * committed just before a crash by a {@code message_queue} row with this id, and does not send it twice).
     */
    public String messageId() {
        return messageId;
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
        mesh.metrics().messageRouted(priority.wire());
        if (onBehalf != null) {
            onBehalf.outcome().accepted(messageId);
        } else {
            long now = mesh.nowMs();
            mesh.idempotency.committed(mesh.idempotency.remember(idempotencyKey, messageId, nowMs, now));
            from.reply(Frames.ackQueuedScratch(request, messageId));
        }
        mesh.audit(sender == null ? null : sender.member.id(),
                new AuditEvent.MessageSent(request.targetSpec, priority.wire()));
    }

    /**
     * The send was refused for good: a failed ack with {@code error} (e.g. {@code "bad_request: topic not found"}),
     * counted as {@code invalid}; a send made on a member's behalf is not tried again.
     *
     * @throws IllegalStateException when the send was answered already
     */
    public void rejected(String error) {
        rejected(SendRejection.INVALID, error);
    }

    /**
     * The send was refused for {@code reason}: a failed ack with {@code error} (which starts with the reason's prefix),
     * counted under the reason. {@link SendRejection#FORBIDDEN} and {@link SendRejection#INTERNAL_ERROR} may pass later
     * (a send made on a member's behalf is then tried again); {@link SendRejection#INVALID} is for good.
     *
     * @throws IllegalStateException when the send was answered already
     */
    public void rejected(SendRejection reason, String error) {
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(error, "error");
        answer();
        mesh.metrics().messageRejected(reason.metricReason());
        if (onBehalf != null) {
            onBehalf.outcome().refused(reason, error);
        } else {
            from.reply(Frames.ackFailed(request, error));
        }
    }

    private void answer() {
        if (answered) {
            throw new IllegalStateException("send " + request.id + " was answered already");
        }
        answered = true;
    }
}
