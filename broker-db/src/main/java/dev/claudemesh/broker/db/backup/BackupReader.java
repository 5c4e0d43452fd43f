package dev.claudemesh.broker.db.backup;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Objects;

/**
 * Reads a backup file ({@link BackupFormat}): {@link #verify} checks the whole file against its checksum before
 * anything is restored; an open reader then walks it once, table by table, handing each table's rows on as raw
 * COPY text, and computes the checksum again as it goes ({@link #finish()}), so a file changed between the two reads
 * is caught too. The file is read through a buffer of its own: a table's rows are found by counting line ends, the
 * one character COPY's text format never leaves unescaped inside a row.
 *
 * <p>Owns its file handle; not thread-safe.</p>
 */
public final class BackupReader implements Closeable {

    /** Receives a table's rows, a chunk at a time. */
    @FunctionalInterface
    public interface RowSink {
        void write(byte[] buf, int off, int len) throws Exception;
    }

    private final InputStream in;
    private final MessageDigest sha = BackupWriter.sha256();
    private final byte[] buf = new byte[1 << 16];
    private int pos;
    private int lim;
    private final BackupHeader header;

    private BackupReader(InputStream in) throws IOException {
        this.in = in;
        String magic = readLine();
        if (!BackupFormat.MAGIC.equals(magic)) {
            throw new BackupException("not a claudemesh-broker backup of format " + BackupFormat.VERSION
                    + " (first line: '" + printable(magic) + "')");
        }
        this.header = BackupHeader.parse(readLine());
        if (header.format() != BackupFormat.VERSION) {
            throw new BackupException("backup format " + header.format() + " (expected: " + BackupFormat.VERSION + ")");
        }
    }

    /**
     * Checks that {@code file} is a backup whose checksum matches its content; returns its header.
     *
     * @throws BackupException when it is not a backup, or damaged
     */
    public static BackupHeader verify(Path file) throws IOException {
        long size = Files.size(file);
        if (size < BackupFormat.TRAILER_BYTES + BackupFormat.MAGIC.length() + 1) {
            throw new BackupException(file + " is not a claudemesh-broker backup (" + size + " bytes)");
        }
        MessageDigest sha = BackupWriter.sha256();
        byte[] trailer = new byte[BackupFormat.TRAILER_BYTES];
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(1 << 16);
            long body = size - BackupFormat.TRAILER_BYTES;
            for (long done = 0; done < body; ) {
                b.clear().limit((int) Math.min(b.capacity(), body - done));
                int n = ch.read(b, done);
                if (n < 0) {
                    throw new BackupException(file + " shrank while it was read");
                }
                sha.update(b.array(), 0, n);
                done += n;
            }
            ByteBuffer t = ByteBuffer.wrap(trailer);
            while (t.hasRemaining()) {
                if (ch.read(t, body + t.position()) < 0) {
                    throw new BackupException(file + " shrank while it was read");
                }
            }
        }
        String expected = new String(trailer, StandardCharsets.US_ASCII);
        String actual = BackupFormat.SHA256 + HexFormat.of().formatHex(sha.digest()) + "\n";
        if (!expected.startsWith(BackupFormat.SHA256) || !expected.endsWith("\n")) {
            throw new BackupException(file + " has no checksum line at its end: it is truncated or not a backup");
        }
        if (!expected.equals(actual)) {
            throw new BackupException(file + " is damaged: its SHA-256 is " + actual.substring(7, 71) + ", its last "
                    + "line says " + printable(expected.substring(7, 71)) + " (checksum mismatch)");
        }
        try (BackupReader r = open(file)) {
            return r.header();
        }
    }

    /** Opens {@code file} and reads its first two lines. */
    public static BackupReader open(Path file) throws IOException {
        Objects.requireNonNull(file, "file");
        InputStream in = Files.newInputStream(file);
        try {
            return new BackupReader(in);
        } catch (IOException | RuntimeException e) {
            in.close();
            throw e;
        }
    }

    /** The header. */
    public BackupHeader header() {
        return header;
    }

    /**
     * Reads the next {@code TABLE} line, which must name {@code expected} with its header row count, and hands
     * exactly those rows to {@code sink}.
     *
     * @return the bytes handed on
     */
    public long copyTable(BackupHeader.Table expected, RowSink sink) throws Exception {
        String line = readLine();
        String want = BackupFormat.TABLE + expected.name() + " " + expected.rows();
        if (!want.equals(line)) {
            throw new BackupException("backup: expected '" + want + "', found '" + printable(line) + "'");
        }
        long bytes = 0;
        for (long rows = expected.rows(); rows > 0; ) {
            if (pos == lim && !fill()) {
                throw new BackupException("backup: table " + expected.name() + " ends early (truncated file)");
            }
            int start = pos;
            while (pos < lim && rows > 0) {
                if (buf[pos++] == '\n') {
                    rows--;
                }
            }
            sink.write(buf, start, pos - start);
            sha.update(buf, start, pos - start);
            bytes += pos - start;
        }
        return bytes;
    }

    /**
     * Reads the {@code END} and checksum lines after the last table and checks the checksum of what this reader
     * read.
     */
    public void finish() throws IOException {
        String end = readLine();
        if (!BackupFormat.END.equals(end)) {
            throw new BackupException("backup: expected 'END', found '" + printable(end) + "'");
        }
        String actual = HexFormat.of().formatHex(sha.digest());
        String trailer = readLineUnhashed();
        if (!(BackupFormat.SHA256 + actual).equals(trailer)) {
            throw new BackupException("backup: checksum mismatch at the second read (the file changed while it was "
                    + "restored)");
        }
        if (pos < lim || in.read() >= 0) {
            throw new BackupException("backup: bytes after the checksum line");
        }
    }

    /** A control line, hashed like the rows. */
    private String readLine() throws IOException {
        byte[] raw = readRawLine();
        sha.update(raw);
        sha.update((byte) '\n');
        return new String(raw, StandardCharsets.UTF_8);
    }

    /** The checksum line, which is not part of what it sums. */
    private String readLineUnhashed() throws IOException {
        return new String(readRawLine(), StandardCharsets.UTF_8);
    }

    /** The bytes up to the next line end (consumed, not returned). */
    private byte[] readRawLine() throws IOException {
        ByteArrayOutputStream acc = new ByteArrayOutputStream();
        while (true) {
            if (pos == lim && !fill()) {
                throw new BackupException("backup: the file ends in the middle of a line (truncated)");
            }
            int start = pos;
            while (pos < lim && buf[pos] != '\n') {
                pos++;
            }
            acc.write(buf, start, pos - start);
            if (acc.size() > BackupFormat.MAX_LINE_BYTES) {
                throw new BackupException("backup: a line longer than " + BackupFormat.MAX_LINE_BYTES + " bytes");
            }
            if (pos < lim) {
                pos++; // the line end
                return acc.toByteArray();
            }
        }
    }

    private boolean fill() throws IOException {
        int n = in.read(buf, 0, buf.length);
        if (n <= 0) {
            return false;
        }
        pos = 0;
        lim = n;
        return true;
    }

    private static String printable(String s) {
        if (s == null) {
            return "";
        }
        String t = s.length() > 80 ? s.substring(0, 80) + "…" : s;
        return t.replaceAll("[^\\x20-\\x7e…]", "?");
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
