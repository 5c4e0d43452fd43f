package dev.claudemesh.broker.core.topic;

import dev.claudemesh.broker.core.Ids;
import dev.claudemesh.broker.core.audit.AuditEvent;
import dev.claudemesh.broker.core.envelope.Inbound;
import dev.claudemesh.broker.core.envelope.JsonNode;
import dev.claudemesh.broker.core.mesh.PeerSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Set;

/**
 * The handlers of {@code topic_create}, {@code topic_list}, {@code topic_join}, {@code topic_leave},
 * {@code topic_members}, {@code topic_history} and {@code topic_mark_read} (PROTOCOL-MESH §8.2–§8.4, with the [fix]es
 * of §8.12): each validates the frame on the loop, makes one store call on the mesh's storage lane and answers on the
 * loop once it is committed. Stateless; mesh loop.
 */
final class TopicRequests {

    private static final Logger log = LoggerFactory.getLogger(TopicRequests.class);
    /** {@code topic_history} page size without a usable {@code limit}, and the clamp. */
    static final int DEFAULT_HISTORY = 50;
    static final int MAX_HISTORY = 200;
    /** Types without a reply on success (PROTOCOL-MESH §0.4): refused only when the request has a {@code _reqId}. */
    private static final Set<String> REPLY_LESS = Set.of("topic_join", "topic_leave", "topic_mark_read");

    private TopicRequests() {
    }

    // ------------------------------------------------------------------------------------------ topic_create

    static void create(TopicMesh t, PeerSession from, Inbound in) {
        JsonNode.ObjectNode b = in.body();
        String name = b.string("name");
        if (name == null || name.isBlank() || name.length() > TopicLimits.MAX_NAME_CHARS) {
            refuse(t, from, in, "bad_request", "topic_create needs a name: a non-blank string of at most "
                    + TopicLimits.MAX_NAME_CHARS + " chars");
            return;
        }
        JsonNode d = b.get("description");
        String description = b.string("description");
        if ((d != null && !(d instanceof JsonNode.NullNode) && description == null)
                || (description != null && description.length() > TopicLimits.MAX_DESCRIPTION_CHARS)) {
            refuse(t, from, in, "bad_request", "description must be a string of at most "
                    + TopicLimits.MAX_DESCRIPTION_CHARS + " chars");
            return;
        }
        Visibility visibility = Visibility.PUBLIC;
        JsonNode v = b.get("visibility");
        if (v != null && !(v instanceof JsonNode.NullNode)) {
            visibility = Visibility.parse(b.string("visibility"));
            if (visibility == null) {
                refuse(t, from, in, "bad_request", "visibility must be public, private or dm");
                return;
            }
        }
        Visibility requested = visibility;
        String creatorId = from.lease().member().id();
        String creatorPubkey = from.lease().member().pubkey();
        String id = Ids.newId();
        long now = t.mesh.nowMs();
        t.mesh.onLoop(t.mesh.storage(() -> {
            // off the loop: two X25519 operations; the topic key lives only inside TopicKeys.create
            TopicKeys.Bundle keys = TopicKeys.create(creatorPubkey);
            return t.store.create(new TopicStore.NewTopic(id, t.mesh.meshId(), name, description, requested,
                    creatorId, keys.encryptedKeyPubkeyHex(), keys.creatorKey(), now), t.limits.maxTopicsPerMesh());
        }), (created, failure) -> {
            if (failure instanceof TopicStore.TopicLimitException
                    || failure != null && failure.getCause() instanceof TopicStore.TopicLimitException) {
                refuse(t, from, in, "limit_exceeded", "this mesh has " + t.limits.maxTopicsPerMesh()
                        + " topics already (TOPICS_MAX_PER_MESH)");
                return;
            }
            if (failure != null) {
                unavailable(t, from, in, failure);
                return;
            }
            TopicStore.Topic topic = created.topic();
            if (created.created()) {
                t.mesh.audit(creatorId, new AuditEvent.TopicCreated(topic.id(), topic.visibility().wire()));
            }
            // an existing topic is echoed with its stored visibility (§8.12 [fix])
            from.reply(TopicFrames.created(in, topic.id(), name, topic.visibility(), created.created()));
        });
    }

    // ------------------------------------------------------------------------------------------ topic_list

    static void list(TopicMesh t, PeerSession from, Inbound in) {
        t.mesh.onLoop(t.mesh.storage(() -> t.store.list(t.mesh.meshId())), (topics, failure) -> {
            if (failure != null) {
                unavailable(t, from, in, failure);
                return;
            }
            from.reply(TopicFrames.list(in, topics));
        });
    }

