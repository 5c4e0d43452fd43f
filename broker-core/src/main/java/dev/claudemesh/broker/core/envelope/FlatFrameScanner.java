package dev.claudemesh.broker.core.envelope;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The decoder's fast path for flat frames: one JSON object whose values are printable-ASCII strings without escapes,
 * integers of at most 18 digits, or (for fields the envelope does not model) {@code true}, {@code false},
 * {@code null}. That is every {@code send} and {@code client_ack} a client writes, so the frames of every DM are read
 * here without a Jackson parser (its parser, context, symbol table child and text buffer are ~600 bytes per frame)
 * and without the UTF-8 pass (every byte accepted here is ASCII).
 *
 * <p>The fast path never decides anything the Jackson path would decide differently: on the first byte it does not
 * handle (a backslash, a non-ASCII or control byte, a nested value, a fraction, a 19th digit, a known field whose
 * value has another shape, trailing bytes, a very long string) it gives up and {@link EnvelopeDecoder} decodes the
 * frame again with Jackson from the start. What it accepts is a subset of what Jackson accepts, and it assigns fields
 * with the same rules (a repeated key wins, {@code id} and {@code _reqId} keep their numeric flag, nonce and
 * ciphertext are checked for base64); {@code FlatFrameScannerTest} compares the two paths field for field on
 * generated and mutated frames. Stateless.</p>
 */
final class FlatFrameScanner {

    /** The 64 bytes of the standard base64 alphabet ({@link EnvelopeDecoder#isBase64Char}). */
    private static final boolean[] BASE64_ALPHABET = new boolean[256];

    static {
        for (int c = 0; c < 128; c++) {
            BASE64_ALPHABET[c] = EnvelopeDecoder.isBase64Char((char) c);
        }
    }

    /** Longer strings or names go to Jackson, which enforces its own length limits on them. */
    private static final int MAX_STRING = 1 << 20;
    private static final int MAX_NAME = 256;

    private static final int UNKNOWN = 0;
    private static final int TYPE = 1;
    private static final int REQ_ID = 2;
    private static final int ID = 3;
    private static final int PID = 4;
    private static final int TIMESTAMP = 5;
    private static final int NONCE = 6;
    private static final int CIPHERTEXT = 7;
    private static final int SUMMARY = 8;
    private static final int CLIENT_MESSAGE_ID_SEND = 9;
    private static final int TARGET_SPEC = 10;
    private static final int PRIORITY = 11;
    /** Fields Jackson's path reads as nested values ({@code groups}, {@code parentAttestation}): never fast. */
    private static final int NESTED = 12;
    /** Plain string fields start here; their index is {@code STRING + i} into {@link #STRING_FIELDS}. */
    private static final int STRING = 16;

    private static final String[] STRING_FIELDS = {"meshId", "memberId", "pubkey", "sessionPubkey",
        "parentMemberId", "parentMemberPubkey", "displayName", "sessionId", "cwd", "hostname", "peerType", "channel",
        "model", "role", "signature", "request_fingerprint", "clientMessageId", "brokerMessageId", "status", "name"};

    private static final String[] TYPES = {"hello", "session_hello", "send", "client_ack", "list_peers", "set_status",
        "set_summary", "join_group", "leave_group"};
    private static final String[] PRIORITIES = {"now", "next", "low"};

    /** Field names by length: {@code NAMES[len]} are the names, {@code IDS[len]} their field ids. */
    private static final byte[][][] NAMES = new byte[32][][];
    private static final int[][] IDS = new int[32][];

    static {
        name("type", TYPE);
        name("_reqId", REQ_ID);
        name("id", ID);
        name("pid", PID);
        name("timestamp", TIMESTAMP);
        name("nonce", NONCE);
        name("ciphertext", CIPHERTEXT);
        name("summary", SUMMARY);
        name("client_message_id", CLIENT_MESSAGE_ID_SEND);
        name("targetSpec", TARGET_SPEC);
        name("priority", PRIORITY);
        name("groups", NESTED);
        name("parentAttestation", NESTED);
        for (int i = 0; i < STRING_FIELDS.length; i++) {
            name(STRING_FIELDS[i], STRING + i);
        }
    }

    private static void name(String name, int id) {
        byte[] b = name.getBytes(StandardCharsets.US_ASCII);
        int n = b.length;
        NAMES[n] = NAMES[n] == null ? new byte[][] {b} : append(NAMES[n], b);
        IDS[n] = IDS[n] == null ? new int[] {id} : Arrays.copyOf(IDS[n], IDS[n].length + 1);
        IDS[n][IDS[n].length - 1] = id;
    }

    private static byte[][] append(byte[][] a, byte[] b) {
        byte[][] out = Arrays.copyOf(a, a.length + 1);
        out[a.length] = b;
        return out;
    }

    private FlatFrameScanner() {
    }

