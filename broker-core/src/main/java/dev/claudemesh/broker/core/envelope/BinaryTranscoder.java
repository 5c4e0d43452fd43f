package dev.claudemesh.broker.core.envelope;

import dev.claudemesh.broker.core.audit.AuditChain;
import dev.claudemesh.broker.core.envelope.JsonNode.ArrayNode;
import dev.claudemesh.broker.core.envelope.JsonNode.ObjectNode;
import dev.claudemesh.broker.core.envelope.JsonNode.StringNode;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Turns a broker frame written as JSON into its binary form ({@code docs/BINARY-PROTOCOL.md} §2.2) at the edge of a
 * binary connection: {@code hello_ack}, {@code peers_list}, {@code error}, system events, and acks and pushes that
 * were not written by {@link BinaryFrames} directly. A frame of another type, or one whose values the binary form
 * cannot carry exactly, becomes a {@code 0x7F} JSON frame. The cold path: it parses the JSON into a tree. Never
 * throws; stateless and thread-safe.
 */
public final class BinaryTranscoder {

    /** This frame has no exact binary form: send it as {@code 0x7F}. */
    private static final class NotRepresentable extends RuntimeException {
        NotRepresentable() {
            super(null, null, false, false);
        }
    }

    private static final NotRepresentable NOT_REPRESENTABLE = new NotRepresentable();
    private static final Set<String> ACK_KEYS = Set.of("type", "id", "client_message_id", "messageId", "queued",
            "error");
    private static final Set<String> PUSH_KEYS = Set.of("type", "messageId", "meshId", "senderPubkey", "priority",
            "nonce", "ciphertext", "createdAt", "client_message_id", "request_fingerprint", "senderName",
            "senderMemberPubkey", "senderMemberId", "subtype");
    private static final Set<String> SYSTEM_KEYS = Set.of("type", "subtype", "event", "eventData", "messageId",
            "meshId", "senderPubkey", "priority", "nonce", "ciphertext", "createdAt");
    private static final Set<String> PROFILE_KEYS = Set.of("roleTag", "groups", "messageMode");
    static final String[] PEER_FIELDS = {"displayName", "status", "summary", "groups", "sessionId", "cwd",
            "hostname", "peerType", "channel", "model"};

    private BinaryTranscoder() {
    }

    /** The binary form of the broker's JSON frame {@code utf8Json}. */
    public static byte[] toBinary(byte[] utf8Json) {
        try {
            ObjectNode o = JsonTree.parseObject(utf8Json, 0, utf8Json.length);
            String type = o.string("type");
            if (type != null) {
                byte[] out = switch (type) {
                    case "ack" -> ack(o);
                    case "push" -> "system".equals(o.string("subtype")) ? system(o) : push(o);
                    case "error" -> error(o);
                    case "hello_ack" -> helloAck(o);
                    case "peers_list" -> peersList(o);
                    default -> null;
                };
                if (out != null) {
                    return out;
                }
            }
        } catch (RuntimeException e) {
            // not representable (or not JSON at all): sent as it is, in the 0x7F wrapper
        }
        return BinaryFrames.json(utf8Json);
    }

    private static void onlyKeys(ObjectNode o, Set<String> keys) {
        for (String k : o.fields().keySet()) {
            if (!keys.contains(k)) {
                throw NOT_REPRESENTABLE;
            }
        }
    }

    /** A string value, null when absent or JSON null; anything else is not representable. */
    private static String str(ObjectNode o, String key) {
        JsonNode v = o.get(key);
        if (v == null || v instanceof JsonNode.NullNode) {
            return null;
        }
        if (v instanceof StringNode s) {
            return s.value();
        }
        throw NOT_REPRESENTABLE;
    }

    private static String required(ObjectNode o, String key) {
        String s = str(o, key);
        if (s == null) {
            throw NOT_REPRESENTABLE;
        }
        return s;
    }

