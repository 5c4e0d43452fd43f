package dev.claudemesh.broker.core.testing;

import dev.claudemesh.broker.core.port.MeshLoop;

/**
 * A loop that runs each task at once on the calling thread; timers never fire. It keeps every default of
 * {@link MeshLoop} (its fan-out is {@code Fanout.DIRECT}). For benchmarks and tests that need no scheduling.
 */
public final class InlineLoop implements MeshLoop {
    @Override
    public void execute(Runnable task) {
        task.run();
    }

    @Override
    public Cancellable schedule(Runnable task, long delayMs) {
        return () -> { };
    }

    @Override
    public Cancellable scheduleAtFixedRate(Runnable task, long periodMs) {
        return () -> { };
    }

    @Override
    public boolean inLoop() {
        return true;
    }
}
