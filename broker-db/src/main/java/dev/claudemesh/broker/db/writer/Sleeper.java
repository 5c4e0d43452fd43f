package dev.claudemesh.broker.db.writer;

import java.util.concurrent.TimeUnit;

/**
 * How the writer waits between attempts at a failed batch. Injected so that tests can drive retries without waiting
 * (record the waits, or hold the writer until the test lets it go); the broker uses {@link #SYSTEM}. Called on the
 * writer thread only; must return early, with {@link InterruptedException}, when that thread is interrupted
 * ({@link PgDurableLog#close()} interrupts a writer that cannot drain).
 */
@FunctionalInterface
public interface Sleeper {

    /** Real time. */
    Sleeper SYSTEM = TimeUnit.MILLISECONDS::sleep;

    /** Waits about {@code ms} milliseconds. */
    void sleep(long ms) throws InterruptedException;
}
