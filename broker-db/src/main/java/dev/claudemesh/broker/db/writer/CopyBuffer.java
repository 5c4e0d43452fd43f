package dev.claudemesh.broker.db.writer;

import dev.claudemesh.broker.core.audit.Utf8Encoder;
import dev.claudemesh.broker.core.model.Payload;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Arrays;

/**
 * One {@code COPY … FROM STDIN (FORMAT binary)} stream, built in a reused array and sent as one CopyData message
 * (PostgreSQL docs, "COPY", section "Binary Format"). The writer's bulk inserts go this way: PostgreSQL takes COPY rows
 * through its multi-insert path (fewer WAL records, no array parsing, no plan), and the broker writes column bytes
 * straight from its strings and byte arrays instead of pgjdbc's array encoding. Measured on the embedded PostgreSQL
 * with 500-row batches: 8.5 against 12.5 µs of server CPU per audit row, 13 against 21.5 µs per queue row
 * (docs/BENCHMARKS.md).
 *
 * <p>Only the types the writer needs: text ({@code varchar}; UTF-8, the connection's client encoding, with NUL
 * already cleaned by the caller, since PostgreSQL text cannot hold it), raw ASCII bytes as text, and
 * {@code timestamptz} from epoch milliseconds (int8 microseconds since 2000-01-01, the server's integer datetimes).
 * Not thread-safe: one per writer thread.</p>
 */
final class CopyBuffer {

    private static final byte[] HEADER = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xff, '\r', '\n', 0,
            0, 0, 0, 0, // flags: no OIDs
            0, 0, 0, 0}; // no header extension
    /** 2000-01-01T00:00:00Z in epoch milliseconds: PostgreSQL's timestamp epoch. */
    static final long PG_EPOCH_MS = 946_684_800_000L;
    private static final int INITIAL = 64 * 1024;
    /** A buffer grown past this by one big batch is not kept for the next. */
    private static final int KEEP_AT_MOST = 8 * 1024 * 1024;

    private byte[] buf = new byte[INITIAL];
    private int len;
    private final Utf8Encoder encoder = new Utf8Encoder();

    /** Starts a new stream (the header). */
    CopyBuffer start() {
        if (buf.length > KEEP_AT_MOST) {
            buf = new byte[INITIAL];
        }
        len = 0;
        put(HEADER);
        return this;
    }

    /** Starts a row of {@code fields} columns, in the COPY statement's column order. */
    void row(int fields) {
        ensure(2);
        putShort(fields);
    }

    /**
     * A text column; null is SQL NULL. The bytes are {@code s.getBytes(UTF_8)}'s, encoded straight into the stream
     * ({@link Utf8Encoder}: a bulk copy of the chars and the JDK's ASCII intrinsic) instead of per character, which
     * was 15 % of the broker's samples at load (docs/BENCHMARKS.md).
     */
    void text(String s) {
        if (s == null) {
            nul();
            return;
        }
        if (s.length() > Utf8Encoder.MAX_CHARS) {
            bytes(s.getBytes(StandardCharsets.UTF_8));
            return;
        }
        ensure(4 + 3 * s.length()); // UTF-8 needs at most 3 bytes per char (a surrogate pair: 4 for 2)
        int n = encoder.encode(s, buf, len + 4);
        if (n < 0) {
            bytes(s.getBytes(StandardCharsets.UTF_8));
            return;
        }
        putInt(n);
        len += n;
    }

    /** A text column from bytes that are already valid UTF-8 (the broker's base64 ASCII); null is SQL NULL. */
    void bytes(byte[] utf8) {
        if (utf8 == null) {
            nul();
            return;
        }
        utf8(utf8, 0, utf8.length);
    }

    /** A text column from {@code utf8[from, from + n)}, bytes that are already valid UTF-8 without NUL. */
    void utf8(byte[] utf8, int from, int n) {
        ensure(4 + n);
        putInt(n);
        System.arraycopy(utf8, from, buf, len, n);
        len += n;
    }

    /** A DM's nonce ({@code nonce} true) or ciphertext text as a text column, copied from its payload. */
    void payload(Payload p, boolean nonce) {
        int n = nonce ? p.nonceLength() : p.ciphertextLength();
        ensure(4 + n);
        putInt(n);
        if (nonce) {
            p.getNonce(buf, len);
        } else {
            p.getCiphertext(buf, len);
        }
        len += n;
    }

    /** A {@code timestamptz} column at {@code epochMs}; null is SQL NULL. */
    void timestampOrNull(Long epochMs) {
        if (epochMs == null) {
            nul();
        } else {
            timestamp(epochMs.longValue());
        }
    }

    /** A {@code timestamptz} column at {@code epochMs}. */
    void timestamp(long epochMs) {
        ensure(12);
        putInt(8);
        long micros = (epochMs - PG_EPOCH_MS) * 1_000L;
        for (int shift = 56; shift >= 0; shift -= 8) {
            buf[len++] = (byte) (micros >>> shift);
        }
    }

    /** SQL NULL. */
    void nul() {
        ensure(4);
        putInt(-1);
    }

    /** Sends a finished stream: {@code len} bytes of {@code buf}; returns the rows copied. */
    @FunctionalInterface
    interface Sender {
        long copy(Connection c, String copySql, byte[] buf, int len) throws SQLException;
    }

    /** pgjdbc's COPY protocol on the connection under the pool's proxy. */
    static final Sender PGJDBC = (c, copySql, buf, len) -> {
        CopyIn in = c.unwrap(PGConnection.class).getCopyAPI().copyIn(copySql);
        try {
            in.writeToCopy(buf, 0, len);
            return in.endCopy();
        } finally {
            if (in.isActive()) {
                in.cancelCopy();
            }
        }
    };

    /** Ends the stream (the trailer) and sends it with {@code copySql} on {@code c}; returns the rows copied. */
    long copyIn(Connection c, String copySql, Sender sender) throws SQLException {
        ensure(2);
        putShort(-1);
        return sender.copy(c, copySql, buf, len);
    }

    /** The stream so far (tests). */
    byte[] toByteArray() {
        return Arrays.copyOf(buf, len);
    }

    private void ensure(int more) {
        if (len + more > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + more));
        }
    }

    private void put(byte[] b) {
        ensure(b.length);
        System.arraycopy(b, 0, buf, len, b.length);
        len += b.length;
    }

    private void putShort(int v) {
        buf[len++] = (byte) (v >>> 8);
        buf[len++] = (byte) v;
    }

    private void putInt(int v) {
        putIntAt(len, v);
        len += 4;
    }

    private void putIntAt(int at, int v) {
        buf[at] = (byte) (v >>> 24);
        buf[at + 1] = (byte) (v >>> 16);
        buf[at + 2] = (byte) (v >>> 8);
        buf[at + 3] = (byte) v;
    }
}
