package dev.claudemesh.broker.core.envelope;

import dev.claudemesh.broker.core.audit.AuditChain;
import dev.claudemesh.broker.core.model.GroupRole;
import dev.claudemesh.broker.core.model.StoredMessage;

import java.util.List;

/** Encoders for every frame the broker sends (PROTOCOL §3–§5). Stateless and thread-safe. */
public final class Frames {

    private Frames() {
    }

    // the names and constant values of the frames written per DM (the push, the ack), encoded once
    private static final JsonOut.Encoded TYPE = JsonOut.Encoded.name("type");
    private static final JsonOut.Encoded PUSH = JsonOut.Encoded.string("push");
    private static final JsonOut.Encoded ACK = JsonOut.Encoded.string("ack");
    private static final JsonOut.Encoded ID = JsonOut.Encoded.name("id");
    private static final JsonOut.Encoded CLIENT_MESSAGE_ID = JsonOut.Encoded.name("client_message_id");
    private static final JsonOut.Encoded MESSAGE_ID = JsonOut.Encoded.name("messageId");
    private static final JsonOut.Encoded QUEUED = JsonOut.Encoded.name("queued");
    private static final JsonOut.Encoded MESH_ID = JsonOut.Encoded.name("meshId");
    private static final JsonOut.Encoded SENDER_PUBKEY = JsonOut.Encoded.name("senderPubkey");
    private static final JsonOut.Encoded PRIORITY = JsonOut.Encoded.name("priority");
    private static final JsonOut.Encoded NONCE = JsonOut.Encoded.name("nonce");
    private static final JsonOut.Encoded CIPHERTEXT = JsonOut.Encoded.name("ciphertext");
    private static final JsonOut.Encoded REQUEST_FINGERPRINT = JsonOut.Encoded.name("request_fingerprint");
    private static final JsonOut.Encoded SENDER_NAME = JsonOut.Encoded.name("senderName");
    private static final JsonOut.Encoded SUBTYPE = JsonOut.Encoded.name("subtype");
    private static final JsonOut.Encoded CREATED_AT = JsonOut.Encoded.name("createdAt");

    /** {@code {"type":"error","code":…,"message":…[,"_reqId":…]}}. */
    public static byte[] error(String code, String message, Inbound req) {
        JsonOut o = JsonOut.scratch().beginObject().field("type", "error").field("code", code).field("message", message);
        reqId(o, req);
        return o.endObject().toBytes();
    }

    /**
     * Writes {@code "_reqId":<echo>} when {@code req} carried one: a string as a string, a number as a number
     * (PROTOCOL-MESH §0.2). Nothing when it had none.
     */
    public static void reqId(JsonOut o, Inbound req) {
        if (req == null || req.reqId == null) {
            return;
        }
        o.name("_reqId");
        if (req.reqIdNumeric) {
            try {
                o.value(Long.parseLong(req.reqId));
                return;
            } catch (NumberFormatException ignored) {
                // fall through to the string form
            }
        }
        o.value(req.reqId);
    }

    /** Successful send ack. */
    public static byte[] ackQueued(Inbound send, String messageId) {
        return ackQueuedScratch(send, messageId).toBytes();
    }

    /** {@link #ackQueued} in this thread's scratch writer ({@link JsonOut#scratch()}), not copied out. */
    public static JsonOut ackQueuedScratch(Inbound send, String messageId) {
        return ackQueuedScratch(send.hasId, send.idNumeric, send.id, send.clientMessageId, messageId);
    }

    /** {@link #ackQueuedScratch(Inbound, String)} from the send's fields, taken before its Inbound was reused. */
    public static JsonOut ackQueuedScratch(boolean hasId, boolean idNumeric, String id, String clientMessageId,
                                           String messageId) {
        JsonOut o = JsonOut.scratch().beginObject().name(TYPE).value(ACK);
        ackId(o, hasId, idNumeric, id, clientMessageId);
        return o.field(MESSAGE_ID, messageId).name(QUEUED).value(true).endObject();
    }

