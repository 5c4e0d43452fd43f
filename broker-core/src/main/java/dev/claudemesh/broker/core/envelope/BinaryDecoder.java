package dev.claudemesh.broker.core.envelope;

import dev.claudemesh.broker.core.envelope.BinaryReader.Malformed;


/**
 * Decodes one client frame of the binary subprotocol ({@code docs/BINARY-PROTOCOL.md} §2.1) into the same
 * {@link Inbound} the JSON {@link EnvelopeDecoder} produces, so everything behind the edge is the same for both
 * encodings: keys become lowercase hex, nonce and ciphertext become base64 ASCII, codes become the protocol's
 * strings. A frame of type {@code 0x7F} is handed to the JSON decoder. Anything malformed yields
 * {@link Inbound.Type#MALFORMED} (answered {@code bad_request}), never an exception; nothing is allocated beyond the
 * frame's own size. Stateless and thread-safe.
 *
 * <p>A socket's {@link EnvelopeReader} decodes into its reused Inbound ({@link EnvelopeReader#readBinary}): then a
 * {@code send}'s nonce and ciphertext are base64-encoded into this thread's work array (valid until the thread decodes
 * its next frame, so {@link Inbound#copy()} or a payload copies them out, as they do the JSON frame's ranges), and its
 * target key's hex text is the reader's from the frame before when the key is the same.</p>
 */
public final class BinaryDecoder {

    private static final int HELLO_FLAGS = 0x03FF;
    private static final int SESSION_HELLO_FLAGS = 0x07FE;

    /** The JSON {@code type} string of each core type, by ordinal. */
    private static final String[] RAW_TYPES = new String[Inbound.Type.values().length];