    /**
     * Reads {@code len} bytes of {@code b} from {@code off} into {@code in} (which must be clear). False when the frame
     * is not one this path handles; {@code in} is then partly filled and must be cleared before Jackson reads it.
     *
     * @param reader the socket's reader, whose previous {@code targetSpec} is reused when this one is the same text;
     *               null for none
     */
    static boolean scan(byte[] b, int off, int len, Inbound in, EnvelopeReader reader) {
        int end = off + len;
        int i = AsciiJson.ws(b, off, end);
        if (i >= end || b[i] != '{') {
            return false;
        }
        i = AsciiJson.ws(b, i + 1, end);
        if (i < end && b[i] == '}') {
            i++;
        } else {
            while (true) {
                // the name: a plain string
                if (i >= end || b[i] != '"') {
                    return false;
                }
                int ns = i + 1;
                int ne = AsciiJson.plainString(b, ns, end, MAX_STRING);
                if (ne < 0 || ne - ns > MAX_NAME) {
                    return false;
                }
                i = AsciiJson.ws(b, ne + 1, end);
                if (i >= end || b[i] != ':') {
                    return false;
                }
                i = AsciiJson.ws(b, i + 1, end);
                if (i >= end) {
                    return false;
                }
                i = value(b, i, end, fieldId(b, ns, ne - ns), in, reader);
                if (i < 0) {
                    return false;
                }
                i = AsciiJson.ws(b, i, end);
                if (i >= end) {
                    return false;
                }
                if (b[i] == '}') {
                    i++;
                    break;
                }
                if (b[i] != ',') {
                    return false;
                }
                i = AsciiJson.ws(b, i + 1, end);
            }
        }
        return AsciiJson.ws(b, i, end) == end;
    }

    /** Reads the value at {@code i} for field {@code field}; the index after it, or -1 to give up. */
    private static int value(byte[] b, int i, int end, int field, Inbound in, EnvelopeReader reader) {
        byte c = b[i];
        if (c == '"') {
            int s = i + 1;
            int e = AsciiJson.plainString(b, s, end, MAX_STRING);
            if (e < 0) {
                return -1;
            }
            if (!string(b, s, e - s, field, in, reader)) {
                return -1;
            }
            return e + 1;
        }
        if (c == '-' || (c >= '0' && c <= '9')) {
            int e = AsciiJson.integer(b, i, end);
            if (e < 0 || !number(b, i, e - i, field, in)) {
                return -1;
            }
            return e;
        }
        if (field != UNKNOWN) {
            return -1; // null, booleans, objects and arrays in known fields: Jackson's rules
        }
        int e = AsciiJson.literal(b, i, end);
        return e;
    }

    private static boolean string(byte[] b, int s, int n, int field, Inbound in, EnvelopeReader reader) {
        switch (field) {
            case UNKNOWN -> {
                return true;
            }
            case TYPE -> {
                String known = constant(TYPES, b, s, n);
                in.rawType = known != null ? known : ascii(b, s, n);
                in.type = Inbound.Type.forName(in.rawType);
                if (in.type == Inbound.Type.HELLO || in.type == Inbound.Type.SESSION_HELLO) {
                    // once per connection, with groups and an attestation (nested): Jackson's, before more Strings
                    return false;
                }
            }
            case REQ_ID -> {
                in.reqIdNumeric = false;
                in.reqId = ascii(b, s, n);
            }
            case ID -> {
                in.id = same(in.clientMessageId, b, s, n);
                in.hasId = true;
                in.idNumeric = false;
            }
            case NONCE -> base64Field(b, s, n, in, true);
            case CIPHERTEXT -> base64Field(b, s, n, in, false);
            case SUMMARY -> {
                in.hasSummary = true;
                in.summary = ascii(b, s, n);
            }
            case CLIENT_MESSAGE_ID_SEND -> in.clientMessageId = same(in.id, b, s, n);
            case TARGET_SPEC -> {
                in.targetSpec = same(reader == null ? null : reader.lastTargetSpec, b, s, n);
                if (reader != null) {
                    reader.lastTargetSpec = in.targetSpec;
                }
            }
            case PRIORITY -> {
                String known = constant(PRIORITIES, b, s, n);
                in.priority = known != null ? known : ascii(b, s, n);
            }
            case PID, TIMESTAMP, NESTED -> {
                return false; // a string where Jackson's path wants a number or a structure
            }
            default -> setString(in, field - STRING, ascii(b, s, n));
        }
        return true;
    }

    private static boolean number(byte[] b, int s, int n, int field, Inbound in) {
        switch (field) {
            case UNKNOWN -> {
                return true;
            }
            case REQ_ID -> {
                in.reqId = ascii(b, s, n);
                in.reqIdNumeric = true;
            }
            case ID -> {
                in.id = ascii(b, s, n);
                in.hasId = true;
                in.idNumeric = true;
            }
            case PID -> in.pid = parseLong(b, s, n);
            case TIMESTAMP -> in.timestamp = parseLong(b, s, n);
            default -> {
                return false; // a number where a string is wanted: Jackson's path names the field
            }
        }
        return true;
    }

