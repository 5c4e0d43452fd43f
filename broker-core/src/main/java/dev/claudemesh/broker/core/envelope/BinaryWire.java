package dev.claudemesh.broker.core.envelope;

/**
 * The constants of the binary subprotocol ({@code docs/BINARY-PROTOCOL.md}) and the conversions between its raw
 * fields and the broker's internal forms (keys as lowercase hex, nonce and ciphertext as base64 ASCII). Stateless.
 */
public final class BinaryWire {

    /** The {@code Sec-WebSocket-Protocol} value that selects the binary subprotocol. */
    public static final String SUBPROTOCOL = "claudemesh.bin.1";
    public static final int VERSION = 1;
    /** Header bytes: version, type, flags (u16). */
    public static final int HEADER_BYTES = 4;
    /** Flag bit: a {@code reqId} str follows the header. */
    public static final int F_REQ_ID = 0x8000;
    /** Flag bit of the broker frames' {@code extra} JSON object. */
    public static final int F_EXTRA = 0x4000;

    // client -> broker
    public static final int HELLO = 0x01;
    public static final int SESSION_HELLO = 0x02;
    public static final int SEND = 0x03;
    public static final int CLIENT_ACK = 0x04;
    public static final int LIST_PEERS = 0x05;
    public static final int SET_STATUS = 0x06;
    public static final int SET_SUMMARY = 0x07;
    public static final int JOIN_GROUP = 0x08;
    public static final int LEAVE_GROUP = 0x09;
    /** Either direction: one UTF-8 JSON object, as the JSON protocol has it. */
    public static final int JSON = 0x7F;
    // broker -> client
    public static final int HELLO_ACK = 0x81;
    public static final int ACK = 0x82;
    public static final int PUSH = 0x83;
    public static final int SYSTEM = 0x84;
    public static final int PEERS_LIST = 0x85;
    public static final int ERROR = 0x86;

    public static final int TARGET_KEY = 1;
    public static final int TARGET_TEXT = 2;
    public static final int KEY_BYTES = 32;
    public static final int SIG_BYTES = 64;
    public static final int MAX_GROUPS = 64;

    static final String[] PRIORITIES = {null, "now", "next", "low"};
    static final String[] STATUSES = {null, "idle", "working", "dnd"};
    static final String[] PEER_ROLES = {null, "control-plane", "session"};

    private static final byte[] HEX = "0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final byte[] B64_ALPHABET =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final byte[] B64_VALUE = new byte[128];

    /** The value of a hex digit (either case) by ASCII code, -1 for anything else. */
    private static final byte[] HEX_VALUE = new byte[128];

    static {
        java.util.Arrays.fill(HEX_VALUE, (byte) -1);
        for (int i = 0; i < 16; i++) {
            HEX_VALUE["0123456789abcdef".charAt(i)] = (byte) i;
            HEX_VALUE["0123456789ABCDEF".charAt(i)] = (byte) i;
        }
        java.util.Arrays.fill(B64_VALUE, (byte) -1);
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        for (int i = 0; i < alphabet.length(); i++) {
            B64_VALUE[alphabet.charAt(i)] = (byte) i;
        }
    }

    private BinaryWire() {
    }

    /** The wire code of a priority or status name in {@code names} (index), or -1 when it has none. */
    static int code(String[] names, String value) {
        for (int i = 1; i < names.length; i++) {
            if (names[i].equals(value)) {
                return i;
            }
        }
        return -1;
    }

    /** Lowercase hex of {@code n} raw bytes at {@code off}. */
    static String hex(byte[] b, int off, int n) {
        byte[] out = new byte[n * 2];
        for (int i = 0; i < n; i++) {
            int v = b[off + i] & 0xFF;
            out[2 * i] = HEX[v >>> 4];
            out[2 * i + 1] = HEX[v & 0xF];
        }
        return new String(out, java.nio.charset.StandardCharsets.ISO_8859_1);
    }