    /** Failed send ack. */
    public static byte[] ackFailed(Inbound send, String error) {
        JsonOut o = JsonOut.scratch().beginObject().field("type", "ack");
        ackId(o, send);
        return o.field("messageId", "").field("queued", false).field("error", error).endObject().toBytes();
    }

    private static void ackId(JsonOut o, Inbound send) {
        ackId(o, send.hasId, send.idNumeric, send.id, send.clientMessageId);
    }

    private static void ackId(JsonOut o, boolean hasId, boolean idNumeric, String id, String clientMessageId) {
        o.name(ID);
        if (hasId && idNumeric) {
            o.value(Long.parseLong(id));
        } else if (hasId) {
            o.value(id);
        } else {
            o.nullValue();
        }
        if (clientMessageId != null) {
            o.field(CLIENT_MESSAGE_ID, clientMessageId);
        }
    }

    /** hello_ack; {@code withProfile} false on a session reattach. */
    public static byte[] helloAck(String presenceId, String memberDisplayName, String roleTag,
                                  List<GroupRole> groups, String messageMode, boolean withProfile) {
        return beginHelloAck(presenceId, memberDisplayName, roleTag, groups, messageMode, withProfile).endObject()
                .toBytes();
    }

    /**
     * The fields of a hello_ack, its object left open for the fields a path adds (PROTOCOL-MESH §2.2); close it with
     * {@link JsonOut#endObject()}.
     */
    public static JsonOut beginHelloAck(String presenceId, String memberDisplayName, String roleTag,
                                        List<GroupRole> groups, String messageMode, boolean withProfile) {
        JsonOut o = new JsonOut(160).beginObject().field("type", "hello_ack").field("presenceId", presenceId)
                .field("memberDisplayName", memberDisplayName);
        if (withProfile) {
            o.name("memberProfile").beginObject().field("roleTag", roleTag).name("groups");
            groups(o, groups);
            o.field("messageMode", messageMode).endObject();
        }
        return o;
    }

    /** Writes {@code [{name, role?}]}. */
    public static void groups(JsonOut o, List<GroupRole> groups) {
        o.beginArray();
        for (GroupRole g : groups) {
            o.beginObject().field("name", g.name());
            if (g.role() != null) {
                o.field("role", g.role());
            }
            o.endObject();
        }
        o.endArray();
    }

    /**
     * A DM push. A message with a {@code subtype} (a scheduled reminder, PROTOCOL-MESH §7.10) carries it as the last
     * key; without one the frame is exactly the core protocol's.
     */
    public static byte[] dmPush(StoredMessage m) {
        return dmPushScratch(m).toBytes();
    }

    /** {@link #dmPush} in this thread's scratch writer ({@link JsonOut#scratch()}), not copied out. */
    public static JsonOut dmPushScratch(StoredMessage m) {
        JsonOut o = JsonOut.scratch();
        o.beginObject().name(TYPE).value(PUSH).field(MESSAGE_ID, m.messageId()).field(MESH_ID, m.meshId())
                .field(SENDER_PUBKEY, m.senderPubkey()).field(PRIORITY, m.priority())
                .name(NONCE).payloadValue(m.payload(), true).name(CIPHERTEXT).payloadValue(m.payload(), false);
        isoMillisField(o, CREATED_AT, m.createdAtMs());
        if (m.clientMessageId() != null) {
            o.field(CLIENT_MESSAGE_ID, m.clientMessageId());
        }
        if (m.requestFingerprint() != null) {
            o.field(REQUEST_FINGERPRINT, m.requestFingerprint());
        }
        o.field(SENDER_NAME, m.senderName());
        if (m.subtype() != null) {
            o.field(SUBTYPE, m.subtype());
        }
        return o.endObject();
    }

