package dev.claudemesh.broker.core.envelope;

import dev.claudemesh.broker.core.model.GroupRole;

import java.util.List;

/**
 * One decoded client frame. A single flat class for every message type: only the fields of {@link #type}
 * are set, the rest stay null. Fields with a wrong JSON type are left null (and {@link #wrongTypeField}
 * names the first such field), so each handler can answer with the protocol's error for a missing value.
 * {@code nonce} and {@code ciphertext} are kept as ASCII bytes, never as Strings.
 *
 * <p>Created by {@link EnvelopeDecoder} on the socket's thread, then handed (read-only) to the mesh's thread.</p>
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
    public byte[] nonce;
    public byte[] ciphertext;
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

    /** A frame answered {@code bad_request} with {@code why}. */
    public static Inbound malformed(String why) {
        Inbound in = new Inbound();
        in.type = Type.MALFORMED;
        in.error = why;
        return in;
    }
}
