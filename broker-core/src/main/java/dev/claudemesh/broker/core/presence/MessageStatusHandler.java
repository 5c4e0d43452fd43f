package dev.claudemesh.broker.core.presence;

import dev.claudemesh.broker.core.audit.AuditChain;
import dev.claudemesh.broker.core.envelope.Frames;
import dev.claudemesh.broker.core.envelope.Inbound;
import dev.claudemesh.broker.core.envelope.JsonNode;
import dev.claudemesh.broker.core.envelope.JsonOut;
import dev.claudemesh.broker.core.mesh.Lease;
import dev.claudemesh.broker.core.mesh.MeshContext;
import dev.claudemesh.broker.core.mesh.MessageHandler;
import dev.claudemesh.broker.core.mesh.PeerSession;

import java.util.List;

/**
 * {@code message_status} {@code {"messageId":"Xq3Lr9Tb"}} (PROTOCOL-MESH §1): the delivery status of a sent message,
 * looked up in {@code message_queue} by its full id or by a prefix of at least 8 characters.
 * <ul>
 *   <li>{@code messageId} is read as the original's {@code String(messageId ?? "")} and must be 8–32 base62
 *       characters, else {@code error{code:"invalid_argument"}}.</li>
 *   <li>No row (or a row of another mesh) → {@code not_found}; two rows for a prefix → {@code ambiguous_prefix}.</li>
 *   <li>Reply {@code {"type":"message_status_result","messageId","targetSpec","delivered","deliveredAt",
 *       "recipients":[{name, pubkey, status}],"_reqId"?}}, {@code messageId} echoing the request's value. Recipients
 *       are computed now, from the mesh's leases, with the §1.5 [fix]: a multicast ({@code *}, {@code @…}) lists the
 *       leases it reaches today — not the sender's own member, not hidden leases ({@code @g}: holders of {@code g}
 *       or a subgroup, as routing matches); a DM matches its target by a lease's routing key, else by a member key
 *       (a member-key DM to a member whose leases all have session keys); a topic message lists the topic's members
 *       through {@link TopicRecipients} when the service has one (none yet: reported as the original does).</li>
 * </ul>
 * The reply describes what the database held when it answered. Stateless; runs on the mesh loop, the lookup on the
 * storage lane.
 */
final class MessageStatusHandler implements MessageHandler<PresenceState> {

    private static final int MIN_ID = 8;
    private static final int MAX_ID = 32;

    private final MessageLookup lookup;
    private final TopicRecipients topics;

    MessageStatusHandler(MessageLookup lookup, TopicRecipients topics) {
        this.lookup = lookup;
        this.topics = topics;
    }

    /** What the storage call found: the rows, and the topic's members for a topic message (else null). */
    private record Found(List<MessageLookup.QueuedMessage> rows, List<TopicRecipients.Member> topicMembers) {
    }

    @Override
    public void handle(PresenceState state, PeerSession from, Inbound in) {
        MeshContext mesh = state.mesh;
        JsonNode requested = in.body().get("messageId");
        String id = jsString(requested);
        if (id.length() < MIN_ID || id.length() > MAX_ID || !isBase62(id)) {
            mesh.error(from, in, "invalid_argument", "messageId must be 8-32 base62 chars (got " + id.length() + ")");
            return;
        }
        String meshId = mesh.meshId();
        mesh.onLoop(mesh.storage(() -> {
            List<MessageLookup.QueuedMessage> rows = lookup.find(meshId, id);
            List<TopicRecipients.Member> members = null;
            if (rows.size() == 1 && topics != null && meshId.equals(rows.get(0).meshId())
                    && rows.get(0).targetSpec().startsWith("#")) {
                members = topics.members(meshId, rows.get(0).targetSpec().substring(1));
            }
            return new Found(rows, members);
        }), (found, failure) -> {
            if (failure != null) {
                mesh.error(from, in, "internal_error", "message status unavailable, try again");
                return;
            }
            if (found.rows().isEmpty() || !meshId.equals(found.rows().get(0).meshId())) {
                mesh.error(from, in, "not_found", "message not found");
                return;
            }
            if (found.rows().size() > 1) {
                mesh.error(from, in, "ambiguous_prefix",
                        "prefix matched " + found.rows().size() + " messages — use a longer id");
                return;
            }
            from.reply(reply(mesh, in, requested, found.rows().get(0), found.topicMembers()));
        });
    }

