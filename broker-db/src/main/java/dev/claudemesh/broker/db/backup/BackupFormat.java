package dev.claudemesh.broker.db.backup;

import java.nio.charset.StandardCharsets;

/**
 * The backup file, version {@value #VERSION}: UTF-8 text, lines ending in {@code \n}.
 * <pre>
 *   claudemesh-broker-backup 1                 {@link #MAGIC}
 *   {"format":1,"schemaVersion":"9",…}         the {@link BackupHeader}, one line of JSON
 *   TABLE mesh 3                               then, per table in the header's order: its name and row count,
 *   &lt;3 lines of COPY text&gt;                       followed by exactly that many rows in PostgreSQL's COPY text
 *   TABLE member 5                             format (one row per line: tabs between columns, \N for null,
 *   …                                          backslash escapes for tab, newline and backslash in values)
 *   END
 *   SHA256 &lt;64 hex digits&gt;                       the SHA-256 of every byte before this line
 * </pre>
 * COPY's text format is the one PostgreSQL keeps readable across major versions ({@code pg_dump}'s plain format
 * uses it too); values are written with {@code DateStyle=ISO}, {@code TimeZone=UTC} and all float digits, so a
 * restore reads back exactly what was written. The checksum catches a truncated or damaged file; it is no signature
 * (anyone who can write the file can recompute it): keep backups where only the operator can write.
 */
public final class BackupFormat {

    /** The file format's version. */
    public static final int VERSION = 1;
    /** The first line. */
    public static final String MAGIC = "claudemesh-broker-backup " + VERSION;
    static final String TABLE = "TABLE ";
    static final String END = "END";
    static final String SHA256 = "SHA256 ";
    /** {@code SHA256 <64 hex>\n}. */
    static final int TRAILER_BYTES = SHA256.length() + 64 + 1;
    /** Longest control line accepted (the header lists every column of every table). */
    static final int MAX_LINE_BYTES = 1 << 20;
    /** Session settings under which rows are written and read back. */
    static final String[] SESSION = {
        "SET LOCAL DateStyle = 'ISO, MDY'",
        "SET LOCAL IntervalStyle = 'postgres'",
        "SET LOCAL TimeZone = 'UTC'",
        "SET LOCAL extra_float_digits = 3",
        "SET LOCAL bytea_output = 'hex'",
    };

    private BackupFormat() {
    }

    static byte[] line(String text) {
        return (text + "\n").getBytes(StandardCharsets.UTF_8);
    }
}
