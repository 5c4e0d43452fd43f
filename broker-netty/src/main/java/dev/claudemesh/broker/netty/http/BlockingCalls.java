package dev.claudemesh.broker.netty.http;

import io.netty.handler.codec.http.HttpResponseStatus;

import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Supplier;

/**
 * Runs a route's blocking work (JDBC) off the event loop and answers with its result: the one place where an HTTP
 * route leaves the loop. A failure is answered by the one classifier ({@link HttpFailures}: not found 404, duplicate
 * 409, bad input 400, database down 503, anything else 500 logged once), in the route's {@link ErrorBody}; a pool that
 * no longer takes work (shutting down) is 503 {@code shutting down}. Thread-safe; one instance serves every route.
 */
public final class BlockingCalls {

    private final Executor blocking;

    /** @param blocking the pool for blocking work; never an event loop */
    public BlockingCalls(Executor blocking) {
        this.blocking = Objects.requireNonNull(blocking, "blocking");
    }

    /**
     * Runs {@code work} on the blocking pool and sends its answer.
     *
     * @param what the route, for log lines
     */
    public void run(HttpExchange x, ErrorBody style, String what, Supplier<Answer> work) {
        runAsync(x, style, what, () -> CompletableFuture.completedFuture(work.get()));
    }

    /**
     * Runs {@code work} on the blocking pool and sends the answer its stage completes with, from whichever thread
     * completes it (e.g. a mesh loop that answers after a lookup).
     */
    public void runAsync(HttpExchange x, ErrorBody style, String what,
                         Supplier<? extends CompletionStage<Answer>> work) {
        try {
            blocking.execute(() -> {
                CompletionStage<Answer> answer;
                try {
                    answer = work.get();
                } catch (RuntimeException e) {
                    answer = CompletableFuture.failedFuture(e);
                }
                complete(x, style, what, answer);
            });
        } catch (RejectedExecutionException e) {
            x.send(style.answer(HttpResponseStatus.SERVICE_UNAVAILABLE, "shutting down"));
        }
    }

    /** Sends the answer {@code answer} completes with, or the classified failure. Any thread; does not block. */
    public static void complete(HttpExchange x, ErrorBody style, String what, CompletionStage<Answer> answer) {
        answer.whenComplete((a, error) -> x.send(error == null ? a : HttpFailures.answer(error, style, what)));
    }
}
