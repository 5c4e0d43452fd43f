package dev.claudemesh.broker.db.store;

/**
 * An admin operation would create a second mesh with one slug, or a second member with one public key in a mesh.
 * The HTTP layer answers 409. Immutable.
 */
public final class DuplicateException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** Creates the exception; {@code message} names what is duplicated, never a secret. */
    public DuplicateException(String message, Throwable cause) {
        super(message, cause);
    }
}
