package dev.claudemesh.broker.core.mesh;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * Runs tasks one at a time, in submission order, on a shared executor (the storage pool): one per mesh, so that a
 * mesh's storage calls apply in the order its loop made them while meshes run in parallel. Runs a few tasks per turn
 * on the pool, then yields the thread. Thread-safe; a task that throws is logged and the next one runs.
 */
final class SerialExecutor implements Executor {

    private static final Logger log = LoggerFactory.getLogger(SerialExecutor.class);
    /** Tasks run per turn on the pool before yielding it to other meshes. */
    private static final int TASKS_PER_TURN = 16;

    private final Executor pool;
    private final ArrayDeque<Runnable> tasks = new ArrayDeque<>();
    private final Runnable turn = this::runTurn;
    /** Guarded by {@code this}: a turn is submitted to the pool or running. */
    private boolean scheduled;

    SerialExecutor(Executor pool) {
        this.pool = pool;
    }

    @Override
    public void execute(Runnable task) {
        synchronized (this) {
            tasks.add(task);
            if (scheduled) {
                return;
            }
            scheduled = true;
        }
        schedule();
    }

    private void schedule() {
        try {
            pool.execute(turn);
        } catch (RejectedExecutionException e) {
            synchronized (this) {
                scheduled = false;
                tasks.clear();
            }
            throw e;
        }
    }

    private void runTurn() {
        for (int i = 0; i < TASKS_PER_TURN; i++) {
            Runnable task;
            synchronized (this) {
                task = tasks.poll();
                if (task == null) {
                    scheduled = false;
                    return;
                }
            }
            try {
                task.run();
            } catch (RuntimeException e) {
                log.error("storage task failed", e);
            }
        }
        schedule();
    }
}
