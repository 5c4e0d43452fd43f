package dev.claudemesh.broker.core.port;

/**
 * Told when the {@link DurableLog}'s backlog crosses its water marks: {@code true} above the high-water mark (stop
 * reading from peers), {@code false} once it is back below the low-water mark. Called on the writer thread or on a
 * submitting thread; must be short and must not block.
 */
@FunctionalInterface
public interface PressureListener {

    void pressureChanged(boolean aboveHighWater);
}
