package dev.claudemesh.broker.core;

/** Source of wall-clock time in epoch milliseconds. Injected everywhere so tests can move time by hand. */
@FunctionalInterface
public interface Clock {

    /** The system clock. */
    Clock SYSTEM = System::currentTimeMillis;

    /** Current time, epoch milliseconds. */
    long millis();
}
