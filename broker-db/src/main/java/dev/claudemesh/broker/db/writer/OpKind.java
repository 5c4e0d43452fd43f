package dev.claudemesh.broker.db.writer;

import dev.claudemesh.broker.core.model.StoredMessage;
import dev.claudemesh.broker.core.port.DurableOp;

import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The writer's one dispatch over {@link DurableOp}'s record types, and everything it does per type: what
 * {@link #check} verifies at submit, on the caller's thread (so that a malformed op fails there instead of failing
 * its batch over and over), and where {@link #addTo} puts the op in a {@link BatchPlan}, on the writer thread.
 *
 * <p>Java 17 has no pattern {@code switch} over a sealed interface: {@link #of} compares the record's class (the
 * records are final, so this is what {@code instanceof} compiles to), and the rest switches over the kind. Both stay
 * monomorphic, so the JIT inlines them into the submit and plan loops (per-constant method bodies were measurably
 * slower: megamorphic calls). When this class loads, the kinds are checked against
 * {@link Class#getPermittedSubclasses()}, so a new op type fails the first writer test instead of being
 * ignored. Stateless.</p>
 */
enum OpKind {

    ENQUEUE(DurableOp.EnqueueMessage.class),
    MARK_DELIVERED(DurableOp.MarkDelivered.class),
    UPSERT_PRESENCE(DurableOp.UpsertPresence.class),
    DISCONNECT_PRESENCE(DurableOp.DisconnectPresence.class),
    APPEND_AUDIT(DurableOp.AppendAudit.class);

    static {
        Set<Class<?>> handled = new HashSet<>();
        for (OpKind k : values()) {
            handled.add(k.type);
        }
        if (!handled.equals(Set.copyOf(List.of(DurableOp.class.getPermittedSubclasses())))) {
            throw new IllegalStateException("OpKind does not cover DurableOp's types: " + handled);
        }
    }

    private final Class<? extends DurableOp> type;

    OpKind(Class<? extends DurableOp> type) {
        this.type = type;
    }

    /** The kind of {@code op}; the most frequent types are compared first. */
    static OpKind of(DurableOp op) {
        Class<?> c = op.getClass();
        if (c == DurableOp.EnqueueMessage.class) {
            return ENQUEUE;
        }
        if (c == DurableOp.AppendAudit.class) {
            return APPEND_AUDIT;
        }
        if (c == DurableOp.MarkDelivered.class) {
            return MARK_DELIVERED;
        }
        if (c == DurableOp.UpsertPresence.class) {
            return UPSERT_PRESENCE;
        }
        if (c == DurableOp.DisconnectPresence.class) {
            return DISCONNECT_PRESENCE;
        }
        throw new IllegalArgumentException("unknown op: " + c.getName());
    }

    /** The record type this kind handles. */
    Class<? extends DurableOp> type() {
        return type;
    }

    /**
     * Checks the fields the writer needs. An audit event's canonical JSON is not computed here but on the writer
     * thread, straight into its reused buffer ({@link AuditHeads#chain}): events are records whose constructors
     * checked their fields, so writing them cannot fail.
     *
     * @throws NullPointerException naming the missing field
     */
    void check(DurableOp op) {
        switch (this) {
            case ENQUEUE -> {
                StoredMessage m = Objects.requireNonNull(((DurableOp.EnqueueMessage) op).message(), "message");
                Objects.requireNonNull(m.messageId(), "messageId");
                Objects.requireNonNull(m.meshId(), "meshId");
                Objects.requireNonNull(m.targetKey(), "targetKey");
                Objects.requireNonNull(m.priority(), "priority");
            }
            case MARK_DELIVERED -> {
                DurableOp.MarkDelivered m = (DurableOp.MarkDelivered) op;
                Objects.requireNonNull(m.meshId(), "meshId");
                Objects.requireNonNull(m.messageId(), "messageId");
            }
            case UPSERT_PRESENCE -> {
                DurableOp.UpsertPresence u = (DurableOp.UpsertPresence) op;
                Objects.requireNonNull(u.presenceId(), "presenceId");
                Objects.requireNonNull(u.meshId(), "meshId");
                Objects.requireNonNull(u.memberId(), "memberId");
            }
            case DISCONNECT_PRESENCE -> {
                DurableOp.DisconnectPresence d = (DurableOp.DisconnectPresence) op;
                Objects.requireNonNull(d.meshId(), "meshId");
                Objects.requireNonNull(d.presenceId(), "presenceId");
            }
            case APPEND_AUDIT -> {
                DurableOp.AppendAudit a = (DurableOp.AppendAudit) op;
                Objects.requireNonNull(a.meshId(), "meshId");
                Objects.requireNonNull(a.event(), "event");
            }
            default -> throw new AssertionError(this);
        }
    }

    /** Adds {@code op} (of this kind) to {@code plan}. */
    void addTo(BatchPlan plan, DurableOp op) {
        switch (this) {
            case ENQUEUE -> plan.enqueue((DurableOp.EnqueueMessage) op);
            case MARK_DELIVERED -> plan.markDelivered((DurableOp.MarkDelivered) op);
            case UPSERT_PRESENCE -> plan.upsertPresence((DurableOp.UpsertPresence) op);
            case DISCONNECT_PRESENCE -> plan.disconnectPresence((DurableOp.DisconnectPresence) op);
            case APPEND_AUDIT -> plan.appendAudit((DurableOp.AppendAudit) op);
            default -> throw new AssertionError(this);
        }
    }
}