    /** A string or number (its text): {@code id}, {@code _reqId}. */
    private static String text(ObjectNode o, String key) {
        JsonNode v = o.get(key);
        if (v instanceof JsonNode.NumberNode n) {
            return n.text();
        }
        return str(o, key);
    }

    private static String key(ObjectNode o, String key) {
        String s = required(o, key);
        if (!BinaryWire.isHex(s, BinaryWire.KEY_BYTES)) {
            throw NOT_REPRESENTABLE;
        }
        return s;
    }

    private static long time(ObjectNode o, String key) {
        String s = required(o, key);
        long ms = Instant.parse(s).toEpochMilli();
        if (!AuditChain.isoMillis(ms).equals(s)) {
            throw NOT_REPRESENTABLE; // only the broker's own form converts back exactly
        }
        return ms;
    }

    private static byte[] ack(ObjectNode o) {
        onlyKeys(o, ACK_KEYS);
        Inbound send = new Inbound();
        send.id = text(o, "id");
        send.hasId = send.id != null;
        send.clientMessageId = str(o, "client_message_id");
        JsonNode queued = o.get("queued");
        String messageId = required(o, "messageId");
        if (queued == JsonNode.BooleanNode.TRUE && !o.has("error")) {
            return BinaryFrames.ackQueued(send, messageId);
        }
        if (queued == JsonNode.BooleanNode.FALSE && messageId.isEmpty()) {
            return BinaryFrames.ackFailed(send, required(o, "error"));
        }
        throw NOT_REPRESENTABLE;
    }

