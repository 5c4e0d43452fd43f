package dev.claudemesh.broker.core.envelope;

/**
 * The lexical pieces of {@link FlatFrameScanner}: JSON whitespace, plain strings, small integers and literals over
 * ASCII bytes. Each answers the index after what it read, or -1 where the bytes are not of the simple form it reads
 * (the scanner then leaves the frame to Jackson). Stateless.
 */
final class AsciiJson {

    private AsciiJson() {
    }

    /**
     * The end (the closing quote) of a string of printable ASCII without escapes starting at {@code i}, at most
     * {@code maxLength} bytes long, or -1.
     */
    static int plainString(byte[] b, int i, int end, int maxLength) {
        int limit = Math.min(end, i + maxLength);
        for (; i < limit; i++) {
            byte c = b[i];
            if (c == '"') {
                return i;
            }
            if (c < 0x20 || c == '\\') {
                return -1; // control bytes, escapes and (negative) non-ASCII bytes: Jackson's path
            }
        }
        return -1;
    }

    /** The end of {@code -?(0|[1-9][0-9]{0,17})} at {@code i}, which must be followed by a byte that is no number's. */
    static int integer(byte[] b, int i, int end) {
        int s = b[i] == '-' ? i + 1 : i;
        if (s >= end || b[s] < '0' || b[s] > '9') {
            return -1;
        }
        int e = s + 1;
        if (b[s] != '0') {
            while (e < end && b[e] >= '0' && b[e] <= '9') {
                e++;
            }
        }
        if (e - s > 18 || e >= end) {
            return -1;
        }
        byte c = b[e];
        if (c == ',' || c == '}' || c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            return e;
        }
        return -1; // a fraction, an exponent, a leading zero or anything else: Jackson's path
    }

    /** {@code true}, {@code false} or {@code null} at {@code i}, followed by a separator; its end, or -1. */
    static int literal(byte[] b, int i, int end) {
        int e = matches(b, i, end, "true") ? i + 4 : matches(b, i, end, "false") ? i + 5
                : matches(b, i, end, "null") ? i + 4 : -1;
        if (e < 0 || e >= end) {
            return -1;
        }
        byte c = b[e];
        return c == ',' || c == '}' || c == ' ' || c == '\t' || c == '\n' || c == '\r' ? e : -1;
    }

    private static boolean matches(byte[] b, int i, int end, String word) {
        if (end - i < word.length()) {
            return false;
        }
        for (int k = 0; k < word.length(); k++) {
            if (b[i + k] != word.charAt(k)) {
                return false;
            }
        }
        return true;
    }

    static int ws(byte[] b, int i, int end) {
        while (i < end) {
            byte c = b[i];
            if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
                return i;
            }
            i++;
        }
        return i;
    }
}
