package dev.claudemesh.broker.db.store;

/** An admin operation names a mesh (or member) that does not exist. The HTTP layer answers 404. Immutable. */
public final class NotFoundException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** Creates the exception; {@code message} names what is missing. */
    public NotFoundException(String message) {
        super(message);
    }
}
