package dev.claudemesh.broker.core.envelope;

import dev.claudemesh.broker.core.model.GroupRole;

import java.util.Arrays;
import java.util.List;

/**
 * One decoded client frame. A single flat class for every message type: only the fields of {@link #type}
 * are set, the rest stay null. Fields with a wrong JSON type are left null (and {@link #wrongTypeField}
 * names the first such field), so each handler can answer with the protocol's error for a missing value.
 * {@code nonce} and {@code ciphertext} are kept as ASCII bytes, never as Strings: a range of an array, which for a
 * lent Inbound is the frame being read itself (valid only during the call; {@link #copy()} copies the ranges out).
 *
 * <p>Created by {@link EnvelopeDecoder} on the socket's thread, then handed (read-only) to the mesh's thread. A
 * socket's {@link EnvelopeReader} reuses one Inbound for its frames: it lends it only to a handler that runs on the
 * socket's thread and keeps nothing of it past the call, and hands everyone else a {@link #copy()}.</p>
 */
public final class Inbound {

    /**
     * The message types whose fields this class models (PROTOCOL core). Frames of other types carry their bytes
     * ({@link #body()}) for the mesh service that handles them.
     */
    public enum Type {
        HELLO, SESSION_HELLO, SEND, CLIENT_ACK, LIST_PEERS, SET_STATUS, SET_SUMMARY, JOIN_GROUP, LEAVE_GROUP,
        /** Any other {@code type} (or none): a mesh service's, or answered with {@code unknown_message_type}. */
        UNKNOWN,
        /** Not a JSON object, or not parseable: answered with {@code bad_request}. */
        MALFORMED;

        /** The core type named {@code type} on the wire, else {@link #UNKNOWN}. */
        public static Type forName(String type) {
            if (type == null) {
                return UNKNOWN;
            }
            return switch (type) {
                case "hello" -> HELLO;
                case "session_hello" -> SESSION_HELLO;
                case "send" -> SEND;
                case "client_ack" -> CLIENT_ACK;
                case "list_peers" -> LIST_PEERS;
                case "set_status" -> SET_STATUS;
                case "set_summary" -> SET_SUMMARY;
                case "join_group" -> JOIN_GROUP;
                case "leave_group" -> LEAVE_GROUP;
                default -> UNKNOWN;
            };
        }
    }

    public Type type;
    /** The raw {@code type} string (for UNKNOWN), or null. */
    public String rawType;
    /** For MALFORMED: why. */
    public String error;
    /** Name of the first field whose JSON type was wrong, or null. */
    public String wrongTypeField;
    /** {@code _reqId}, echoed in replies (String or number kept as its text), or null. */
    public String reqId;
    /** True when {@code _reqId} was a JSON number (echoed as a number). */
    public boolean reqIdNumeric;

    // hello / session_hello
    public String meshId;
    public String memberId;
    public String pubkey;
    public String sessionPubkey;
    public String parentMemberId;
    public String parentMemberPubkey;
    public String displayName;
    public String sessionId;
    public Long pid;
    public String cwd;
    public String hostname;
    public String peerType;
    public String channel;
    public String model;
    public String role;
    public List<GroupRole> groups;
    /** Timestamp; null when missing or not an integer. */
    public Long timestamp;
    public String signature;
    /** True when a {@code parentAttestation} object was present. */
    public boolean hasAttestation;
    public String attSessionPubkey;
    public String attParentMemberPubkey;
    /** Attestation {@code expiresAt}; null when missing or not an integer. */
    public Long attExpiresAt;
    public String attSignature;

    // send
    public String id;
    /** True when {@code id} was present as a string or number. */
    public boolean hasId;
    /** True when {@code id} was a JSON number that fits a long (echoed as a number). */
    public boolean idNumeric;
    public String clientMessageId;
    public String requestFingerprint;
    public String targetSpec;
    public String priority;
    /** The nonce text is {@code nonceSrc[nonceOff, nonceOff + nonceLen)}; {@code nonceSrc} null: no nonce. */
    public byte[] nonceSrc;
    public int nonceOff;
    public int nonceLen;
    /** The ciphertext text is {@code ciphertextSrc[ciphertextOff, ciphertextOff + ciphertextLen)}; null: none. */
    public byte[] ciphertextSrc;
    public int ciphertextOff;
    public int ciphertextLen;
    /** Set when nonce/ciphertext were present but not standard base64 text: names the field. */
    public String badBase64Field;

    // client_ack
    public String brokerMessageId;

    // set_status / set_summary / join_group / leave_group
    public String status;
    public String summary;
    /** True when the {@code summary} field was present (null allowed as "clear"). */
    public boolean hasSummary;
    public String name;

    /**
     * For {@link Type#UNKNOWN} frames with a {@code type}, and {@code send}s to a {@code #topic}: a copy of the frame's
     * bytes (else null).
     */
    byte[] frame;
    /** The parsed {@link #frame}, once asked for. */
    private JsonNode.ObjectNode body;

    /**
     * The whole frame as a JSON tree, for the mesh service that handles a type this class does not model (its own
     * fields: any JSON value), or a {@code send} to a {@code #topic}. Parsed on first use; an empty object for other
     * core frames, whose fields are the ones above.
     * Call it on one thread at a time (the mesh loop).
     */
    public JsonNode.ObjectNode body() {
        if (body == null) {
            body = frame == null ? JsonNode.ObjectNode.EMPTY : JsonTree.parseObject(frame, 0, frame.length);
        }
        return body;
    }

