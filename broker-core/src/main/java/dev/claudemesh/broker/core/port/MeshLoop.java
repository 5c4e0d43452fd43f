package dev.claudemesh.broker.core.port;

import java.util.concurrent.Executor;

/**
 * A single thread that owns the state of some meshes (DESIGN "Data flow" step 3): tasks run one at a time,
 * in submission order. Implemented over a Netty event loop in production and by a manual queue in tests.
 */
public interface MeshLoop extends Executor {

    /** A scheduled task that can be cancelled. */
    interface Cancellable {
        void cancel();
    }

    /** Runs {@code task} on this loop after {@code delayMs}. */
    Cancellable schedule(Runnable task, long delayMs);

    /** Runs {@code task} on this loop every {@code periodMs}, first after {@code periodMs}. */
    Cancellable scheduleAtFixedRate(Runnable task, long periodMs);

    /** True when the caller runs on this loop's thread. */
    boolean inLoop();

    /**
     * The {@link Fanout} for a fan-out made on this loop, to be {@link Fanout#finish() finished} before the task that
     * asked for it ends. A transport may hand out one reused object per loop (no allocation per fan-out); the default
     * sends every frame at once ({@link Fanout#DIRECT}). <b>Thread:</b> this loop only.
     */
    default Fanout fanout() {
        return Fanout.DIRECT;
    }
}
