package dev.claudemesh.broker.core.envelope;

import dev.claudemesh.broker.core.model.Payload;
import dev.claudemesh.broker.core.model.StoredMessage;

import java.util.Arrays;

/**
 * Encoders of the broker's hot frames in the binary subprotocol ({@code docs/BINARY-PROTOCOL.md} §2.2): acks and
 * pushes written straight from the message's data (keys as raw bytes, nonce and ciphertext base64-decoded once),
 * errors, and the {@code 0x7F} wrapper for a JSON frame. A push whose values the binary form cannot carry exactly
 * (a sender key that is not hex, a payload that is not base64, an unknown priority) goes as its JSON frame in a
 * {@code 0x7F} wrapper instead. Every other frame is converted from its JSON by {@link BinaryTranscoder}.
 * Stateless and thread-safe.
 */
public final class BinaryFrames {

    /** This thread's work array for a stored DM's base64 text while its binary push is encoded. */
    private static final ThreadLocal<byte[]> PAYLOAD_TEXT = ThreadLocal.withInitial(() -> new byte[1024]);
    /** A work array grown past this (a DM near MAX_MESSAGE_BYTES) is not kept. */
    private static final int KEEP_TEXT_AT_MOST = 64 * 1024;

    private BinaryFrames() {
    }

    /** {@code 0x7F}: one JSON frame as the JSON protocol has it. */
    public static byte[] json(byte[] utf8Json) {
        byte[] out = new byte[BinaryWire.HEADER_BYTES + utf8Json.length];
        out[0] = (byte) BinaryWire.VERSION;
        out[1] = (byte) BinaryWire.JSON;
        System.arraycopy(utf8Json, 0, out, BinaryWire.HEADER_BYTES, utf8Json.length);
        return out;
    }

    /** The error frame, echoing the request's {@code reqId} when it had one. */
    public static byte[] error(String code, String message, Inbound req) {
        String reqId = req == null ? null : req.reqId;
        BinaryWriter w = new BinaryWriter(BinaryWire.ERROR, 32 + message.length());
        if (reqId != null) {
            w.str(reqId);
        }
        return w.str(code).str(message).flags(reqId != null ? BinaryWire.F_REQ_ID : 0).toBytes();
    }

    /** Successful send ack. */
    public static byte[] ackQueued(Inbound send, String messageId) {
        return ack(new BinaryWriter(BinaryWire.ACK, 64), send.hasId, send.id, send.clientMessageId, messageId, null)
                .toBytes();
    }

    /**
     * {@link #ackQueued} from the send's fields (taken before its Inbound was reused), in this thread's
     * {@linkplain BinaryWriter#scratch scratch writer}: copy it out before the thread encodes another frame.
     */
    public static BinaryWriter ackQueuedScratch(boolean hasId, String id, String clientMessageId, String messageId) {
        return ack(BinaryWriter.scratch(BinaryWire.ACK), hasId, id, clientMessageId, messageId, null);
    }

    /** Failed send ack. */
    public static byte[] ackFailed(Inbound send, String error) {
        return ack(new BinaryWriter(BinaryWire.ACK, 64 + error.length()), send.hasId, send.id, send.clientMessageId,
                "", error).toBytes();
    }

    private static BinaryWriter ack(BinaryWriter w, boolean hasId, String id, String clientMessageId, String messageId,
                                    String error) {
        int flags = 0;
        if (hasId) {
            flags |= 1;
            w.str(id);
        }
        if (clientMessageId != null) {
            flags |= 2;
            w.str(clientMessageId);
        }
        if (error != null) {
            flags |= 4;
            w.str(error);
        }
        return w.str(messageId).u8(error == null ? 1 : 0).flags(flags);
    }

    /** A DM push ({@link Frames#dmPush} in binary). */
    public static byte[] dmPush(StoredMessage m) {
        BinaryWriter w = dmPushScratch(m);
        return w != null ? Arrays.copyOf(w.array(), w.size()) : json(Frames.dmPush(m));
    }

