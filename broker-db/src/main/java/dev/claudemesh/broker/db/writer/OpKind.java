package dev.claudemesh.broker.db.writer;

import dev.claudemesh.broker.core.model.StoredMessage;
import dev.claudemesh.broker.core.port.DurableOp;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The writer's one dispatch over {@link DurableOp}'s record types, and everything it does per type: what
 * {@link #check} verifies at submit, on the caller's thread (so that a malformed op fails there instead of failing
 * its batch over and over), and where {@link #addTo} puts the op in a {@link BatchPlan}, on the writer thread.
 *
 * <p>Java 17 has no pattern {@code switch} over a sealed interface, so {@link #of} looks the record's class up; the
 * lookup is checked against {@link Class#getPermittedSubclasses()} when this class loads, so a new op type fails
 * the first writer test instead of being ignored. Stateless.</p>
 */
enum OpKind {

    ENQUEUE(DurableOp.EnqueueMessage.class) {
        @Override
        String check(DurableOp op) {
            StoredMessage m = Objects.requireNonNull(((DurableOp.EnqueueMessage) op).message(), "message");
            Objects.requireNonNull(m.messageId(), "messageId");
            Objects.requireNonNull(m.meshId(), "meshId");
            Objects.requireNonNull(m.targetKey(), "targetKey");
            Objects.requireNonNull(m.priority(), "priority");
            Objects.requireNonNull(m.nonce(), "nonce");
            Objects.requireNonNull(m.ciphertext(), "ciphertext");
            return null;
        }

        @Override
        void addTo(BatchPlan plan, DurableOp op, String canonicalPayload) {
            plan.enqueue((DurableOp.EnqueueMessage) op);
        }
    },

    MARK_DELIVERED(DurableOp.MarkDelivered.class) {
        @Override
        String check(DurableOp op) {
            DurableOp.MarkDelivered m = (DurableOp.MarkDelivered) op;
            Objects.requireNonNull(m.meshId(), "meshId");
            Objects.requireNonNull(m.messageId(), "messageId");
            return null;
        }

        @Override
        void addTo(BatchPlan plan, DurableOp op, String canonicalPayload) {
            plan.markDelivered((DurableOp.MarkDelivered) op);
        }
    },

    UPSERT_PRESENCE(DurableOp.UpsertPresence.class) {
        @Override
        String check(DurableOp op) {
            DurableOp.UpsertPresence u = (DurableOp.UpsertPresence) op;
            Objects.requireNonNull(u.presenceId(), "presenceId");
            Objects.requireNonNull(u.meshId(), "meshId");
            Objects.requireNonNull(u.memberId(), "memberId");
            return null;
        }

        @Override
        void addTo(BatchPlan plan, DurableOp op, String canonicalPayload) {
            plan.upsertPresence((DurableOp.UpsertPresence) op);
        }
    },

    DISCONNECT_PRESENCE(DurableOp.DisconnectPresence.class) {
        @Override
        String check(DurableOp op) {
            DurableOp.DisconnectPresence d = (DurableOp.DisconnectPresence) op;
            Objects.requireNonNull(d.meshId(), "meshId");
            Objects.requireNonNull(d.presenceId(), "presenceId");
            return null;
        }

        @Override
        void addTo(BatchPlan plan, DurableOp op, String canonicalPayload) {
            plan.disconnectPresence((DurableOp.DisconnectPresence) op);
        }
    },

    APPEND_AUDIT(DurableOp.AppendAudit.class) {
        /** Computes the event's canonical JSON here, on the submitting thread: the writer thread only hashes it. */
        @Override
        String check(DurableOp op) {
            DurableOp.AppendAudit a = (DurableOp.AppendAudit) op;
            Objects.requireNonNull(a.meshId(), "meshId");
            return Objects.requireNonNull(a.event().canonicalPayload(), "canonicalPayload");
        }

        @Override
        void addTo(BatchPlan plan, DurableOp op, String canonicalPayload) {
            plan.appendAudit((DurableOp.AppendAudit) op, canonicalPayload);
        }
    };

    private static final Map<Class<?>, OpKind> BY_TYPE = new HashMap<>();

    static {
        for (OpKind k : values()) {
            BY_TYPE.put(k.type, k);
        }
        for (Class<?> type : DurableOp.class.getPermittedSubclasses()) {
            if (!BY_TYPE.containsKey(type)) {
                throw new IllegalStateException("no OpKind for " + type.getName());
            }
        }
    }

    private final Class<? extends DurableOp> type;

    OpKind(Class<? extends DurableOp> type) {
        this.type = type;
    }

    /** The kind of {@code op}. */
    static OpKind of(DurableOp op) {
        OpKind k = BY_TYPE.get(op.getClass());
        if (k == null) {
            throw new IllegalArgumentException("unknown op: " + op.getClass().getName());
        }
        return k;
    }

    /** The record type this kind handles. */
    Class<? extends DurableOp> type() {
        return type;
    }

    /**
     * Checks the fields the writer needs; returns the canonical payload of an audit event, else null.
     *
     * @throws NullPointerException naming the missing field
     */
    abstract String check(DurableOp op);

    /** Adds {@code op} (of this kind) to {@code plan}; {@code canonicalPayload} is what {@link #check} returned. */
    abstract void addTo(BatchPlan plan, DurableOp op, String canonicalPayload);
}