    /** Sets the nonce text to the range {@code [off, off + len)} of {@code src} (null: none). */
    public void nonce(byte[] src, int off, int len) {
        nonceSrc = src;
        nonceOff = off;
        nonceLen = len;
    }

    /** Sets the nonce text to all of {@code text} (null: none). */
    public void nonce(byte[] text) {
        nonce(text, 0, text == null ? 0 : text.length);
    }

    /** Sets the ciphertext text to the range {@code [off, off + len)} of {@code src} (null: none). */
    public void ciphertext(byte[] src, int off, int len) {
        ciphertextSrc = src;
        ciphertextOff = off;
        ciphertextLen = len;
    }

    /** Sets the ciphertext text to all of {@code text} (null: none). */
    public void ciphertext(byte[] text) {
        ciphertext(text, 0, text == null ? 0 : text.length);
    }

    /** Copies nonce and ciphertext out of {@code frame} if they are ranges of it (so that this may outlive it). */
    void detachFrom(byte[] frame) {
        if (nonceSrc == frame && frame != null) {
            nonce(nonceBytes());
        }
        if (ciphertextSrc == frame && frame != null) {
            ciphertext(ciphertextBytes());
        }
    }

    /** The nonce text as a new array, or null (cold paths and tests). */
    public byte[] nonceBytes() {
        return nonceSrc == null ? null : Arrays.copyOfRange(nonceSrc, nonceOff, nonceOff + nonceLen);
    }

    /** The ciphertext text as a new array, or null (cold paths and tests). */
    public byte[] ciphertextBytes() {
        return ciphertextSrc == null ? null
                : Arrays.copyOfRange(ciphertextSrc, ciphertextOff, ciphertextOff + ciphertextLen);
    }

    /**
     * A new Inbound with every field of this one (the values themselves are shared: Strings, and arrays and lists
     * that no one writes to after decoding; nonce and ciphertext, which may be ranges of the frame, are copied).
     * Used when a reused Inbound ({@link EnvelopeReader}) is handed to code
     * that may keep it past the call.
     */
    public Inbound copy() {
        Inbound c = new Inbound();
        c.type = type;
        c.rawType = rawType;
        c.error = error;
        c.wrongTypeField = wrongTypeField;
        c.reqId = reqId;
        c.reqIdNumeric = reqIdNumeric;
        c.meshId = meshId;
        c.memberId = memberId;
        c.pubkey = pubkey;
        c.sessionPubkey = sessionPubkey;
        c.parentMemberId = parentMemberId;
        c.parentMemberPubkey = parentMemberPubkey;
        c.displayName = displayName;
        c.sessionId = sessionId;
        c.pid = pid;
        c.cwd = cwd;
        c.hostname = hostname;
        c.peerType = peerType;
        c.channel = channel;
        c.model = model;
        c.role = role;
        c.groups = groups;
        c.timestamp = timestamp;
        c.signature = signature;
        c.hasAttestation = hasAttestation;
        c.attSessionPubkey = attSessionPubkey;
        c.attParentMemberPubkey = attParentMemberPubkey;
        c.attExpiresAt = attExpiresAt;
        c.attSignature = attSignature;
        c.id = id;
        c.hasId = hasId;
        c.idNumeric = idNumeric;
        c.clientMessageId = clientMessageId;
        c.requestFingerprint = requestFingerprint;
        c.targetSpec = targetSpec;
        c.priority = priority;
        if (nonceSrc != null) {
            c.nonce(Arrays.copyOfRange(nonceSrc, nonceOff, nonceOff + nonceLen));
        }
        if (ciphertextSrc != null) {
            c.ciphertext(Arrays.copyOfRange(ciphertextSrc, ciphertextOff, ciphertextOff + ciphertextLen));
        }
        c.badBase64Field = badBase64Field;
        c.brokerMessageId = brokerMessageId;
        c.status = status;
        c.summary = summary;
        c.hasSummary = hasSummary;
        c.name = name;
        c.frame = frame;
        c.body = body;
        return c;
    }

    /** Resets every field to its initial value (null, false), as a new Inbound has them. */
    void clear() {
        type = null;
        rawType = null;
        error = null;
        wrongTypeField = null;
        reqId = null;
        reqIdNumeric = false;
        meshId = null;
        memberId = null;
        pubkey = null;
        sessionPubkey = null;
        parentMemberId = null;
        parentMemberPubkey = null;
        displayName = null;
        sessionId = null;
        pid = null;
        cwd = null;
        hostname = null;
        peerType = null;
        channel = null;
        model = null;
        role = null;
        groups = null;
        timestamp = null;
        signature = null;
        hasAttestation = false;
        attSessionPubkey = null;
        attParentMemberPubkey = null;
        attExpiresAt = null;
        attSignature = null;
        id = null;
        hasId = false;
        idNumeric = false;
        clientMessageId = null;
        requestFingerprint = null;
        targetSpec = null;
        priority = null;
        nonce(null, 0, 0);
        ciphertext(null, 0, 0);
        badBase64Field = null;
        brokerMessageId = null;
        status = null;
        summary = null;
        hasSummary = false;
        name = null;
        frame = null;
        body = null;
    }

    /** A frame answered {@code bad_request} with {@code why}. */
    public static Inbound malformed(String why) {
        Inbound in = new Inbound();
        in.type = Type.MALFORMED;
        in.error = why;
        return in;
    }
}
