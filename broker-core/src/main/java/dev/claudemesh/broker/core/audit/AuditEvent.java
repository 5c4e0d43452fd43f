package dev.claudemesh.broker.core.audit;

import dev.claudemesh.broker.core.model.GroupRole;

import java.util.List;
import java.util.Objects;

/**
 * One event of the audit log (PROTOCOL §7): its {@link #type()} and its payload, which the event turns into the
 * canonical JSON that is hashed and stored ({@link #canonicalPayload()}), directly and without a map. Metadata
 * only: an event never holds a nonce, a ciphertext or plaintext. Immutable; safe to pass between threads.
 *
 * <p>Adding an event: one more record here, writing its keys in ascending order with {@link CanonicalJson} (the
 * writer refuses any other order), and a line in {@code AuditEventTest} that compares it with
 * {@link AuditChain#canonicalJson} of the equivalent map. The hashes of existing events must never change.</p>
 */
public sealed interface AuditEvent {

    /** The event type stored in {@code audit_log.event_type}, e.g. {@code peer_joined}. */
    String type();

    /** The canonical JSON of the payload: keys sorted recursively, no whitespace, JSON string escaping. */
    String canonicalPayload();

    /**
     * A lease was registered: {@code {groups, pubkey, role}}, plus {@code session_pubkey} and
     * {@code via:"session_hello"} for a session lease.
     *
     * @param pubkey        the member key
     * @param groups        the lease's groups at registration (copied)
     * @param role          the lease's role, or null
     * @param sessionPubkey the proven session key of a {@code session_hello}; null for a {@code hello} (whose
     *                      unproven session key is not recorded)
     */
    record PeerJoined(String pubkey, List<GroupRole> groups, String role, String sessionPubkey) implements AuditEvent {
        public PeerJoined {
            Objects.requireNonNull(pubkey, "pubkey");
            groups = List.copyOf(groups);
        }

        @Override
        public String type() {
            return "peer_joined";
        }

        @Override
        public String canonicalPayload() {
            CanonicalJson c = CanonicalJson.object().name("groups").beginArray();
            for (GroupRole g : groups) {
                c.beginObject().field("name", g.name());
                if (g.role() != null) {
                    c.field("role", g.role());
                }
                c.endObject();
            }
            c.endArray().field("pubkey", pubkey).field("role", role);
            if (sessionPubkey != null) {
                c.field("session_pubkey", sessionPubkey).field("via", "session_hello");
            }
            return c.end();
        }
    }

    /** A lease ended with a {@code peer_left} (evicted after grace, revoked, an unproven claim dropped): {@code {}}. */
    record PeerLeft() implements AuditEvent {
        /** The only value needed: the event has no fields. */
        public static final PeerLeft INSTANCE = new PeerLeft();

        @Override
        public String type() {
            return "peer_left";
        }

        @Override
        public String canonicalPayload() {
            return CanonicalJson.EMPTY;
        }
    }

    /** A {@code send} was accepted: {@code {priority, targetSpec}}. */
    record MessageSent(String targetSpec, String priority) implements AuditEvent {
        public MessageSent {
            Objects.requireNonNull(targetSpec, "targetSpec");
            Objects.requireNonNull(priority, "priority");
        }

        @Override
        public String type() {
            return "message_sent";
        }

        @Override
        public String canonicalPayload() {
            return CanonicalJson.object().field("priority", priority).field("targetSpec", targetSpec).end();
        }
    }

    /** A hello was rejected: {@code {reason}} (the rejection code). */
    record HelloRejected(String reason) implements AuditEvent {
        public HelloRejected {
            Objects.requireNonNull(reason, "reason");
        }

        @Override
        public String type() {
            return "hello_rejected";
        }

        @Override
        public String canonicalPayload() {
            return CanonicalJson.object().field("reason", reason).end();
        }
    }

    // ---- contexts, skills, streams (PROTOCOL-MESH §11, §12): names only, never instructions or data

    /** A skill was shared or overwritten by its author or an admin: {@code {name}}. */
    record SkillShared(String name) implements AuditEvent {
        public SkillShared {
            Objects.requireNonNull(name, "name");
        }

        @Override
        public String type() {
            return "skill_shared";
        }

        @Override
        public String canonicalPayload() {
            return CanonicalJson.object().field("name", name).end();
        }
    }

    /** A skill was removed by its author or an admin: {@code {name}}. */
    record SkillRemoved(String name) implements AuditEvent {
        public SkillRemoved {
            Objects.requireNonNull(name, "name");
        }

        @Override
        public String type() {
            return "skill_removed";
        }

        @Override
        public String canonicalPayload() {
            return CanonicalJson.object().field("name", name).end();
        }
    }

    /** A stream was created (not when {@code create_stream} found it existing): {@code {name}}. */
    record StreamCreated(String name) implements AuditEvent {
        public StreamCreated {
            Objects.requireNonNull(name, "name");
        }

        @Override
        public String type() {
            return "stream_created";
        }

        @Override
        public String canonicalPayload() {
            return CanonicalJson.object().field("name", name).end();
        }
    }

    /**
     * An event whose payload is already canonical text, as the enrolment outbox stores it (its events are written
     * by other processes and kept as type + canonical text until the writer chains them). The text is trusted to
     * be canonical: it is hashed and stored as given.
     */
    record Canonical(String type, String canonicalPayload) implements AuditEvent {
        public Canonical {
            Objects.requireNonNull(type, "type");
            Objects.requireNonNull(canonicalPayload, "canonicalPayload");
        }
    }
}
