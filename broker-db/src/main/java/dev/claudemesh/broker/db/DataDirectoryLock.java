package dev.claudemesh.broker.db;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Exclusive ownership of a data directory by one live process: {@code <dir>/broker.lock} holds the owner's process
 * id and an OS file lock ({@link FileChannel#tryLock()}) that the operating system releases when the process ends,
 * however it ends. So a lock file left behind by a {@code kill -9} is never mistaken for a live owner, and a live
 * owner is always recognised.
 *
 * <p>Within one JVM the lock is tracked in a set as well: a second attempt is refused without opening the file
 * again (on POSIX systems closing any descriptor of a file drops the process's locks on it).</p>
 *
 * <p>Owned by the caller that acquired it; {@link #close()} releases it. Thread-safe.</p>
 */
final class DataDirectoryLock implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(DataDirectoryLock.class);

    /** The lock file's name in the data directory. */
    static final String FILE_NAME = "broker.lock";

    private static final Set<Path> HELD_IN_THIS_JVM = ConcurrentHashMap.newKeySet();

    private final Path directory;
    private final FileChannel channel;
    private final FileLock lock;
    private boolean closed;

    private DataDirectoryLock(Path directory, FileChannel channel, FileLock lock) {
        this.directory = directory;
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Takes the lock of {@code directory} (which must exist) and writes this process's id into the lock file.
     *
     * @throws DataDirectoryInUseException when another live process, or this one, holds it
     */
    static DataDirectoryLock acquire(Path directory) {
        Path dir = realPath(directory);
        long self = ProcessHandle.current().pid();
        if (!HELD_IN_THIS_JVM.add(dir)) {
            throw new DataDirectoryInUseException(dir, self, "this process");
        }
        Path file = dir.resolve(FILE_NAME);
        FileChannel channel = null;
        try {
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null; // held through another channel of this JVM that the set did not know about
            }
            if (lock == null) {
                long owner = readPid(channel);
                channel.close();
                HELD_IN_THIS_JVM.remove(dir);
                throw new DataDirectoryInUseException(dir, owner, describe(owner));
            }
            channel.truncate(0);
            channel.write(ByteBuffer.wrap((self + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
            channel.force(true);
            log.debug("locked {} (pid {})", file, self);
            return new DataDirectoryLock(dir, channel, lock);
        } catch (IOException e) {
            HELD_IN_THIS_JVM.remove(dir);
            if (channel != null) {
                try {
                    channel.close();
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw new UncheckedIOException("BROKER_DATA_DIR " + dir + ": cannot lock " + file + ": " + e.getMessage(),
                    e);
        }
    }

    /** The locked directory (real path). */
    Path directory() {
        return directory;
    }

    /** Releases the lock and leaves the file (its content is only read while someone holds the lock). */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            lock.release();
            channel.close();
        } catch (IOException e) {
            log.warn("cannot release {}: {}", directory.resolve(FILE_NAME), e.toString());
        } finally {
            HELD_IN_THIS_JVM.remove(directory);
        }
    }

    private static Path realPath(Path directory) {
        try {
            return directory.toRealPath();
        } catch (IOException e) {
            throw new UncheckedIOException("BROKER_DATA_DIR " + directory + ": " + e.getMessage(), e);
        }
    }

    private static long readPid(FileChannel channel) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(32);
        channel.read(buf, 0);
        String text = new String(buf.array(), 0, buf.position(), StandardCharsets.US_ASCII).strip();
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            return -1; // the owner has locked but not yet written its pid
        }
    }

    /** The owner's command, e.g. {@code java}, when the system tells it. */
    private static String describe(long pid) {
        if (pid <= 0) {
            return null;
        }
        Optional<ProcessHandle> handle = ProcessHandle.of(pid);
        return handle.flatMap(h -> h.info().command()).map(c -> Path.of(c).getFileName().toString()).orElse(null);
    }
}
