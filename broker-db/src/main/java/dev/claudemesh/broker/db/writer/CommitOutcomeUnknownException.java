package dev.claudemesh.broker.db.writer;

import java.sql.SQLException;

/**
 * A batch's COMMIT failed, so whether it committed is unknown (the connection may have broken after the server
 * committed). Carries the driver's failure as its cause and SQL state.
 */
final class CommitOutcomeUnknownException extends SQLException {

    private static final long serialVersionUID = 1L;

    CommitOutcomeUnknownException(Exception cause) {
        super(cause.getMessage(), cause instanceof SQLException s ? s.getSQLState() : null, cause);
    }
}