    private static byte[] push(ObjectNode o) {
        onlyKeys(o, PUSH_KEYS);
        byte[] nonce = ascii(required(o, "nonce"));
        byte[] ciphertext = ascii(required(o, "ciphertext"));
        BinaryWriter out = BinaryFrames.push(null, required(o, "messageId"), required(o, "meshId"),
                required(o, "senderPubkey"),
                required(o, "priority"), nonce, 0, nonce.length, ciphertext, 0, ciphertext.length,
                time(o, "createdAt"), str(o, "client_message_id"), str(o, "request_fingerprint"),
                str(o, "senderMemberPubkey"), str(o, "senderMemberId"), str(o, "senderName"), str(o, "subtype"));
        if (out == null) {
            throw NOT_REPRESENTABLE;
        }
        return out.toBytes();
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1); // a non-ASCII char then fails the base64 check
    }

    private static byte[] system(ObjectNode o) {
        onlyKeys(o, SYSTEM_KEYS);
        if (!"system".equals(str(o, "senderPubkey")) || !"low".equals(str(o, "priority"))
                || !"".equals(str(o, "nonce")) || !"".equals(str(o, "ciphertext")) || !o.has("eventData")) {
            throw NOT_REPRESENTABLE;
        }
        JsonOut data = new JsonOut(64).value(o.get("eventData"));
        return new BinaryWriter(BinaryWire.SYSTEM, 128 + data.size()).str(required(o, "messageId"))
                .str(required(o, "meshId")).i64(time(o, "createdAt")).str(required(o, "event"))
                .str(data.toString()).flags(0).toBytes();
    }

    private static byte[] error(ObjectNode o) {
        String reqId = text(o, "_reqId");
        BinaryWriter w = new BinaryWriter(BinaryWire.ERROR, 96);
        if (reqId != null) {
            w.str(reqId);
        }
        w.str(required(o, "code")).str(required(o, "message"));
        int flags = extra(w, o, Set.of("type", "code", "message", "_reqId"), BinaryWire.F_EXTRA);
        return w.flags(flags | (reqId != null ? BinaryWire.F_REQ_ID : 0)).toBytes();
    }

    private static byte[] helloAck(ObjectNode o) {
        BinaryWriter w = new BinaryWriter(BinaryWire.HELLO_ACK, 128);
        w.str(required(o, "presenceId")).str(required(o, "memberDisplayName"));
        int flags = 0;
        JsonNode profile = o.get("memberProfile");
        if (profile instanceof ObjectNode p) {
            onlyKeys(p, PROFILE_KEYS);
            flags |= 1;
            String roleTag = str(p, "roleTag");
            if (roleTag != null) {
                flags |= 2;
                w.str(roleTag);
            }
            groups(w, p.get("groups"));
            w.str(required(p, "messageMode"));
        } else if (profile != null) {
            throw NOT_REPRESENTABLE;
        }
        flags |= extra(w, o, Set.of("type", "presenceId", "memberDisplayName", "memberProfile"), BinaryWire.F_EXTRA);
        return w.flags(flags).toBytes();
    }

    private static void groups(BinaryWriter w, JsonNode groups) {
        if (!(groups instanceof ArrayNode a) || a.items().size() > BinaryWire.MAX_GROUPS) {
            throw NOT_REPRESENTABLE;
        }
        w.len(a.items().size());
        for (JsonNode g : a.items()) {
            if (!(g instanceof ObjectNode go)) {
                throw NOT_REPRESENTABLE;
            }
            onlyKeys(go, Set.of("name", "role"));
            String name = required(go, "name");
            String role = str(go, "role");
            if (name.isEmpty() || "".equals(role)) {
                throw NOT_REPRESENTABLE; // an empty name or role means "none" in binary
            }
            w.str(name).str(role == null ? "" : role);
        }
    }

    private static byte[] peersList(ObjectNode o) {
        onlyKeys(o, Set.of("type", "_reqId", "peers"));
        String reqId = text(o, "_reqId");
        if (!(o.get("peers") instanceof ArrayNode peers)) {
            throw NOT_REPRESENTABLE;
        }
        BinaryWriter w = new BinaryWriter(BinaryWire.PEERS_LIST, 64 + 160 * peers.items().size());
        if (reqId != null) {
            w.str(reqId);
        }
        w.len(peers.items().size());
        for (JsonNode node : peers.items()) {
            if (!(node instanceof ObjectNode p)) {
                throw NOT_REPRESENTABLE;
            }
            peer(w, p);
        }
        return w.flags(reqId != null ? BinaryWire.F_REQ_ID : 0).toBytes();
    }

    private static void peer(BinaryWriter w, ObjectNode p) {
        String role = required(p, "peerRole");
        int roleCode = BinaryWire.code(BinaryWire.PEER_ROLES, role);
        if (roleCode < 0) {
            throw NOT_REPRESENTABLE;
        }
        BinaryWriter fields = new BinaryWriter(0, 128);
        int flags = 0;
        for (int i = 0; i < PEER_FIELDS.length; i++) {
            String name = PEER_FIELDS[i];
            if ("groups".equals(name)) {
                if (p.get(name) != null && !(p.get(name) instanceof JsonNode.NullNode)) {
                    flags |= 1 << i;
                    groups(fields, p.get(name));
                }
            } else {
                String v = str(p, name);
                if (v != null) {
                    flags |= 1 << i;
                    fields.str(v);
                }
            }
        }
        Set<String> modelled = new java.util.HashSet<>(Set.of(PEER_FIELDS));
        modelled.addAll(Set.of("pubkey", "memberPubkey", "connectedAt", "peerRole"));
        flags |= extra(fields, p, modelled, BinaryWire.F_EXTRA);
        byte[] rest = fields.toBytes();
        w.u8(flags >>> 8).u8(flags).hex(key(p, "pubkey")).hex(key(p, "memberPubkey")).i64(time(p, "connectedAt"))
                .u8(roleCode).rawBody(rest, BinaryWire.HEADER_BYTES);
    }

    /** Writes the keys of {@code o} outside {@code modelled} as an {@code extra} JSON object; its flag, or 0. */
    private static int extra(BinaryWriter w, ObjectNode o, Set<String> modelled, int flag) {
        Map<String, JsonNode> rest = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : o.fields().entrySet()) {
            if (!modelled.contains(e.getKey())) {
                rest.put(e.getKey(), e.getValue());
            }
        }
        if (rest.isEmpty()) {
            return 0;
        }
        w.str(new JsonOut(64).value(new ObjectNode(rest)).toString());
        return flag;
    }
}
