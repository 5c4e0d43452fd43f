package dev.claudemesh.broker.core.audit;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.StandardCharsets;

/**
 * Writes a string's UTF-8 bytes into a caller's array without a copy of the string and without a per-character loop:
 * the chars are copied in bulk into a reused array ({@link String#getChars}) and encoded from there by a reused
 * encoder, whose ASCII loop is the JDK's intrinsic on JDK 21+ (ids, keys and hashes are ASCII). The bytes are
 * {@code s.getBytes(UTF_8)}'s; a string it does not take (longer than {@value #MAX_CHARS} chars, or with a lone
 * surrogate, which {@code getBytes} writes as {@code ?}) is left to the caller's {@code getBytes}. Measured on JDK 25:
 * several times faster than a {@code charAt} loop for 32–64-char ids, without {@code getBytes}' array per string.
 *
 * <p>Not thread-safe: one per thread (the writer's {@code CopyBuffer}, {@link AuditHasher}).</p>
 */
public final class Utf8Encoder {

    /** The longest string encoded here; ids and keys are 32–64 chars. */
    public static final int MAX_CHARS = 512;

    private final char[] chars = new char[MAX_CHARS];
    private final CharBuffer charView = CharBuffer.wrap(chars);
    /** Reports (does not replace) a lone surrogate. */
    private final CharsetEncoder encoder = StandardCharsets.UTF_8.newEncoder();
    private ByteBuffer view = ByteBuffer.wrap(new byte[0]);

    /**
     * Writes {@code s}'s UTF-8 bytes into {@code dst} from {@code at}, which has room for {@code 3 * s.length()}
     * bytes; returns how many, or -1 (having written garbage, not past that room) when the caller must use
     * {@code s.getBytes(UTF_8)}.
     */
    public int encode(String s, byte[] dst, int at) {
        int n = s.length();
        if (n > MAX_CHARS) {
            return -1;
        }
        s.getChars(0, n, chars, 0);
        charView.limit(n).position(0);
        if (view.array() != dst) {
            view = ByteBuffer.wrap(dst);
        }
        ByteBuffer out = view;
        out.limit(Math.min(dst.length, at + 3 * n)).position(at);
        encoder.reset();
        if (encoder.encode(charView, out, true).isError() || charView.hasRemaining()) {
            return -1;
        }
        return out.position() - at;
    }
}