    static {
        for (Inbound.Type t : Inbound.Type.values()) {
            RAW_TYPES[t.ordinal()] = t.name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** This thread's work array for a send's base64 nonce and ciphertext (decoding into a reader's Inbound). */
    private static final ThreadLocal<byte[]> PAYLOAD_TEXT = ThreadLocal.withInitial(() -> new byte[1024]);
    /** A work array grown past this (a DM near MAX_MESSAGE_BYTES) is not kept. */
    private static final int KEEP_TEXT_AT_MOST = 64 * 1024;

    private BinaryDecoder() {
    }

    public static Inbound decode(byte[] data) {
        return decode(data, 0, data.length);
    }

    /** Decodes {@code len} bytes of {@code data} from {@code off} into a new Inbound (owning all it holds). */
    public static Inbound decode(byte[] data, int off, int len) {
        return decode(data, off, len, new Inbound(), null);
    }

    /**
     * Decodes into {@code in}, which is cleared first; returns it, or another Inbound (a malformed frame, a
     * {@code 0x7F} JSON frame) that owns all it holds.
     *
     * @param reader the socket's reader (then nonce and ciphertext go to the thread's work array, and the reader's last
     *               target key is reused), or null
     */
    static Inbound decode(byte[] data, int off, int len, Inbound in, EnvelopeReader reader) {
        in.clear();
        BinaryReader r = new BinaryReader(data, off, len);
        String reqId = null;
        try {
            int version = r.u8("header");
            if (version != BinaryWire.VERSION) {
                return Inbound.malformed("binary: unsupported version " + version);
            }
            int type = r.u8("header");
            int flags = r.u16("header");
            if ((flags & BinaryWire.F_REQ_ID) != 0) {
                reqId = r.str("reqId");
            }
            if (type == BinaryWire.JSON) {
                if (flags != 0) {
                    return Inbound.malformed("binary: a JSON frame has no flags");
                }
                return EnvelopeDecoder.decode(data, r.position(), r.remaining());
            }
            in.reqId = reqId;
            int f = flags & ~BinaryWire.F_REQ_ID;
            switch (type) {
                case BinaryWire.HELLO -> hello(r, f, in);
                case BinaryWire.SESSION_HELLO -> sessionHello(r, f, in);
                case BinaryWire.SEND -> send(r, f, in, reader);
                case BinaryWire.CLIENT_ACK -> {
                    allowed(f, 0x3);
                    in.type = Inbound.Type.CLIENT_ACK;
                    in.clientMessageId = (f & 1) != 0 ? r.str("clientMessageId") : null;
                    in.brokerMessageId = (f & 2) != 0 ? r.str("brokerMessageId") : null;
                }
                case BinaryWire.LIST_PEERS -> {
                    allowed(f, 0);
                    in.type = Inbound.Type.LIST_PEERS;
                }
                case BinaryWire.SET_STATUS -> {
                    allowed(f, 0);
                    in.type = Inbound.Type.SET_STATUS;
                    in.status = name(BinaryWire.STATUSES, r.u8("status"));
                }
                case BinaryWire.SET_SUMMARY -> {
                    allowed(f, 1);
                    in.type = Inbound.Type.SET_SUMMARY;
                    in.hasSummary = true;
                    in.summary = (f & 1) != 0 ? r.str("summary") : null;
                }
                case BinaryWire.JOIN_GROUP -> {
                    allowed(f, 1);
                    in.type = Inbound.Type.JOIN_GROUP;
                    in.name = r.str("name");
                    in.role = (f & 1) != 0 ? r.str("role") : null;
                }
                case BinaryWire.LEAVE_GROUP -> {
                    allowed(f, 0);
                    in.type = Inbound.Type.LEAVE_GROUP;
                    in.name = r.str("name");
                }
                default -> {
                    return malformed("binary: unknown type 0x" + Integer.toHexString(type), reqId);
                }
            }
            r.expectEnd();
            in.rawType = RAW_TYPES[in.type.ordinal()];
            return in;
        } catch (Malformed e) {
            return malformed(e.getMessage(), reqId);
        }
    }

    /** The target key as hex: the reader's String from the frame before when the raw key is the same. */
    private static String targetKey(BinaryReader r, EnvelopeReader reader) {
        if (reader == null) {
            return r.key("target");
        }
        if (reader.lastTargetSpec != null && r.nextKeyEquals(reader.lastTargetKey)) {
            r.skip(BinaryWire.KEY_BYTES);
            return reader.lastTargetSpec;
        }
        String hex = r.key("target"); // throws on a truncated key, before the reader's pair changes
        if (reader.lastTargetKey == null) {
            reader.lastTargetKey = new byte[BinaryWire.KEY_BYTES];
        }
        r.lastKeyInto(reader.lastTargetKey);
        reader.lastTargetSpec = hex;
        return hex;
    }

    /** Nonce and ciphertext as base64 text in this thread's work array (one array for both, reused). */
    private static void payloadIntoWorkArray(BinaryReader r, Inbound in) {
        int nonceLen = r.len("nonce");
        int nonceAt = r.position();
        r.skip(nonceLen);
        int ciphertextLen = r.len("ciphertext");
        int ciphertextAt = r.position();
        r.skip(ciphertextLen);
        int nonceText = BinaryWire.base64EncodedLength(nonceLen);
        int ciphertextText = BinaryWire.base64EncodedLength(ciphertextLen);
        byte[] text = PAYLOAD_TEXT.get();
        if (text.length < nonceText + ciphertextText) {
            text = new byte[nonceText + ciphertextText];
            if (text.length <= KEEP_TEXT_AT_MOST) {
                PAYLOAD_TEXT.set(text);
            }
        }
        byte[] frame = r.array();
        BinaryWire.base64Encode(frame, nonceAt, nonceLen, text, 0);
        BinaryWire.base64Encode(frame, ciphertextAt, ciphertextLen, text, nonceText);
        in.nonce(text, 0, nonceText);
        in.ciphertext(text, nonceText, ciphertextText);
    }

    /** A binary send to a topic as the JSON frame it stands for, for {@link Inbound#body()}. */
    private static byte[] sendAsJson(Inbound in) {
        JsonOut o = new JsonOut(128 + in.nonceLen + in.ciphertextLen).beginObject().field("type", "send");
        if (in.hasId) {
            o.field("id", in.id);
        }
        if (in.clientMessageId != null) {
            o.field("client_message_id", in.clientMessageId);
        }
        if (in.requestFingerprint != null) {
            o.field("request_fingerprint", in.requestFingerprint);
        }
        o.field("targetSpec", in.targetSpec);
        if (in.priority != null) {
            o.field("priority", in.priority);
        }
        o.name("nonce").asciiStringValue(in.nonceSrc, in.nonceOff, in.nonceLen)
                .name("ciphertext").asciiStringValue(in.ciphertextSrc, in.ciphertextOff, in.ciphertextLen);
        return o.endObject().toBytes();
    }

    private static Inbound malformed(String why, String reqId) {
        Inbound in = Inbound.malformed(why);
        in.reqId = reqId;
        return in;
    }

    private static void allowed(int flags, int mask) {
        if ((flags & ~mask) != 0) {
            throw new Malformed("binary: undefined flag bits 0x" + Integer.toHexString(flags & ~mask));
        }
    }

    /**
     * The protocol's name for wire code {@code code}; a code it does not define keeps its number as text, so the
     * handler answers as it does a JSON peer's unknown value.
     */
    private static String name(String[] names, int code) {
        return code > 0 && code < names.length ? names[code] : Integer.toString(code);
    }

    private static void hello(BinaryReader r, int f, Inbound in) {
        allowed(f, HELLO_FLAGS);
        in.type = Inbound.Type.HELLO;
        in.meshId = r.str("meshId");
        in.memberId = r.str("memberId");
        in.pubkey = r.key("pubkey");
        if ((f & 1) != 0) {
            in.sessionPubkey = r.key("sessionPubkey");
        }
        optionalSessionFields(r, f, in);
        in.timestamp = r.i64("timestamp");
        in.signature = r.sig("signature");
    }

    private static void sessionHello(BinaryReader r, int f, Inbound in) {
        allowed(f, SESSION_HELLO_FLAGS);
        in.type = Inbound.Type.SESSION_HELLO;
        in.meshId = r.str("meshId");
        in.parentMemberId = r.str("parentMemberId");
        in.parentMemberPubkey = r.key("parentMemberPubkey");
        in.sessionPubkey = r.key("sessionPubkey");
        in.hasAttestation = true;
        in.attSessionPubkey = in.sessionPubkey;
        in.attParentMemberPubkey = in.parentMemberPubkey;
        in.attExpiresAt = r.i64("parentAttestation.expiresAt");
        in.attSignature = r.sig("parentAttestation.signature");
        optionalSessionFields(r, f, in);
        if ((f & 0x400) != 0) {
            in.role = r.str("role");
        }
        in.timestamp = r.i64("timestamp");
        in.signature = r.sig("signature");
    }

    /** Bits 1–9, shared by both hellos. */
    private static void optionalSessionFields(BinaryReader r, int f, Inbound in) {
        in.displayName = (f & 0x002) != 0 ? r.str("displayName") : null;
        in.sessionId = (f & 0x004) != 0 ? r.str("sessionId") : null;
        in.pid = (f & 0x008) != 0 ? r.i64("pid") : null;
        in.cwd = (f & 0x010) != 0 ? r.str("cwd") : null;
        in.hostname = (f & 0x020) != 0 ? r.str("hostname") : null;
        in.peerType = (f & 0x040) != 0 ? r.str("peerType") : null;
        in.channel = (f & 0x080) != 0 ? r.str("channel") : null;
        in.model = (f & 0x100) != 0 ? r.str("model") : null;
        in.groups = (f & 0x200) != 0 ? r.groups("groups") : null;
    }

    private static void send(BinaryReader r, int f, Inbound in, EnvelopeReader reader) {
        allowed(f, 0x7);
        in.type = Inbound.Type.SEND;
        if ((f & 1) != 0) {
            in.id = r.str("id");
            in.hasId = true;
        }
        if ((f & 2) != 0) {
            in.clientMessageId = r.strOr(in.id, "client_message_id"); // the id's String when equal
        }
        in.requestFingerprint = (f & 4) != 0 ? r.str("request_fingerprint") : null;
        int kind = r.u8("target");
        if (kind == BinaryWire.TARGET_KEY) {
            in.targetSpec = targetKey(r, reader);
        } else if (kind == BinaryWire.TARGET_TEXT) {
            in.targetSpec = r.str("target");
        } else {
            throw new Malformed("binary: unknown target kind " + kind);
        }
        int priority = r.u8("priority");
        in.priority = priority == 0 ? null : name(BinaryWire.PRIORITIES, priority);
        if (reader == null) {
            in.nonce(r.bytesAsBase64("nonce"));
            in.ciphertext(r.bytesAsBase64("ciphertext"));
        } else {
            payloadIntoWorkArray(r, in);
        }
        if (in.targetSpec.startsWith("#")) {
            // the topic service reads the send from its JSON body (Inbound.body()); Part II fields need 0x7F
            in.frame = sendAsJson(in);
        }
    }
}