    // ------------------------------------------------------------------------------------------ join, leave, read

    /**
     * {@code topic_join {topic, role?, member?}}: no reply on success. {@code member} (a member id or key of the mesh)
     * lets a lead of the topic or a mesh admin add someone else: that is how a restricted topic gets members.
     */
    static void join(TopicMesh t, PeerSession from, Inbound in) {
        JsonNode.ObjectNode b = in.body();
        String ref = b.string("topic");
        TopicRole role = TopicRole.MEMBER;
        if (b.get("role") != null && !(b.get("role") instanceof JsonNode.NullNode)) {
            role = TopicRole.parse(b.string("role"));
        }
        JsonNode memberNode = b.get("member");
        String member = b.string("member");
        if (ref == null || role == null || (memberNode != null && !(memberNode instanceof JsonNode.NullNode)
                && member == null)) {
            refuse(t, from, in, "bad_request", "topic_join needs a topic, an optional role (lead, member or observer) "
                    + "and an optional member");
            return;
        }
        TopicRole asRole = role;
        String caller = from.lease().member().id();
        long now = t.mesh.nowMs();
        t.mesh.onLoop(t.mesh.storage(() -> {
            TopicStore.Topic topic = t.store.resolve(t.mesh.meshId(), ref);
            return topic == null ? null : new Joined(topic, t.store.join(topic, caller, member, asRole, now));
        }), (joined, failure) -> {
            if (failure != null) {
                unavailable(t, from, in, failure);
            } else if (joined == null) {
                notFound(t, from, in, ref);
            } else if (joined.result.status() == TopicStore.JoinStatus.FORBIDDEN) {
                refuse(t, from, in, "forbidden", "only a lead of this topic or a mesh admin can add members"
                        + (joined.topic.visibility().restricted() ? " to a " + joined.topic.visibility().wire()
                        + " topic" : ""));
            } else if (joined.result.status() == TopicStore.JoinStatus.NO_SUCH_MEMBER) {
                refuse(t, from, in, "not_found", "member \"" + member + "\" not found");
            } else if (joined.result.status() == TopicStore.JoinStatus.JOINED) {
                t.mesh.audit(caller, new AuditEvent.TopicJoined(joined.result.memberId(), asRole.wire(),
                        joined.topic.id()));
            }
        });
    }

    private record Joined(TopicStore.Topic topic, TopicStore.JoinResult result) {
    }

    /** {@code topic_leave {topic}}: removes the caller's subscription; no reply on success. */
    static void leave(TopicMesh t, PeerSession from, Inbound in) {
        String ref = in.body().string("topic");
        if (ref == null) {
            refuse(t, from, in, "bad_request", "topic_leave needs a topic");
            return;
        }
        String caller = from.lease().member().id();
        t.mesh.onLoop(t.mesh.storage(() -> {
            TopicStore.Topic topic = t.store.resolve(t.mesh.meshId(), ref);
            return topic == null ? null : t.store.leave(topic.id(), caller) ? topic.id() : "";
        }), (left, failure) -> {
            if (failure != null) {
                unavailable(t, from, in, failure);
            } else if (left == null) {
                notFound(t, from, in, ref);
            } else if (!left.isEmpty()) {
                t.mesh.audit(caller, new AuditEvent.TopicLeft(caller, left));
            }
        });
    }

    /** {@code topic_mark_read {topic}}: no reply. */
    static void markRead(TopicMesh t, PeerSession from, Inbound in) {
        String ref = in.body().string("topic");
        if (ref == null) {
            refuse(t, from, in, "bad_request", "topic_mark_read needs a topic");
            return;
        }
        String caller = from.lease().member().id();
        long now = t.mesh.nowMs();
        t.mesh.onLoop(t.mesh.storage(() -> {
            TopicStore.Topic topic = t.store.resolve(t.mesh.meshId(), ref);
            if (topic != null) {
                t.store.markRead(topic.id(), caller, now);
            }
            return topic != null;
        }), (found, failure) -> {
            if (failure != null) {
                unavailable(t, from, in, failure);
            } else if (!found) {
                notFound(t, from, in, ref);
            }
        });
    }

    // ------------------------------------------------------------------------------------------ members, history

    /** What a read of a topic found: the topic, whether the caller may read it, and the rows. */
    private record Read<T>(TopicStore.Topic topic, boolean allowed, List<T> rows) {
    }