    private static byte[] reply(MeshContext mesh, Inbound in, JsonNode requested, MessageLookup.QueuedMessage row,
                                List<TopicRecipients.Member> topicMembers) {
        boolean delivered = row.deliveredAtMs() != null;
        String status = delivered ? "delivered" : "held";
        JsonOut o = Frames.beginReply("message_status_result").name("messageId");
        if (requested == null) {
            o.value("");
        } else {
            o.value(requested);
        }
        o.field("targetSpec", row.targetSpec()).field("delivered", delivered).name("deliveredAt");
        if (delivered) {
            o.value(AuditChain.isoMillis(row.deliveredAtMs()));
        } else {
            o.nullValue();
        }
        o.name("recipients").beginArray();
        String target = row.targetSpec();
        if (target.equals("*") || target.startsWith("@")) {
            String group = target.equals("*") || target.equals("@all") ? null : target.substring(1);
            for (Lease l : mesh.leases().all()) {
                if (!l.visible() || l.member().id().equals(row.senderMemberId())
                        || (group != null && !l.inGroup(group))) {
                    continue;
                }
                recipient(o, l.displayName(), l.routingKey(), status);
            }
        } else if (target.startsWith("#") && topicMembers != null) {
            for (TopicRecipients.Member m : topicMembers) {
                recipient(o, m.name(), m.pubkey(), status);
            }
        } else {
            Lease to = dmRecipient(mesh, target);
            if (to != null) {
                recipient(o, to.displayName(), target, status);
            } else {
                recipient(o, "unknown", target.substring(0, Math.min(16, target.length())), "disconnected");
            }
        }
        o.endArray();
        return Frames.endReply(o, in);
    }

    /** The lease whose routing key is {@code target}, else the first lease whose member key is (§1.5 [fix]). */
    private static Lease dmRecipient(MeshContext mesh, String target) {
        Lease byMemberKey = null;
        for (Lease l : mesh.leases().all()) {
            if (l.routingKey().equals(target)) {
                return l;
            }
            if (byMemberKey == null && l.member().pubkey().equals(target)) {
                byMemberKey = l;
            }
        }
        return byMemberKey;
    }

    private static void recipient(JsonOut o, String name, String pubkey, String status) {
        o.beginObject().field("name", name).field("pubkey", pubkey).field("status", status).endObject();
    }

    /**
     * {@code String(value ?? "")} as the original's JavaScript computes it, for the length check and the lookup:
     * strings as they are, numbers as their text, booleans, arrays joined with commas, objects as
     * {@code [object Object]}.
     */
    static String jsString(JsonNode v) {
        if (v == null || v instanceof JsonNode.NullNode) {
            return "";
        }
        return jsText(v);
    }

    private static String jsText(JsonNode v) {
        if (v instanceof JsonNode.StringNode s) {
            return s.value();
        }
        if (v instanceof JsonNode.NumberNode n) {
            return n.isLong() ? Long.toString(n.longValue()) : n.text();
        }
        if (v instanceof JsonNode.BooleanNode b) {
            return Boolean.toString(b.value());
        }
        if (v instanceof JsonNode.ArrayNode a) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < a.items().size(); i++) {
                if (i > 0) {
                    sb.append(',');
                }
                JsonNode item = a.items().get(i);
                sb.append(item instanceof JsonNode.NullNode ? "" : jsText(item));
            }
            return sb.toString();
        }
        if (v instanceof JsonNode.NullNode) {
            return "null";
        }
        return "[object Object]";
    }

    private static boolean isBase62(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) {
                return false;
            }
        }
        return true;
    }
}
