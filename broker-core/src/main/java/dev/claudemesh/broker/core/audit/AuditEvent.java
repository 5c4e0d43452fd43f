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
 * {@link AuditChain#canonicalJson} of the equivalent map (and one in its bytes test). The hashes of existing events
 * must never change.</p>
 */
public sealed interface AuditEvent {

    /** The event type stored in {@code audit_log.event_type}, e.g. {@code peer_joined}. */
    String type();

    /** The canonical JSON of the payload: keys sorted recursively, no whitespace, JSON string escaping. */
    default String canonicalPayload() {
        CanonicalJson c = CanonicalJson.writer();
        writeCanonical(c);
        return c.text();
    }

    /**
     * Writes {@link #canonicalPayload()}'s UTF-8 bytes into {@code out}, which is empty ({@link CanonicalJson#reset}):
     * the writer thread hashes and stores them from its one reused writer, with no {@code String} per event.
     */
    void writeCanonical(CanonicalJson out);

    /**
     * A lease was registered: {@code {groups, pubkey, role}}, plus {@code restored} for a {@code hello} lease when a
     * service restores saved peer state (PROTOCOL-MESH §2.2), plus {@code session_pubkey} and
     * {@code via:"session_hello"} for a session lease.
     *
     * @param pubkey        the member key
     * @param groups        the lease's groups at registration (copied)
     * @param role          the lease's role, or null
     * @param sessionPubkey the proven session key of a {@code session_hello}; null for a {@code hello} (whose
     *                      unproven session key is not recorded)
     * @param restored      whether the hello restored the member's saved peer state; null when not recorded
     */
    record PeerJoined(String pubkey, List<GroupRole> groups, String role, String sessionPubkey, Boolean restored)
            implements AuditEvent {
        public PeerJoined {
            Objects.requireNonNull(pubkey, "pubkey");
            groups = List.copyOf(groups);
        }

        /** Without {@code restored} (a session lease, or no service restores peer state). */
        public PeerJoined(String pubkey, List<GroupRole> groups, String role, String sessionPubkey) {
            this(pubkey, groups, role, sessionPubkey, null);
        }

        @Override
        public String type() {
            return "peer_joined";
        }

        @Override
        public void writeCanonical(CanonicalJson out) {
            CanonicalJson c = out.beginObject().name("groups").beginArray();
            for (GroupRole g : groups) {
                c.beginObject().field("name", g.name());
                if (g.role() != null) {
                    c.field("role", g.role());
                }
                c.endObject();
            }
            c.endArray().field("pubkey", pubkey);
            if (restored != null) {
                c.field("restored", restored.booleanValue());
            }
            c.field("role", role);
            if (sessionPubkey != null) {
                c.field("session_pubkey", sessionPubkey).field("via", "session_hello");
            }
            c.endObject();
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
        public void writeCanonical(CanonicalJson out) {
            out.beginObject().endObject();
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
        public void writeCanonical(CanonicalJson out) {
            out.beginObject().field("priority", priority).field("targetSpec", targetSpec).endObject();
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
        public void writeCanonical(CanonicalJson out) {
            out.beginObject().field("reason", reason).endObject();
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
        public void writeCanonical(CanonicalJson out) {
            out.beginObject().field("pubkey", pubkey).field("reason", reason).endObject();
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
        public void writeCanonical(CanonicalJson out) {
            out.beginObject().field("target", target).field("targetPubkey", targetPubkey)
                    .field("via", via).endObject();
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
        public void writeCanonical(CanonicalJson out) {
            out.beginObject().field("target", target).field("targetPubkey", targetPubkey)
                    .field("via", via).endObject();
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
        public void writeCanonical(CanonicalJson out) {
            out.beginObject().field("pubkey", pubkey).field("role", role).field("via", via).endObject();
        }
    }

    // ------------------------------------------------------------------------------ scheduler (PROTOCOL-MESH §7)

    /**
     * A scheduled message was stored: {@code {cron?, scheduledId, targetSpec}} (never the message text).
     *
     * @param cron the cron expression, or null for a one-shot
     */
    record ScheduleCreated(String scheduledId, String targetSpec, String cron) implements AuditEvent {
        public ScheduleCreated {
            Objects.requireNonNull(scheduledId, "scheduledId");
            Objects.requireNonNull(targetSpec, "targetSpec");
        }

        @Override
        public String type() {
            return "schedule_created";
        }

        @Override
        public void writeCanonical(CanonicalJson out) {
            CanonicalJson c = out.beginObject();
            if (cron != null) {
                c.field("cron", cron);
            }
            c.field("scheduledId", scheduledId).field("targetSpec", targetSpec).endObject();
        }
    }

    /** A scheduled message was cancelled by its member: {@code {scheduledId}}. */
    record ScheduleCancelled(String scheduledId) implements AuditEvent {
        public ScheduleCancelled {
            Objects.requireNonNull(scheduledId, "scheduledId");
        }

        @Override
        public String type() {
            return "schedule_cancelled";
        }

        @Override
        public void writeCanonical(CanonicalJson out) {
            out.beginObject().field("scheduledId", scheduledId).endObject();
        }
    }

    /**
     * The broker gave a scheduled message up: {@code {reason, scheduledId}}; {@code reason} is a fixed word
     * ({@code expired}, {@code payload_too_large}, {@code invalid}, {@code invalid_cron}, {@code no_next_fire}).
     */
    record ScheduleDropped(String scheduledId, String reason) implements AuditEvent {
        public ScheduleDropped {
            Objects.requireNonNull(scheduledId, "scheduledId");
            Objects.requireNonNull(reason, "reason");
        }

        @Override
        public String type() {
            return "schedule_dropped";
        }

        @Override
        public void writeCanonical(CanonicalJson out) {
            out.beginObject().field("reason", reason).field("scheduledId", scheduledId).endObject();
        }
    }

    // ---------------------------------------------------------------- topics and API keys (PROTOCOL-MESH §8)

    /** A topic was created: {@code {topicId, visibility}} (never its name's messages or its key). */
    record TopicCreated(String topicId, String visibility) implements AuditEvent {
        public TopicCreated {
            Objects.requireNonNull(topicId, "topicId");
            Objects.requireNonNull(visibility, "visibility");
        }

        @Override
        public String type() {
            return "topic_created";
        }

        @Override
        public void writeCanonical(CanonicalJson out) {
            out.beginObject().field("topicId", topicId).field("visibility", visibility).endObject();
        }
    }

    /** A member was subscribed to a topic (by itself, or by a lead or admin): {@code {memberId, role, topicId}}. */
    record TopicJoined(String memberId, String role, String topicId) implements AuditEvent {
        public TopicJoined {
            Objects.requireNonNull(memberId, "memberId");
            Objects.requireNonNull(role, "role");
            Objects.requireNonNull(topicId, "topicId");
        }

        @Override
        public String type() {
            return "topic_joined";
        }

        @Override
        public void writeCanonical(CanonicalJson out) {
            out.beginObject().field("memberId", memberId).field("role", role).field("topicId", topicId)
                    .endObject();
        }
    }

    /** A member left a topic: {@code {memberId, topicId}}. */
    record TopicLeft(String memberId, String topicId) implements AuditEvent {
        public TopicLeft {
            Objects.requireNonNull(memberId, "memberId");
            Objects.requireNonNull(topicId, "topicId");
        }

        @Override
        public String type() {
            return "topic_left";
        }

        @Override
        public void writeCanonical(CanonicalJson out) {
            out.beginObject().field("memberId", memberId).field("topicId", topicId).endObject();
        }
    }

    /** An API key was minted: {@code {capabilities, keyId}} (never its secret, hash or label). */
    record ApiKeyCreated(List<String> capabilities, String keyId) implements AuditEvent {
        public ApiKeyCreated {
            capabilities = List.copyOf(capabilities);
            Objects.requireNonNull(keyId, "keyId");
        }

        @Override
        public String type() {
            return "apikey_created";
        }

        @Override
        public void writeCanonical(CanonicalJson out) {
            CanonicalJson c = out.beginObject().name("capabilities").beginArray();
            for (String cap : capabilities) {
                c.value(cap);
            }
            c.endArray().field("keyId", keyId).endObject();
        }
    }

    /** An API key was revoked: {@code {keyId}}. */
    record ApiKeyRevoked(String keyId) implements AuditEvent {
        public ApiKeyRevoked {
            Objects.requireNonNull(keyId, "keyId");
        }

        @Override
        public String type() {
            return "apikey_revoked";
        }

        @Override
        public void writeCanonical(CanonicalJson out) {
            out.beginObject().field("keyId", keyId).endObject();
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
        public void writeCanonical(CanonicalJson out) {
            out.beginObject().field("name", name).endObject();
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
        public void writeCanonical(CanonicalJson out) {
            out.beginObject().field("name", name).endObject();
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
        public void writeCanonical(CanonicalJson out) {
            out.beginObject().field("name", name).endObject();
        }
    }

    // ------------------------------------------------------------------ workspace (PROTOCOL-MESH §4-§6)

    /**
     * A shared-state key was set: {@code {key}}. The value is never recorded (PROTOCOL-MESH §4.6 [fix]: every member
     * may read the audit log, and state values are not metadata).
     */
    record StateSet(String key) implements AuditEvent {
        public StateSet {
            Objects.requireNonNull(key, "key");
        }

        @Override
        public String type() {
            return "state_set";
        }

        @Override
        public void writeCanonical(CanonicalJson out) {
            out.beginObject().field("key", key).endObject();
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

        @Override
        public void writeCanonical(CanonicalJson out) {
            out.raw(canonicalPayload);
        }
    }
}
