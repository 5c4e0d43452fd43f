package dev.claudemesh.broker.db.backup;

import dev.claudemesh.broker.db.Migrator;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;

/**
 * Writes a backup ({@link BackupFormat}) of a live database: one {@code REPEATABLE READ, READ ONLY} transaction sees
 * every table at the same instant, so the file is consistent while a broker keeps writing (its writer commits whole
 * batches; a DM and its audit row are in the file together or not at all). The row counts of the header are taken in
 * that snapshot, then each table is streamed with {@code COPY … TO STDOUT} into the file. The reading transaction
 * takes no lock that a broker's writes wait for (it only keeps vacuum from removing rows it can still see while it
 * runs).
 *
 * <p>The file is written next to its destination as a temporary file with permissions 0600 — it holds the meshes'
 * ciphertexts, owner keys (encrypted when {@code BROKER_ENCRYPTION_KEY} is set, else in clear), invite and API key
 * material — synced, then renamed over the destination, so a crash never leaves a half-written backup under the
 * destination's name. Stateless; blocking.</p>
 */
public final class BackupWriter {

    private static final boolean POSIX = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");

    private BackupWriter() {
    }

    /**
     * What was written.
     *
     * @param header the file's header
     * @param bytes  the file's size
     * @param sha256 the checksum in its last line (hex)
     */
    public record Result(BackupHeader header, long bytes, String sha256) {
    }

    /**
     * Backs up schema {@code mesh} of the database behind {@code c} into {@code file} (replaced atomically if it
     * exists). Leaves {@code c} in auto-commit mode.
     *
     * @param producer what writes the file, e.g. {@code claudemesh-broker 0.2.0 (commit abc)}
     * @throws BackupException when the database holds no broker schema
     */
    public static Result write(Connection c, Path file, String producer) throws SQLException, IOException {
        Objects.requireNonNull(c, "c");
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(producer, "producer");
        Path target = file.toAbsolutePath().normalize();
        Path dir = target.getParent();
        Files.createDirectories(dir);
        Path tmp = POSIX
                ? Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))
                : Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp");
        boolean done = false;
        try {
            Result r;
            c.setAutoCommit(false);
            try {
                r = snapshotInto(c, tmp, producer);
            } finally {
                c.rollback(); // read only: nothing to commit
                c.setAutoCommit(true);
            }
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            syncDirectory(dir);
            done = true;
            return r;
        } finally {
            if (!done) {
                Files.deleteIfExists(tmp);
            }
        }
    }

    private static Result snapshotInto(Connection c, Path tmp, String producer) throws SQLException, IOException {
        try (Statement st = c.createStatement()) {
            // the first statement of the transaction: the snapshot is taken by the first query after it
            st.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
            for (String s : BackupFormat.SESSION) {
                st.execute(s);
            }
        }
        String mode = SchemaCatalog.single(c, "SELECT current_setting('transaction_isolation') || ',' || "
                + "current_setting('transaction_read_only')");
        if (!"repeatable read,on".equals(mode)) {
            throw new IllegalStateException("backup transaction runs as " + mode + " (expected: repeatable read,on)");
        }
        String version = Migrator.recordedVersion(c);
        if (version == null) {
            throw new BackupException("the database has no broker schema (no " + SchemaCatalog.SCHEMA + "."
                    + Migrator.HISTORY_TABLE + "): nothing to back up");
        }
        List<BackupHeader.Table> tables = new ArrayList<>();
        for (String t : SchemaCatalog.tablesInRestoreOrder(c)) {
            tables.add(new BackupHeader.Table(t, SchemaCatalog.columns(c, t), SchemaCatalog.count(c, t)));
        }
        // read after the snapshot: a sequence is not transactional, so its value is at least every id in the file
        List<BackupHeader.Sequence> sequences = SchemaCatalog.sequences(c);
        BackupHeader header = new BackupHeader(BackupFormat.VERSION, Instant.now().toString(), version, producer,
                SchemaCatalog.single(c, "SHOW server_version"), tables, sequences);

        MessageDigest sha = sha256();
        CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
        try (OutputStream file = Files.newOutputStream(tmp, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
             CountingOutputStream counted = new CountingOutputStream(new BufferedOutputStream(file, 1 << 16));
             DigestOutputStream out = new DigestOutputStream(counted, sha)) {
            out.write(BackupFormat.line(BackupFormat.MAGIC));
            out.write(BackupFormat.line(header.toJson()));
            for (BackupHeader.Table t : tables) {
                out.write(BackupFormat.line(BackupFormat.TABLE + t.name() + " " + t.rows()));
                long copied = copy.copyOut(SchemaCatalog.copyTarget(t.name(), t.columns()) + "TO STDOUT", out);
                if (copied != t.rows()) {
                    throw new IllegalStateException("table " + t.name() + ": " + t.rows() + " rows counted, "
                            + copied + " copied in the same snapshot");
                }
            }
            out.write(BackupFormat.line(BackupFormat.END));
            out.on(false);
            String hex = HexFormat.of().formatHex(sha.digest());
            out.write(BackupFormat.line(BackupFormat.SHA256 + hex));
            out.flush();
            return new Result(header, counted.count, hex);
        }
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** Makes the rename durable (POSIX); best effort where a directory cannot be opened. */
    private static void syncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // Windows cannot open a directory; the rename itself has happened
        }
    }

    /** Counts the bytes that reach the file. */
    private static final class CountingOutputStream extends java.io.FilterOutputStream {
        long count;

        CountingOutputStream(OutputStream out) {
            super(out);
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count += len;
        }
    }
}