    static void members(TopicMesh t, PeerSession from, Inbound in) {
        String ref = in.body().string("topic");
        if (ref == null) {
            refuse(t, from, in, "bad_request", "topic_members needs a topic");
            return;
        }
        String caller = from.lease().member().id();
        t.mesh.onLoop(t.mesh.storage(() -> {
            TopicStore.Topic topic = t.store.resolve(t.mesh.meshId(), ref);
            if (topic == null) {
                return null;
            }
            boolean allowed = mayRead(t, topic, caller);
            return new Read<>(topic, allowed, allowed ? t.store.subscribers(topic.id()) : List.of());
        }), (read, failure) -> {
            if (answeredRead(t, from, in, ref, read, failure)) {
                return;
            }
            from.reply(TopicFrames.members(in, ref, read.rows()));
        });
    }

    static void history(TopicMesh t, PeerSession from, Inbound in) {
        JsonNode.ObjectNode b = in.body();
        String ref = b.string("topic");
        JsonNode beforeNode = b.get("beforeId");
        String beforeId = b.string("beforeId");
        if (ref == null || (beforeNode != null && !(beforeNode instanceof JsonNode.NullNode) && beforeId == null)) {
            refuse(t, from, in, "bad_request", "topic_history needs a topic, an optional limit and an optional "
                    + "beforeId (a message id)");
            return;
        }
        int limit = limit(b.get("limit"));
        String caller = from.lease().member().id();
        t.mesh.onLoop(t.mesh.storage(() -> {
            TopicStore.Topic topic = t.store.resolve(t.mesh.meshId(), ref);
            if (topic == null) {
                return null;
            }
            boolean allowed = mayRead(t, topic, caller);
            return new Read<>(topic, allowed, allowed ? t.store.history(topic.id(), limit, beforeId) : List.of());
        }), (read, failure) -> {
            if (answeredRead(t, from, in, ref, read, failure)) {
                return;
            }
            from.reply(TopicFrames.history(in, ref, read.rows()));
        });
    }

    /** {@code limit}: an integer clamped to 1..200; anything else (absent, text, a fraction) the default, 50. */
    static int limit(JsonNode n) {
        if (n instanceof JsonNode.NumberNode num && num.isLong()) {
            return (int) Math.max(1, Math.min(MAX_HISTORY, num.longValue()));
        }
        return DEFAULT_HISTORY;
    }

    /** A restricted topic is read by its subscribers only (§8.12 [fix]). Storage thread. */
    private static boolean mayRead(TopicMesh t, TopicStore.Topic topic, String memberId) {
        return !topic.visibility().restricted() || t.store.subscription(topic.id(), memberId) != null;
    }

    private static <T> boolean answeredRead(TopicMesh t, PeerSession from, Inbound in, String ref, Read<T> read,
                                            Throwable failure) {
        if (failure != null) {
            unavailable(t, from, in, failure);
            return true;
        }
        if (read == null) {
            notFound(t, from, in, ref);
            return true;
        }
        if (!read.allowed()) {
            refuse(t, from, in, "forbidden", "this topic is " + read.topic().visibility().wire()
                    + ": subscribers only");
            return true;
        }
        return false;
    }

    // ------------------------------------------------------------------------------------------ answers

    /** {@code topic_not_found} with the request id as {@code _reqId} (§0.3 [fix]). */
    private static void notFound(TopicMesh t, PeerSession from, Inbound in, String ref) {
        refuse(t, from, in, "topic_not_found", "topic \"" + ref + "\" not found");
    }

    /**
     * An error frame answering {@code in}; for a reply-less type ({@code topic_join}, {@code topic_leave},
     * {@code topic_mark_read}, PROTOCOL-MESH §0.4) only when it carries a {@code _reqId}: without one nobody waits
     * for an answer, and a frame nobody asked for could resolve another pending request of the client (§0.3).
     */
    static void refuse(TopicMesh t, PeerSession from, Inbound in, String code, String message) {
        if (in.reqId == null && REPLY_LESS.contains(in.rawType)) {
            log.info("{} ignored without _reqId: {}", in.rawType, code);
            return;
        }
        log.debug("{} refused: {}", in.rawType, code);
        t.mesh.error(from, in, code, message);
    }

    private static void unavailable(TopicMesh t, PeerSession from, Inbound in, Throwable failure) {
        log.warn("{} failed in mesh {}: {}", in.rawType, t.mesh.meshId(), failure.getClass().getSimpleName());
        t.mesh.error(from, in, "internal_error", "topics are unavailable, try again");
    }
}
