package dev.claudemesh.broker.netty.http;

import dev.claudemesh.broker.db.store.ConflictException;
import dev.claudemesh.broker.db.store.DuplicateException;
import dev.claudemesh.broker.db.store.MeshKeys;
import dev.claudemesh.broker.db.store.NotFoundException;
import io.netty.handler.codec.http.HttpResponseStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.SQLException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * The one classifier of failures behind an HTTP route (STYLE habit 11): what a repository or service threw becomes a
 * status, a message and at most one log line. Stateless.
 */
final class HttpFailures {

    private static final Logger log = LoggerFactory.getLogger(HttpFailures.class);

    /** The classes of failure, each with its status. */
    enum Kind {
        /** The request names a mesh, member or invite that does not exist: 404 with the exception's message. */
        NOT_FOUND(HttpResponseStatus.NOT_FOUND),
        /**
         * It would create a second mesh slug or member key, or break a rule of the mesh's state (its last admin): 409
         * with the exception's message.
         */
        DUPLICATE(HttpResponseStatus.CONFLICT),
        /** A value the service refused: 400 with the exception's message. */
        BAD_INPUT(HttpResponseStatus.BAD_REQUEST),
        /** An owner secret that cannot be decrypted (operator's configuration): 500 naming the mesh, logged. */
        KEY_UNAVAILABLE(HttpResponseStatus.INTERNAL_SERVER_ERROR),
        /** The database cannot be reached or refused the statement: 503 {@code database unavailable}, logged. */
        DATABASE_DOWN(HttpResponseStatus.SERVICE_UNAVAILABLE),
        /** Anything else, a bug: 500 {@code internal error}, logged with its stack trace. */
        INTERNAL(HttpResponseStatus.INTERNAL_SERVER_ERROR);

        final HttpResponseStatus status;

        Kind(HttpResponseStatus status) {
            this.status = status;
        }
    }

    private HttpFailures() {
    }

    /** The failure itself, out of the wrappers that futures put around it. */
    static Throwable unwrap(Throwable error) {
        Throwable e = error;
        while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }

    static Kind kindOf(Throwable error) {
        Throwable e = unwrap(error);
        if (e instanceof NotFoundException) {
            return Kind.NOT_FOUND;
        }
        if (e instanceof DuplicateException || e instanceof ConflictException) {
            return Kind.DUPLICATE;
        }
        if (e instanceof IllegalArgumentException) {
            return Kind.BAD_INPUT;
        }
        if (e instanceof MeshKeys.KeyUnavailableException) {
            return Kind.KEY_UNAVAILABLE;
        }
        return sqlCause(e) != null ? Kind.DATABASE_DOWN : Kind.INTERNAL;
    }

    /**
     * The answer to {@code error} in {@code style}, logged once where the operator should know.
     *
     * @param what the route, for the log line ({@code "admin"}, {@code "join"}, …)
     */
    static Answer answer(Throwable error, ErrorBody style, String what) {
        Throwable e = unwrap(error);
        Kind kind = kindOf(e);
        return switch (kind) {
            case NOT_FOUND, DUPLICATE, BAD_INPUT -> style.answer(kind.status, String.valueOf(e.getMessage()));
            case KEY_UNAVAILABLE -> {
                log.error("{}: {}", what, e.getMessage());
                yield style.answer(kind.status, String.valueOf(e.getMessage()));
            }
            case DATABASE_DOWN -> {
                // the class and SQLState only: a driver message may quote bind values (tokens, keys)
                SQLException sql = sqlCause(e);
                log.warn("{}: database unavailable: {} (SQLState {})", what, sql.getClass().getSimpleName(),
                        sql.getSQLState());
                yield style.answer(kind.status, "database unavailable");
            }
            case INTERNAL -> {
                log.error("{} failed", what, e);
                yield style.answer(kind.status, "internal error");
            }
        };
    }

    /** The first {@link SQLException} in {@code e}'s causes, or null. */
    private static SQLException sqlCause(Throwable e) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof SQLException sql) {
                return sql;
            }
        }
        return null;
    }
}
