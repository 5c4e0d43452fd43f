package dev.claudemesh.broker.netty.startup;

/**
 * The broker cannot start, for a reason the operator can act on; the message is one line naming the variable or
 * resource (never a secret) and is printed as is, without a stack trace. The exit code tells a supervisor whether
 * to restart: {@link #CONFIGURATION} (2) when only a change of configuration or of the host can fix it,
 * {@link #RUNTIME} (1) when trying again later may work (the database still coming up, the port still held by the
 * previous process).
 */
public final class StartupException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** Exit code: a runtime failure the supervisor should retry. */
    public static final int RUNTIME = 1;
    /** Exit code: a configuration error the supervisor should not retry. */
    public static final int CONFIGURATION = 2;

    private final int exitCode;
    private final String prefix;

    private StartupException(int exitCode, String message, Throwable cause) {
        this(exitCode, exitCode == CONFIGURATION ? "configuration error: " : "startup failed: ", message, cause);
    }

    private StartupException(int exitCode, String prefix, String message, Throwable cause) {
        super(message, cause, false, false);
        this.exitCode = exitCode;
        this.prefix = prefix;
    }

    /** A configuration error (exit 2), e.g. {@code "BROKER_DATA_DIR: '/x' is not a directory"}. */
    public static StartupException configuration(String message) {
        return new StartupException(CONFIGURATION, message, null);
    }

    /** A configuration error (exit 2) with its cause (kept for debugging, never printed by default). */
    public static StartupException configuration(String message, Throwable cause) {
        return new StartupException(CONFIGURATION, message, cause);
    }

    /** A failure worth retrying (exit 1). */
    public static StartupException runtime(String message, Throwable cause) {
        return new StartupException(RUNTIME, message, cause);
    }

    /**
     * A resource this broker needs is held by another live process (exit 2, not retried: a supervisor restarting
     * into the same conflict helps nobody), e.g. the data directory of another broker.
     */
    public static StartupException inUse(String message, Throwable cause) {
        return new StartupException(CONFIGURATION, "error: ", message, cause);
    }

    /** The one line to print: a prefix saying what kind of failure, and the message. */
    public String line() {
        return prefix + getMessage();
    }

    /** {@link #RUNTIME} or {@link #CONFIGURATION}. */
    public int exitCode() {
        return exitCode;
    }
}
