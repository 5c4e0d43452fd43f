package dev.claudemesh.broker.db.store;

/**
 * An admin operation would break a rule of the mesh's current state — revoking or demoting its last admin
 * ({@code BanRules}). Nothing changed. The HTTP layer answers 409; the jar's subcommands exit 1. Immutable.
 */
public final class ConflictException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** Creates the exception; {@code message} says which rule and what to do instead. */
    public ConflictException(String message) {
        super(message);
    }
}
