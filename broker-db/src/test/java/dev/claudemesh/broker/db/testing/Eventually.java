package dev.claudemesh.broker.db.testing;

import java.time.Duration;
import java.util.Objects;
import java.util.function.BooleanSupplier;

/**
 * Bounded polling for integration tests that wait on another thread or process (a writer retrying, a database
 * coming back). Never for unit tests, which advance an injected clock instead.
 */
public final class Eventually {

    private static final long POLL_MS = 20;

    private Eventually() {
    }

    /**
     * Polls {@code condition} until it holds, failing with {@code what} after {@code timeout}.
     *
     * @throws AssertionError when the condition does not hold in time
     */
    public static void await(Duration timeout, String what, BooleanSupplier condition) {
        Objects.requireNonNull(condition, "condition");
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out after " + timeout.toMillis() + " ms waiting for: " + what);
            }
            try {
                Thread.sleep(POLL_MS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for: " + what, e);
            }
        }
    }
}
