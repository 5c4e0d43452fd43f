package dev.claudemesh.broker.bench.loadgen;

import dev.claudemesh.broker.core.crypto.Ed25519;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.SplittableRandom;

/**
 * The generator's side of the wire: builds its frames straight into pooled buffers and reads the few fields it
 * needs from the broker's frames by byte matching, without a JSON parser, so that the generator spends as little
 * of the shared CPU as it can. The matching relies on the broker's compact JSON (PROTOCOL §4: {@code push} starts
 * with {@code type}, {@code messageId}; {@code ack} with {@code type}, {@code id}) and on every value the generator
 * looks for being a plain ASCII string; a key can only match at an unescaped quote, so a match inside a string
 * value is impossible. Stateless apart from the immutable payload pools; thread-safe.
 */
final class Wire {

    static final byte[] PUSH = ascii("{\"type\":\"push\",\"messageId\":\"");
    static final byte[] SYSTEM_PUSH = ascii("{\"type\":\"push\",\"subtype\"");
    static final byte[] ACK = ascii("{\"type\":\"ack\",\"id\":\"");
    static final byte[] HELLO_ACK = ascii("{\"type\":\"hello_ack\"");
    static final byte[] ERROR = ascii("{\"type\":\"error\"");
    static final byte[] RELAYED = ascii("{\"to\":");
    static final byte[] CLIENT_MESSAGE_ID = ascii("\"client_message_id\":\"");
    static final byte[] MESSAGE_ID = ascii("\"messageId\":\"");
    static final byte[] QUEUED_TRUE = ascii("\"queued\":true");
    static final byte[] ERROR_TEXT = ascii("\"error\":\"");
    static final byte[] MESSAGE_TEXT = ascii("\"message\":\"");
    /** Length of a broker message id (PROTOCOL §1). */
    static final int ID_LENGTH = 32;

    private static final byte[] SEND_ID = ascii("\"type\":\"send\",\"id\":\"");
    private static final byte[] TARGET = ascii("\",\"targetSpec\":\"");
    private static final byte[] PRIORITY_NONCE = ascii("\",\"priority\":\"next\",\"nonce\":\"");
    private static final byte[] CIPHERTEXT = ascii("\",\"ciphertext\":\"");
    private static final byte[] CMID = ascii("\",\"client_message_id\":\"");
    private static final byte[] END = ascii("\"}");
    private static final byte[] CLIENT_ACK = ascii("{\"type\":\"client_ack\",\"clientMessageId\":\"");
    private static final byte[] BROKER_MESSAGE_ID = ascii("\",\"brokerMessageId\":\"");
    private static final int POOL = 16;

    /** {@code <run>-}: every client_message_id of this run starts with it (reruns never collide in idempotency). */
    final byte[] runPrefix;
    private final byte[][] nonces = new byte[POOL][];
    private final byte[][] ciphertexts = new byte[POOL][];
    private final int frameBytesHint;

