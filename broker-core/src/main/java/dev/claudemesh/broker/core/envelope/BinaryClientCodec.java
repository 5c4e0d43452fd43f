package dev.claudemesh.broker.core.envelope;

import dev.claudemesh.broker.core.audit.AuditChain;
import dev.claudemesh.broker.core.envelope.BinaryReader.Malformed;
import dev.claudemesh.broker.core.envelope.JsonNode.ArrayNode;
import dev.claudemesh.broker.core.envelope.JsonNode.ObjectNode;
import dev.claudemesh.broker.core.envelope.JsonNode.StringNode;
import dev.claudemesh.broker.core.model.GroupRole;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The client's side of the binary subprotocol, for tests, the load generator and as a reference for client authors:
 * {@link #encode} turns a client frame written as JSON into its binary form ({@code 0x7F} when it has none), and
 * {@link #decode} turns a broker frame back into the JSON tree the JSON protocol would have sent (fields that are
 * null in JSON are absent; {@code id} and {@code _reqId} come back as strings). Stateless and thread-safe.
 */
public final class BinaryClientCodec {

    private BinaryClientCodec() {
    }

    /** The binary form of client frame {@code json}. */
    public static byte[] encode(String json) {
        return encode(json.getBytes(StandardCharsets.UTF_8));
    }

    /** The binary form of client frame {@code utf8} (UTF-8 JSON). */
    public static byte[] encode(byte[] utf8) {
        Inbound in = EnvelopeDecoder.decode(utf8);
        if (in.type == Inbound.Type.MALFORMED || in.type == Inbound.Type.UNKNOWN || in.wrongTypeField != null
                || in.badBase64Field != null || (in.reqId != null && in.reqIdNumeric)
                || (in.hasId && in.idNumeric)) {
            return BinaryFrames.json(utf8);
        }
        try {
            return encode(in);
        } catch (IllegalArgumentException e) {
            return BinaryFrames.json(utf8);
        }
    }

    private static byte[] encode(Inbound in) {
        BinaryWriter w = new BinaryWriter(typeCode(in.type), 256);
        int flags = 0;
        if (in.reqId != null) {
            flags |= BinaryWire.F_REQ_ID;
            w.str(in.reqId);
        }
        switch (in.type) {
            case HELLO, SESSION_HELLO -> flags |= hello(w, in);
            case SEND -> {
                if (in.hasId) {
                    flags |= 1;
                    w.str(in.id);
                }
                if (in.clientMessageId != null) {
                    flags |= 2;
                    w.str(in.clientMessageId);
                }
                if (in.requestFingerprint != null) {
                    flags |= 4;
                    w.str(in.requestFingerprint);
                }
                String t = need(in.targetSpec);
                if (BinaryWire.isHex(t, BinaryWire.KEY_BYTES) && t.equals(t.toLowerCase(java.util.Locale.ROOT))) {
                    w.u8(BinaryWire.TARGET_KEY).hex(t);
                } else {
                    w.u8(BinaryWire.TARGET_TEXT).str(t);
                }
                w.u8(in.priority == null ? 0 : code(BinaryWire.PRIORITIES, in.priority));
                w.raw(Base64.getDecoder().decode(need(in.nonceBytes())));
                w.raw(Base64.getDecoder().decode(need(in.ciphertextBytes())));
            }
            case CLIENT_ACK -> {
                if (in.clientMessageId != null) {
                    flags |= 1;
                    w.str(in.clientMessageId);
                }
                if (in.brokerMessageId != null) {
                    flags |= 2;
                    w.str(in.brokerMessageId);
                }
            }
            case LIST_PEERS -> {
            }
            case SET_STATUS -> w.u8(code(BinaryWire.STATUSES, in.status));
            case SET_SUMMARY -> {
                if (in.summary != null) {
                    flags |= 1;
                    w.str(in.summary);
                }
            }
            case JOIN_GROUP -> {
                w.str(need(in.name));
                if (in.role != null) {
                    flags |= 1;
                    w.str(in.role);
                }
            }
            case LEAVE_GROUP -> w.str(need(in.name));
            default -> throw new IllegalArgumentException("no binary form");
        }
        return w.flags(flags).toBytes();
    }

    private static int hello(BinaryWriter w, Inbound in) {
        int flags = 0;
        boolean session = in.type == Inbound.Type.SESSION_HELLO;
        w.str(need(in.meshId));
        if (session) {
            if (!in.hasAttestation || !need(in.sessionPubkey).equals(in.attSessionPubkey)
                    || !need(in.parentMemberPubkey).equals(in.attParentMemberPubkey)) {
                throw new IllegalArgumentException("attestation keys differ");
            }
            w.str(need(in.parentMemberId)).hex(key(in.parentMemberPubkey)).hex(key(in.sessionPubkey))
                    .i64(need(in.attExpiresAt)).hex(sig(in.attSignature));
        } else {
            w.str(need(in.memberId)).hex(key(in.pubkey));
            if (in.sessionPubkey != null && !in.sessionPubkey.isEmpty()) {
                flags |= 1;
                w.hex(key(in.sessionPubkey));
            }
        }
        String[] texts = {in.displayName, in.sessionId, null, in.cwd, in.hostname, in.peerType, in.channel, in.model};
        for (int i = 0; i < texts.length; i++) {
            if (i == 2) {
                if (in.pid != null) {
                    flags |= 0x008;
                    w.i64(in.pid);
                }
            } else if (texts[i] != null) {
                flags |= 0x002 << i;
                w.str(texts[i]);
            }
        }
        if (in.groups != null) {
            flags |= 0x200;
            w.groups(in.groups);
        }
        if (session && in.role != null) {
            flags |= 0x400;
            w.str(in.role);
        }
        w.i64(need(in.timestamp)).hex(sig(in.signature));
        return flags;
    }

    private static int typeCode(Inbound.Type t) {
        return switch (t) {
            case HELLO -> BinaryWire.HELLO;
            case SESSION_HELLO -> BinaryWire.SESSION_HELLO;
            case SEND -> BinaryWire.SEND;
            case CLIENT_ACK -> BinaryWire.CLIENT_ACK;
            case LIST_PEERS -> BinaryWire.LIST_PEERS;
            case SET_STATUS -> BinaryWire.SET_STATUS;
            case SET_SUMMARY -> BinaryWire.SET_SUMMARY;
            case JOIN_GROUP -> BinaryWire.JOIN_GROUP;
            case LEAVE_GROUP -> BinaryWire.LEAVE_GROUP;
            default -> throw new IllegalArgumentException("no binary form");
        };
    }

    private static int code(String[] names, String value) {
        int c = BinaryWire.code(names, value);
        if (c < 0) {
            throw new IllegalArgumentException("no code for " + value);
        }
        return c;
    }

    private static <T> T need(T v) {
        if (v == null) {
            throw new IllegalArgumentException("missing field");
        }
        return v;
    }

    private static String key(String hex) {
        if (!BinaryWire.isHex(hex, BinaryWire.KEY_BYTES)) {
            throw new IllegalArgumentException("not a key");
        }
        return hex;
    }

    private static String sig(String hex) {
        if (!BinaryWire.isHex(hex, BinaryWire.SIG_BYTES)) {
            throw new IllegalArgumentException("not a signature");
        }
        return hex;
    }

    /**
     * The JSON tree of broker frame {@code frame}, as the JSON protocol would have sent it.
     *
     * @throws IllegalArgumentException when the frame is not a valid binary broker frame
     */
    public static ObjectNode decode(byte[] frame) {
        BinaryReader r = new BinaryReader(frame, 0, frame.length);
        try {
            if (r.u8("header") != BinaryWire.VERSION) {
                throw new IllegalArgumentException("unsupported version");
            }
            int type = r.u8("header");
            int flags = r.u16("header");
            if (type == BinaryWire.JSON) {
                return JsonTree.parseObject(frame, BinaryWire.HEADER_BYTES, frame.length - BinaryWire.HEADER_BYTES);
            }
            Map<String, JsonNode> o = new LinkedHashMap<>();
            String reqId = (flags & BinaryWire.F_REQ_ID) != 0 ? r.str("reqId") : null;
            switch (type) {
                case BinaryWire.ACK -> {
                    o.put("type", s("ack"));
                    o.put("id", (flags & 1) != 0 ? s(r.str("id")) : JsonNode.NullNode.INSTANCE);
                    putIf(o, "client_message_id", (flags & 2) != 0 ? r.str("cmid") : null);
                    String error = (flags & 4) != 0 ? r.str("error") : null;
                    o.put("messageId", s(r.str("messageId")));
                    o.put("queued", r.u8("queued") == 1 ? JsonNode.BooleanNode.TRUE : JsonNode.BooleanNode.FALSE);
                    putIf(o, "error", error);
                }
                case BinaryWire.PUSH -> push(r, flags, o);
                case BinaryWire.SYSTEM -> {
                    o.put("type", s("push"));
                    o.put("subtype", s("system"));
                    o.put("messageId", s(r.str("messageId")));
                    o.put("meshId", s(r.str("meshId")));
                    o.put("createdAt", s(AuditChain.isoMillis(r.i64("createdAt"))));
                    o.put("event", s(r.str("event")));
                    byte[] data = r.str("eventData").getBytes(StandardCharsets.UTF_8);
                    o.put("eventData", JsonTree.parseValue(data, 0, data.length));
                    o.put("senderPubkey", s("system"));
                    o.put("priority", s("low"));
                    o.put("nonce", s(""));
                    o.put("ciphertext", s(""));
                }
                case BinaryWire.ERROR -> {
                    o.put("type", s("error"));
                    o.put("code", s(r.str("code")));
                    o.put("message", s(r.str("message")));
                    extra(r, flags, o);
                }
                case BinaryWire.HELLO_ACK -> {
                    o.put("type", s("hello_ack"));
                    o.put("presenceId", s(r.str("presenceId")));
                    o.put("memberDisplayName", s(r.str("memberDisplayName")));
                    if ((flags & 1) != 0) {
                        Map<String, JsonNode> p = new LinkedHashMap<>();
                        putIf(p, "roleTag", (flags & 2) != 0 ? r.str("roleTag") : null);
                        p.put("groups", groups(r.groups("groups")));
                        p.put("messageMode", s(r.str("messageMode")));
                        o.put("memberProfile", new ObjectNode(p));
                    }
                    extra(r, flags, o);
                }
                case BinaryWire.PEERS_LIST -> {
                    o.put("type", s("peers_list"));
                    int n = r.len("peers");
                    List<JsonNode> peers = new ArrayList<>();
                    for (int i = 0; i < n; i++) {
                        peers.add(peer(r));
                    }
                    o.put("peers", new ArrayNode(peers));
                }
                default -> throw new IllegalArgumentException("unknown type 0x" + Integer.toHexString(type));
            }
            putIf(o, "_reqId", reqId);
            r.expectEnd();
            return new ObjectNode(o);
        } catch (Malformed e) {
            throw new IllegalArgumentException(e.getMessage());
        }
    }

    private static void push(BinaryReader r, int flags, Map<String, JsonNode> o) {
        o.put("type", s("push"));
        o.put("messageId", s(r.str("messageId")));
        o.put("meshId", s(r.str("meshId")));
        o.put("senderPubkey", s(r.key("senderPubkey")));
        int p = r.u8("priority");
        if (p < 1 || p > 3) {
            throw new IllegalArgumentException("bad priority");
        }
        o.put("priority", s(BinaryWire.PRIORITIES[p]));
        long createdAt = r.i64("createdAt");
        o.put("nonce", s(new String(r.bytesAsBase64("nonce"), StandardCharsets.US_ASCII)));
        o.put("ciphertext", s(new String(r.bytesAsBase64("ciphertext"), StandardCharsets.US_ASCII)));
        o.put("createdAt", s(AuditChain.isoMillis(createdAt)));
        putIf(o, "client_message_id", (flags & 1) != 0 ? r.str("cmid") : null);
        putIf(o, "request_fingerprint", (flags & 2) != 0 ? r.str("fp") : null);
        String senderName = (flags & 4) != 0 ? r.str("senderName") : null;
        if ((flags & 8) != 0) {
            o.put("senderMemberPubkey", s(r.key("senderMemberPubkey")));
            o.put("senderMemberId", s(r.str("senderMemberId")));
        }
        putIf(o, "senderName", senderName);
        putIf(o, "subtype", (flags & 16) != 0 ? r.str("subtype") : null);
    }

    private static JsonNode peer(BinaryReader r) {
        int flags = r.u16("peer");
        Map<String, JsonNode> p = new LinkedHashMap<>();
        p.put("pubkey", s(r.key("pubkey")));
        p.put("memberPubkey", s(r.key("memberPubkey")));
        p.put("connectedAt", s(AuditChain.isoMillis(r.i64("connectedAt"))));
        int role = r.u8("peerRole");
        if (role < 1 || role > 2) {
            throw new IllegalArgumentException("bad peerRole");
        }
        p.put("peerRole", s(BinaryWire.PEER_ROLES[role]));
        String[] names = BinaryTranscoder.PEER_FIELDS;
        for (int i = 0; i < names.length; i++) {
            if ((flags & (1 << i)) != 0) {
                p.put(names[i], "groups".equals(names[i]) ? groups(r.groups("groups")) : s(r.str(names[i])));
            }
        }
        extra(r, flags, p);
        return new ObjectNode(p);
    }

    private static void extra(BinaryReader r, int flags, Map<String, JsonNode> o) {
        if ((flags & BinaryWire.F_EXTRA) != 0) {
            byte[] extra = r.str("extra").getBytes(StandardCharsets.UTF_8);
            o.putAll(JsonTree.parseObject(extra, 0, extra.length).fields());
        }
    }

    private static JsonNode groups(List<GroupRole> groups) {
        List<JsonNode> items = new ArrayList<>();
        for (GroupRole g : groups) {
            Map<String, JsonNode> m = new LinkedHashMap<>();
            m.put("name", s(g.name()));
            putIf(m, "role", g.role());
            items.add(new ObjectNode(m));
        }
        return new ArrayNode(items);
    }

    private static StringNode s(String v) {
        return new StringNode(v);
    }

    private static void putIf(Map<String, JsonNode> m, String k, String v) {
        if (v != null) {
            m.put(k, new StringNode(v));
        }
    }
}
