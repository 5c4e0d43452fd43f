package dev.claudemesh.broker.core.mesh;

import dev.claudemesh.broker.core.port.Fanout;
import dev.claudemesh.broker.core.port.MeshLoop;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The loop of one mesh as its state and its services use it: the broker's loop, plus the means to stop every timer
 * of the mesh at once when the mesh is deleted ({@link #close()}). Periodic tasks are tracked and cancelled then;
 * one-shot tasks still due check the closed flag and do nothing. {@link #execute} passes straight through (tasks
 * queued for a deleted mesh find it deleted). Thread-safe.
 */
final class ScopedLoop implements MeshLoop {

    private final MeshLoop loop;
    /** Periodic tasks not cancelled yet; guarded by {@code this}. */
    private final List<Cancellable> periodic = new ArrayList<>();
    private volatile boolean closed;

    ScopedLoop(MeshLoop loop) {
        this.loop = Objects.requireNonNull(loop, "loop");
    }

    @Override
    public void execute(Runnable task) {
        loop.execute(task);
    }

    @Override
    public Cancellable schedule(Runnable task, long delayMs) {
        Objects.requireNonNull(task, "task");
        return loop.schedule(() -> {
            if (!closed) {
                task.run();
            }
        }, delayMs);
    }

    @Override
    public Cancellable scheduleAtFixedRate(Runnable task, long periodMs) {
        Objects.requireNonNull(task, "task");
        synchronized (this) {
            if (closed) {
                return () -> { };
            }
            Cancellable inner = loop.scheduleAtFixedRate(() -> {
                if (!closed) {
                    task.run();
                }
            }, periodMs);
            Cancellable[] self = new Cancellable[1];
            self[0] = () -> {
                inner.cancel();
                synchronized (this) {
                    periodic.remove(self[0]);
                }
            };
            periodic.add(self[0]);
            return self[0];
        }
    }

    @Override
    public boolean inLoop() {
        return loop.inLoop();
    }

    @Override
    public Fanout fanout() {
        return loop.fanout();
    }

    /** Cancels every periodic task and disarms every pending one-shot; later timers are no-ops. Idempotent. */
    void close() {
        List<Cancellable> all;
        synchronized (this) {
            closed = true;
            all = new ArrayList<>(periodic);
            periodic.clear();
        }
        for (Cancellable c : all) {
            c.cancel();
        }
    }

    /** Periodic tasks still armed (tests). */
    synchronized int periodicTasks() {
        return periodic.size();
    }
}
