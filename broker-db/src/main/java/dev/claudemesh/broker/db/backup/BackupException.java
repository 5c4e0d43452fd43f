package dev.claudemesh.broker.db.backup;

/**
 * A backup cannot be written or restored for a reason the operator can act on: a damaged or foreign file (checksum,
 * format), a backup of a newer schema than this broker knows, a target that is not empty. The message is one line,
 * meant to be printed as it is; it never contains row data.
 */
public final class BackupException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public BackupException(String message) {
        super(message);
    }

    public BackupException(String message, Throwable cause) {
        super(message, cause);
    }
}
