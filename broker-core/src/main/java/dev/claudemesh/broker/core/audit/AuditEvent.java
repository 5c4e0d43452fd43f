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

    // ---------------------------------------------------------------- moderation (PROTOCOL-MESH §9): metadata only

    /**
     * A lease closed by a mesh admin's {@code kick} or {@code disconnect}: {@code {pubkey, reason}}, acted by the
     * admin's member id.
     *
     * @param pubkey the member key of the closed lease
     * @param reason the close reason: {@code kicked}, {@code kicked_stale}, {@code disconnected} or
     *               {@code disconnected_stale}
     */
    record MemberKicked(String pubkey, String reason) implements AuditEvent {
        public MemberKicked {
            Objects.requireNonNull(pubkey, "pubkey");
            Objects.requireNonNull(reason, "reason");
        }

        @Override
        public String type() {
            return "member_kicked";
        }

        @Override
        public String canonicalPayload() {
            return CanonicalJson.object().field("pubkey", pubkey).field("reason", reason).end();
        }
    }

    /**
     * A member was banned, by a mesh admin's {@code ban} or the operator's revoke (one path):
     * {@code {target, targetPubkey, via}}.
     *
     * @param target       the member's display name
     * @param targetPubkey the member key
     * @param via          {@code ws} (a member's ban), {@code admin_api} or {@code cli} (the operator's revoke)
     */
    record MemberBanned(String target, String targetPubkey, String via) implements AuditEvent {
        public MemberBanned {
            Objects.requireNonNull(target, "target");
            Objects.requireNonNull(targetPubkey, "targetPubkey");
            Objects.requireNonNull(via, "via");
        }

        @Override
        public String type() {
            return "member_banned";
        }

        @Override
        public String canonicalPayload() {
            return CanonicalJson.object().field("target", target).field("targetPubkey", targetPubkey)
                    .field("via", via).end();
        }
    }

    /** A ban was lifted: {@code {target, targetPubkey, via}} (as {@link MemberBanned}). */
    record MemberUnbanned(String target, String targetPubkey, String via) implements AuditEvent {
        public MemberUnbanned {
            Objects.requireNonNull(target, "target");
            Objects.requireNonNull(targetPubkey, "targetPubkey");
            Objects.requireNonNull(via, "via");
        }

        @Override
        public String type() {
            return "member_unbanned";
        }

        @Override
        public String canonicalPayload() {
            return CanonicalJson.object().field("target", target).field("targetPubkey", targetPubkey)
                    .field("via", via).end();
        }
    }

    /**
     * The operator changed a member's role: {@code {pubkey, role, via}}.
     *
     * @param role the new role, {@code member} or {@code admin}
     */
    record MemberRoleChanged(String pubkey, String role, String via) implements AuditEvent {
        public MemberRoleChanged {
            Objects.requireNonNull(pubkey, "pubkey");
            Objects.requireNonNull(role, "role");
            Objects.requireNonNull(via, "via");
        }

        @Override
        public String type() {
            return "member_role_changed";
        }

        @Override
        public String canonicalPayload() {
            return CanonicalJson.object().field("pubkey", pubkey).field("role", role).field("via", via).end();
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