    /**
     * {@link #dmPush} in this thread's {@linkplain BinaryWriter#scratch scratch writer} (copy it out before the thread
     * encodes another frame), or null when the DM's values do not fit the binary form exactly: then send
     * {@link #dmPush}'s {@code 0x7F} frame.
     */
    public static BinaryWriter dmPushScratch(StoredMessage m) {
        // the payload's text in this thread's work array (no array per push), decoded from there into the frame
        Payload p = m.payload();
        int nl = p.nonceLength();
        int cl = p.ciphertextLength();
        byte[] text = PAYLOAD_TEXT.get();
        if (text.length < nl + cl) {
            text = new byte[nl + cl];
            if (text.length <= KEEP_TEXT_AT_MOST) {
                PAYLOAD_TEXT.set(text);
            }
        }
        p.getNonce(text, 0);
        p.getCiphertext(text, nl);
        return push(BinaryWriter.scratch(BinaryWire.PUSH), m.messageId(), m.meshId(), m.senderPubkey(), m.priority(),
                text, 0, nl, text, nl, cl, m.createdAtMs(), m.clientMessageId(), m.requestFingerprint(), null, null,
                m.senderName(), m.subtype());
    }

    /** A multicast push ({@link Frames#multicastPush} in binary), encoded once for all binary recipients. */
    public static byte[] multicastPush(String messageId, String meshId, String senderPubkey, String priority,
                                       byte[] nonce, byte[] ciphertext, long createdAtMs, String clientMessageId,
                                       String requestFingerprint, String senderMemberPubkey, String senderMemberId,
                                       String senderName, String subtype) {
        BinaryWriter w = push(null, messageId, meshId, senderPubkey, priority, nonce, 0, nonce.length, ciphertext, 0,
                ciphertext.length, createdAtMs, clientMessageId, requestFingerprint, senderMemberPubkey, senderMemberId,
                senderName, subtype);
        return w != null ? w.toBytes() : json(Frames.multicastPush(messageId, meshId, senderPubkey, priority, nonce,
                ciphertext, createdAtMs, clientMessageId, requestFingerprint, senderMemberPubkey, senderMemberId,
                senderName, subtype));
    }

    /**
     * The push in {@code w} (null: a new writer of the frame's size), or null when its values do not fit the binary
     * form exactly.
     */
    static BinaryWriter push(BinaryWriter w, String messageId, String meshId, String senderPubkey, String priority,
                             byte[] nonce, int nOff, int nLen, byte[] ciphertext, int cOff, int cLen, long createdAtMs,
                             String clientMessageId, String requestFingerprint, String senderMemberPubkey,
                             String senderMemberId, String senderName, String subtype) {
        int priorityCode = BinaryWire.code(BinaryWire.PRIORITIES, priority);
        int nonceLength = BinaryWire.base64DecodedLength(nonce, nOff, nLen);
        int ciphertextLength = BinaryWire.base64DecodedLength(ciphertext, cOff, cLen);
        boolean multicast = senderMemberPubkey != null || senderMemberId != null;
        if (priorityCode < 0 || nonceLength < 0 || ciphertextLength < 0
                || !BinaryWire.isHex(senderPubkey, BinaryWire.KEY_BYTES)
                || (multicast && (senderMemberId == null
                || !BinaryWire.isHex(senderMemberPubkey, BinaryWire.KEY_BYTES)))) {
            return null;
        }
        if (w == null) {
            w = new BinaryWriter(BinaryWire.PUSH, 160 + nonceLength + ciphertextLength);
        }
        w.str(messageId).str(meshId).hex(senderPubkey).u8(priorityCode).i64(createdAtMs)
                .base64AsRaw(nonce, nOff, nLen, nonceLength).base64AsRaw(ciphertext, cOff, cLen, ciphertextLength);
        int flags = 0;
        if (clientMessageId != null) {
            flags |= 1;
            w.str(clientMessageId);
        }
        if (requestFingerprint != null) {
            flags |= 2;
            w.str(requestFingerprint);
        }
        if (senderName != null) {
            flags |= 4;
            w.str(senderName);
        }
        if (multicast) {
            flags |= 8;
            w.hex(senderMemberPubkey).str(senderMemberId);
        }
        if (subtype != null) {
            flags |= 16;
            w.str(subtype);
        }
        return w.flags(flags);
    }
}