    private static void setString(Inbound in, int index, String v) {
        switch (index) {
            case 0 -> in.meshId = v;
            case 1 -> in.memberId = v;
            case 2 -> in.pubkey = v;
            case 3 -> in.sessionPubkey = v;
            case 4 -> in.parentMemberId = v;
            case 5 -> in.parentMemberPubkey = v;
            case 6 -> in.displayName = v;
            case 7 -> in.sessionId = v;
            case 8 -> in.cwd = v;
            case 9 -> in.hostname = v;
            case 10 -> in.peerType = v;
            case 11 -> in.channel = v;
            case 12 -> in.model = v;
            case 13 -> in.role = v;
            case 14 -> in.signature = v;
            case 15 -> in.requestFingerprint = v;
            case 16 -> in.clientMessageId = v;
            case 17 -> in.brokerMessageId = v;
            case 18 -> in.status = v;
            case 19 -> in.name = v;
            default -> throw new IllegalStateException("string field " + index);
        }
    }

    /** Nonce or ciphertext: valid base64 stays a range of the frame itself (no copy: Inbound's rules). */
    private static void base64Field(byte[] b, int s, int n, Inbound in, boolean nonce) {
        boolean fast = isPaddedBase64(b, s, n);
        byte[] src = fast ? b : base64(b, s, n, in, nonce ? "nonce" : "ciphertext");
        if (nonce) {
            in.nonce(src, fast ? s : 0, n);
        } else {
            in.ciphertext(src, fast ? s : 0, n);
        }
    }

    /**
     * Nonce and ciphertext that failed the fast check ({@link #isPaddedBase64}): the ASCII bytes as they are, flagged
     * when they are not padded standard base64. Byte for byte what Jackson's path stores, which stops copying at the
     * first byte that is not base64 (the rest stays zero; such a send is refused anyway).
     */
    private static byte[] base64(byte[] b, int s, int n, Inbound in, String field) {
        byte[] out = Arrays.copyOfRange(b, s, s + n);
        boolean ok = (n % 4) == 0;
        int copied = ok ? n : 0;
        int pad = 0;
        for (int i = 0; i < n && ok; i++) {
            byte c = out[i];
            if (c == '=') {
                pad++;
                if (i < n - 2) {
                    ok = false;
                }
            } else if (pad > 0 || !EnvelopeDecoder.isBase64Char((char) c)) {
                ok = false;
            }
            if (!ok) {
                copied = i + 1;
            }
        }
        if (!ok) {
            Arrays.fill(out, copied, n, (byte) 0);
            if (in.badBase64Field == null) {
                in.badBase64Field = field;
            }
        }
        return out;
    }

    /**
     * The fast check of the common case, a table lookup per byte: {@code n} a multiple of 4, every byte a base64
     * alphabet byte except at most two trailing {@code '='}. False sends the caller to the exact, byte-by-byte
     * path above, which also decides what to keep of a bad value.
     */
    private static boolean isPaddedBase64(byte[] v, int s, int n) {
        if ((n & 3) != 0) {
            return false;
        }
        int end = s + n;
        if (n > 0 && v[end - 1] == '=') {
            end = v[end - 2] == '=' ? end - 2 : end - 1;
        }
        for (int i = s; i < end; i++) {
            if (!BASE64_ALPHABET[v[i] & 0xff]) {
                return false;
            }
        }
        return true;
    }

    private static int fieldId(byte[] b, int s, int n) {
        if (n >= NAMES.length || NAMES[n] == null) {
            return UNKNOWN;
        }
        byte[][] names = NAMES[n];
        for (int k = 0; k < names.length; k++) {
            if (Arrays.equals(names[k], 0, n, b, s, s + n)) {
                return IDS[n][k];
            }
        }
        return UNKNOWN;
    }

    /** The constant among {@code candidates} spelled by the bytes, or null. */
    private static String constant(String[] candidates, byte[] b, int s, int n) {
        for (String c : candidates) {
            if (spells(c, b, s, n)) {
                return c;
            }
        }
        return null;
    }

    /** {@code candidate} when it is the text of the bytes (no copy), else a new String of them. */
    private static String same(String candidate, byte[] b, int s, int n) {
        return candidate != null && spells(candidate, b, s, n) ? candidate : ascii(b, s, n);
    }

    private static boolean spells(String text, byte[] b, int s, int n) {
        if (text.length() != n) {
            return false;
        }
        for (int k = 0; k < n; k++) {
            if (text.charAt(k) != b[s + k]) {
                return false;
            }
        }
        return true;
    }

    private static String ascii(byte[] b, int s, int n) {
        return new String(b, s, n, StandardCharsets.ISO_8859_1);
    }

    private static Long parseLong(byte[] b, int s, int n) {
        boolean negative = b[s] == '-';
        long v = 0;
        for (int i = negative ? s + 1 : s; i < s + n; i++) {
            v = v * 10 + (b[i] - '0');
        }
        return negative ? -v : v;
    }
}
