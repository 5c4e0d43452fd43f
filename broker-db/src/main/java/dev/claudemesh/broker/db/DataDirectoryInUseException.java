package dev.claudemesh.broker.db;

import java.nio.file.Path;
import java.util.Objects;

/**
 * The embedded database's data directory is held by another live process (a broker, or a CLI subcommand using the
 * embedded database): starting a second server on it would corrupt it, so the start is refused at once. A resource in
 * use, like a port already bound: the process exits with the configuration-error status (2) and this one-line
 * message.
 */
public final class DataDirectoryInUseException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    private final transient Path directory;
    private final long ownerPid;

    /**
     * @param directory  the data directory
     * @param ownerPid   the holder's process id as it wrote it into the lock file, or -1 when unknown
     * @param ownerWhat  what that process is (e.g. its command), or null when unknown
     */
    public DataDirectoryInUseException(Path directory, long ownerPid, String ownerWhat) {
        super(message(Objects.requireNonNull(directory, "directory"), ownerPid, ownerWhat));
        this.directory = directory;
        this.ownerPid = ownerPid;
    }

    /** The data directory. */
    public Path directory() {
        return directory;
    }

    /** The holder's process id, or -1 when unknown. */
    public long ownerPid() {
        return ownerPid;
    }

    private static String message(Path directory, long pid, String what) {
        String owner = pid > 0 ? "process " + pid + (what == null ? "" : " (" + what + ")") : "another process";
        return "BROKER_DATA_DIR " + directory + " is in use by " + owner + "; stop it first, or give this broker "
                + "another BROKER_DATA_DIR (or a DATABASE_URL)";
    }
}