    /** True when {@code s} is {@code 2 * n} hex characters (either case). */
    static boolean isHex(String s, int n) {
        if (s == null || s.length() != 2 * n) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= 128 || HEX_VALUE[c] < 0) {
                return false;
            }
        }
        return true;
    }

    /** Writes the raw bytes of hex text {@code s} (checked with {@link #isHex}) into {@code out} at {@code off}. */
    static void unhex(String s, byte[] out, int off) {
        for (int i = 0; i < s.length() / 2; i++) {
            out[off + i] = (byte) ((HEX_VALUE[s.charAt(2 * i)] << 4) | HEX_VALUE[s.charAt(2 * i + 1)]);
        }
    }

    /**
     * The decoded length of base64 ASCII {@code b64} (standard alphabet, padded, as the JSON decoder accepts it), or -1
     * when it is not such text.
     */
    static int base64DecodedLength(byte[] b64, int off, int n) {
        if (n % 4 != 0) {
            return -1;
        }
        int pad = 0;
        if (n > 0 && b64[off + n - 1] == '=') {
            pad++;
            if (b64[off + n - 2] == '=') {
                pad++;
            }
        }
        for (int i = off; i < off + n - pad; i++) {
            int c = b64[i];
            if (c < 0 || B64_VALUE[c] < 0) {
                return -1;
            }
        }
        return n / 4 * 3 - pad;
    }

    /** The length of the padded base64 text of {@code n} raw bytes. */
    static int base64EncodedLength(int n) {
        return (n + 2) / 3 * 4;
    }

    /**
     * Writes the padded standard base64 text of the {@code n} raw bytes of {@code raw} at {@code off} into {@code out}
     * at {@code outOff} ({@link #base64EncodedLength} bytes; what {@link java.util.Base64#getEncoder()} writes). The
     * JDK's encoder has no form from an array range into an array range: it takes a whole array, or allocates.
     */
    static void base64Encode(byte[] raw, int off, int n, byte[] out, int outOff) {
        int o = outOff;
        int end = off + n - n % 3;
        for (int i = off; i < end; i += 3) {
            int bits = ((raw[i] & 0xFF) << 16) | ((raw[i + 1] & 0xFF) << 8) | (raw[i + 2] & 0xFF);
            out[o] = B64_ALPHABET[bits >>> 18];
            out[o + 1] = B64_ALPHABET[(bits >>> 12) & 0x3F];
            out[o + 2] = B64_ALPHABET[(bits >>> 6) & 0x3F];
            out[o + 3] = B64_ALPHABET[bits & 0x3F];
            o += 4;
        }
        int left = n % 3;
        if (left > 0) {
            int bits = (raw[end] & 0xFF) << 16 | (left == 2 ? (raw[end + 1] & 0xFF) << 8 : 0);
            out[o] = B64_ALPHABET[bits >>> 18];
            out[o + 1] = B64_ALPHABET[(bits >>> 12) & 0x3F];
            out[o + 2] = left == 2 ? B64_ALPHABET[(bits >>> 6) & 0x3F] : (byte) '=';
            out[o + 3] = '=';
        }
    }

    /**
     * Decodes the {@code n} base64 ASCII bytes of {@code b64} at {@code off} (checked with
     * {@link #base64DecodedLength}) into {@code out} at {@code outOff}.
     */
    static void base64Decode(byte[] b64, int off, int n, byte[] out, int outOff) {
        int o = outOff;
        for (int i = off; i < off + n; i += 4) {
            int c2 = b64[i + 2];
            int c3 = b64[i + 3];
            int bits = (B64_VALUE[b64[i]] << 18) | (B64_VALUE[b64[i + 1]] << 12)
                    | ((c2 == '=' ? 0 : B64_VALUE[c2]) << 6) | (c3 == '=' ? 0 : B64_VALUE[c3]);
            out[o++] = (byte) (bits >>> 16);
            if (c2 != '=') {
                out[o++] = (byte) (bits >>> 8);
            }
            if (c3 != '=') {
                out[o++] = (byte) bits;
            }
        }
    }
}