    Wire(String runId, int ciphertextBytes, long seed) {
        this.runPrefix = ascii(runId + "-");
        SplittableRandom r = new SplittableRandom(seed);
        Base64.Encoder b64 = Base64.getEncoder();
        for (int i = 0; i < POOL; i++) {
            byte[] n = new byte[24];
            byte[] c = new byte[ciphertextBytes];
            r.nextBytes(n);
            r.nextBytes(c);
            nonces[i] = b64.encode(n);
            ciphertexts[i] = b64.encode(c);
        }
        this.frameBytesHint = 256 + ciphertexts[0].length;
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /** Base64 length of the ciphertext on the wire. */
    int ciphertextChars() {
        return ciphertexts[0].length;
    }

    /**
     * A {@code send} frame for message {@code index} to {@code target} (a 64-hex key, {@code *} or {@code @group});
     * with {@code relayTo >= 0} the frame starts with {@code {"to":relayTo,} for the bare relay.
     */
    ByteBuf send(ByteBufAllocator alloc, long index, byte[] target, int relayTo) {
        ByteBuf b = alloc.buffer(frameBytesHint + target.length);
        if (relayTo >= 0) {
            b.writeBytes(RELAYED);
            writeDecimal(b, relayTo);
            b.writeByte(',');
        } else {
            b.writeByte('{');
        }
        int slot = (int) (index & (POOL - 1));
        b.writeBytes(SEND_ID);
        writeMessageId(b, index);
        b.writeBytes(TARGET).writeBytes(target);
        b.writeBytes(PRIORITY_NONCE).writeBytes(nonces[slot]);
        b.writeBytes(CIPHERTEXT).writeBytes(ciphertexts[(slot + 7) & (POOL - 1)]);
        b.writeBytes(CMID);
        writeMessageId(b, index);
        b.writeBytes(END);
        return b;
    }

    /** {@code client_ack} for message {@code index}, copying the broker's message id from {@code push}. */
    ByteBuf clientAck(ByteBufAllocator alloc, long index, ByteBuf push, int brokerIdAt) {
        ByteBuf b = alloc.buffer(128);
        b.writeBytes(CLIENT_ACK);
        writeMessageId(b, index);
        b.writeBytes(BROKER_MESSAGE_ID);
        b.writeBytes(push, brokerIdAt, ID_LENGTH);
        b.writeBytes(END);
        return b;
    }

    private void writeMessageId(ByteBuf b, long index) {
        b.writeBytes(runPrefix);
        writeDecimal(b, index);
    }

    static void writeDecimal(ByteBuf b, long v) {
        if (v == 0) {
            b.writeByte('0');
            return;
        }
        int digits = 0;
        for (long t = v; t > 0; t /= 10) {
            digits++;
        }
        int at = b.writerIndex() + digits;
        b.ensureWritable(digits);
        for (long t = v; t > 0; t /= 10) {
            b.setByte(--at, (int) ('0' + t % 10));
        }
        b.writerIndex(b.writerIndex() + digits);
    }

    /**
     * The message index of a client_message_id starting at {@code at} (absolute), or -1 when it is not one of this
     * run's ids.
     */
    long messageIndexAt(ByteBuf b, int at) {
        int end = b.writerIndex();
        if (at + runPrefix.length >= end) {
            return -1;
        }
        for (int i = 0; i < runPrefix.length; i++) {
            if (b.getByte(at + i) != runPrefix[i]) {
                return -1;
            }
        }
        long v = 0;
        int digits = 0;
        for (int i = at + runPrefix.length; i < end; i++) {
            byte c = b.getByte(i);
            if (c == '"') {
                return digits == 0 ? -1 : v;
            }
            if (c < '0' || c > '9' || ++digits > 18) {
                return -1;
            }
            v = v * 10 + (c - '0');
        }
        return -1;
    }

    static boolean startsWith(ByteBuf b, byte[] p) {
        int r = b.readerIndex();
        if (b.readableBytes() < p.length) {
            return false;
        }
        for (int i = 0; i < p.length; i++) {
            if (b.getByte(r + i) != p[i]) {
                return false;
            }
        }
        return true;
    }

    /** Absolute index just past the first {@code p} at or after {@code from}, or -1. */
    static int after(ByteBuf b, byte[] p, int from) {
        int last = b.writerIndex() - p.length;
        byte first = p[0];
        outer:
        for (int i = Math.max(from, b.readerIndex()); i <= last; i++) {
            if (b.getByte(i) != first) {
                continue;
            }
            for (int j = 1; j < p.length; j++) {
                if (b.getByte(i + j) != p[j]) {
                    continue outer;
                }
            }
            return i + p.length;
        }
        return -1;
    }

    /** Absolute index just past the last {@code p}, searching backwards from the end, or -1. */
    static int afterLast(ByteBuf b, byte[] p) {
        byte first = p[0];
        outer:
        for (int i = b.writerIndex() - p.length; i >= b.readerIndex(); i--) {
            if (b.getByte(i) != first) {
                continue;
            }
            for (int j = 1; j < p.length; j++) {
                if (b.getByte(i + j) != p[j]) {
                    continue outer;
                }
            }
            return i + p.length;
        }
        return -1;
    }

    /** A 64-bit digest of the 32-byte broker message id at {@code at}; 0 is never returned. */
    static long idHash(ByteBuf b, int at) {
        if (at < 0 || at + ID_LENGTH > b.writerIndex()) {
            return 1;
        }
        long h = b.getLong(at);
        h = h * 0x9E3779B97F4A7C15L ^ b.getLong(at + 8);
        h = h * 0x9E3779B97F4A7C15L ^ b.getLong(at + 16);
        h = h * 0x9E3779B97F4A7C15L ^ b.getLong(at + 24);
        return h == 0 ? 2 : h;
    }

    /** The string value starting at {@code at} (up to the next quote, at most {@code max} chars), for error samples. */
    static String text(ByteBuf b, int at, int max) {
        if (at < 0) {
            return "";
        }
        StringBuilder sb = new StringBuilder();
        for (int i = at; i < b.writerIndex() && sb.length() < max; i++) {
            byte c = b.getByte(i);
            if (c == '"') {
                break;
            }
            sb.append((char) c);
        }
        return sb.toString();
    }

    /** A signed {@code session_hello} (PROTOCOL §3.2) for a session of {@code parent}. */
    static String sessionHello(Topology.Member parent, Ed25519.KeyPair session, String sessionId, long nowMs,
                               String displayName, String groupsJson) {
        long expiresAt = nowMs + 3_600_000;
        String attSig = Ed25519.sign(parent.seed(), "claudemesh-session-attest|" + parent.pubkey() + "|"
                + session.publicKeyHex() + "|" + expiresAt);
        String helloSig = Ed25519.sign(session.seed(), "claudemesh-session-hello|" + parent.meshId() + "|"
                + parent.pubkey() + "|" + session.publicKeyHex() + "|" + nowMs);
        return "{\"type\":\"session_hello\",\"meshId\":\"" + parent.meshId() + "\",\"parentMemberId\":\""
                + parent.id() + "\",\"parentMemberPubkey\":\"" + parent.pubkey() + "\",\"sessionPubkey\":\""
                + session.publicKeyHex() + "\",\"parentAttestation\":{\"sessionPubkey\":\"" + session.publicKeyHex()
                + "\",\"parentMemberPubkey\":\"" + parent.pubkey() + "\",\"expiresAt\":" + expiresAt
                + ",\"signature\":\"" + attSig + "\"},\"displayName\":\"" + displayName + "\",\"sessionId\":\""
                + sessionId + "\",\"pid\":" + ProcessHandle.current().pid() + ",\"cwd\":\"/loadgen\","
                + "\"hostname\":\"loadgen\",\"channel\":\"claudemesh-session\",\"groups\":"
                + (groupsJson == null ? "[]" : groupsJson) + ",\"role\":\"loadgen\",\"timestamp\":" + nowMs
                + ",\"signature\":\"" + helloSig + "\"}";
    }
}