    /** A per-thread buffer for {@link #isoMillisField}. */
    private static final ThreadLocal<byte[]> ISO =
            ThreadLocal.withInitial(() -> new byte[AuditChain.ISO_MILLIS_LENGTH]);

    /** {@code name: isoMillis(ms)} without a String in between (the usual years); the same text either way. */
    private static void isoMillisField(JsonOut o, JsonOut.Encoded name, long epochMs) {
        o.name(name);
        byte[] iso = ISO.get();
        if (AuditChain.isoMillisInto(epochMs, iso, 0)) {
            o.asciiStringValue(iso, 0, AuditChain.ISO_MILLIS_LENGTH);
        } else {
            o.value(AuditChain.isoMillis(epochMs));
        }
    }

    /** A multicast push, encoded once for all recipients. */
    public static byte[] multicastPush(String messageId, String meshId, String senderPubkey, String priority,
                                       byte[] nonce, byte[] ciphertext, long createdAtMs, String clientMessageId,
                                       String requestFingerprint, String senderMemberPubkey, String senderMemberId,
                                       String senderName) {
        return multicastPush(messageId, meshId, senderPubkey, priority, nonce, ciphertext, createdAtMs,
                clientMessageId, requestFingerprint, senderMemberPubkey, senderMemberId, senderName, null);
    }

    /**
     * A multicast push with a {@code subtype} as its last key (PROTOCOL-MESH §7.4: {@code "reminder"} for a scheduled
     * reminder), or none when {@code subtype} is null.
     */
    public static byte[] multicastPush(String messageId, String meshId, String senderPubkey, String priority,
                                       byte[] nonce, byte[] ciphertext, long createdAtMs, String clientMessageId,
                                       String requestFingerprint, String senderMemberPubkey, String senderMemberId,
                                       String senderName, String subtype) {
        JsonOut o = JsonOut.scratch();
        o.beginObject().field("type", "push").field("messageId", messageId).field("meshId", meshId)
                .field("senderPubkey", senderPubkey).field("priority", priority)
                .name("nonce").asciiStringValue(nonce).name("ciphertext").asciiStringValue(ciphertext)
                .field("createdAt", AuditChain.isoMillis(createdAtMs));
        if (clientMessageId != null) {
            o.field("client_message_id", clientMessageId);
        }
        if (requestFingerprint != null) {
            o.field("request_fingerprint", requestFingerprint);
        }
        o.field("senderMemberPubkey", senderMemberPubkey).field("senderMemberId", senderMemberId)
                .field("senderName", senderName);
        if (subtype != null) {
            o.field("subtype", subtype);
        }
        return o.endObject().toBytes();
    }

    /** Writes the {@code eventData} value of a system event. */
    @FunctionalInterface
    public interface EventData {
        void writeTo(JsonOut o);
    }

    /**
     * Starts a reply frame {@code {"type":<type>,…}}; finish it with {@link #endReply}, which appends the request's
     * {@code _reqId} when it had one.
     */
    public static JsonOut beginReply(String type) {
        return new JsonOut(128).beginObject().field("type", type);
    }

    /** Appends {@code _reqId} (when {@code req} had one), closes the reply object and returns its bytes. */
    public static byte[] endReply(JsonOut o, Inbound req) {
        reqId(o, req);
        return o.endObject().toBytes();
    }

    /** A system event push ({@code peer_joined}, {@code peer_left}, …) of PROTOCOL §5. */
    public static byte[] systemEvent(String messageId, String meshId, String event, EventData eventData,
                                     long createdAtMs) {
        JsonOut o = new JsonOut(256);
        o.beginObject().field("type", "push").field("subtype", "system").field("event", event).name("eventData");
        eventData.writeTo(o);
        o.field("messageId", messageId).field("meshId", meshId).field("senderPubkey", "system")
                .field("priority", "low").field("nonce", "").field("ciphertext", "")
                .field("createdAt", AuditChain.isoMillis(createdAtMs));
        return o.endObject().toBytes();
    }
}
