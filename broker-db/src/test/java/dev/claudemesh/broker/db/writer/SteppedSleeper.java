package dev.claudemesh.broker.db.writer;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A {@link Sleeper} for tests: records every wait the writer asks for and, when gated, holds the writer in it until
 * the test lets it go ({@link #step}), so that a test decides when each retry happens instead of waiting for it.
 * Interruptible, as the writer's sleeper must be.
 */
final class SteppedSleeper implements Sleeper {

    private final List<Long> requestedMs = new CopyOnWriteArrayList<>();
    private final Semaphore asked = new Semaphore(0);
    private final Semaphore permits = new Semaphore(0);
    private volatile boolean open;

    private SteppedSleeper(boolean open) {
        this.open = open;
    }

    /** Returns at once from every wait (records it). */
    static SteppedSleeper instant() {
        return new SteppedSleeper(true);
    }

    /** Holds the writer in every wait until {@link #step} or {@link #open}. */
    static SteppedSleeper gated() {
        return new SteppedSleeper(false);
    }

    @Override
    public void sleep(long ms) throws InterruptedException {
        requestedMs.add(ms);
        asked.release();
        if (!open) {
            permits.acquire();
        }
    }

    /** Waits (bounded) until the writer has asked for its next wait, i.e. an attempt has failed. */
    void awaitRequest(Duration timeout) throws InterruptedException {
        assertThat(asked.tryAcquire(timeout.toMillis(), TimeUnit.MILLISECONDS))
                .as("the writer asked to wait within %s", timeout).isTrue();
    }

    /** Ends the wait the writer is in (or its next one). */
    void step() {
        permits.release();
    }

    /** Stops holding the writer: this wait and every later one return at once. */
    void open() {
        open = true;
        permits.release(1_000_000);
    }

    /** The waits asked for so far, in order. */
    List<Long> requestedMs() {
        return List.copyOf(requestedMs);
    }
}
