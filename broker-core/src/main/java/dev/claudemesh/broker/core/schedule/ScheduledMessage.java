package dev.claudemesh.broker.core.schedule;

import java.util.Objects;

/**
 * One pending scheduled message, as stored (table {@code scheduled_message}). Immutable.
 *
 * @param id               UUID v4 text
 * @param meshId           its mesh
 * @param memberId         the member it is sent for
 * @param presenceId       the creating lease (its session key is the sender while it is attached), or null
 * @param target           the {@code to} targetSpec
 * @param toSelf           true when {@code target} was the creating lease's session key or the member's key: sent to
 *                         the member key as a reminder (PROTOCOL-MESH §7.10)
 * @param message          the plaintext
 * @param deliverAtMs      when it is due (a cron entry's next fire), epoch ms
 * @param cron             the cron expression, or null for a one-shot
 * @param subtype          {@code "reminder"} or null
 * @param firedCount       accepted fires so far (cron)
 * @param createdAtMs      epoch ms
 * @param pendingMessageId the message id of a send that was under way when the row was read, or null
 * @param pendingSent      true when that message is in {@code message_queue}: the send was accepted
 */
public record ScheduledMessage(String id, String meshId, String memberId, String presenceId, String target,
                               boolean toSelf, String message, long deliverAtMs, String cron, String subtype,
                               int firedCount, long createdAtMs, String pendingMessageId, boolean pendingSent) {

    public ScheduledMessage {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(meshId, "meshId");
        Objects.requireNonNull(memberId, "memberId");
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(message, "message");
    }

    /** True for a recurring entry. */
    public boolean recurring() {
        return cron != null;
    }
}
