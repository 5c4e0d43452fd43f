package dev.claudemesh.broker.core.testing;

import dev.claudemesh.broker.core.port.Fanout;
import dev.claudemesh.broker.core.port.LoopProvider;
import dev.claudemesh.broker.core.port.MeshLoop;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * A deterministic single "thread" for unit tests: tasks queue up and run when the test calls {@link #runAll};
 * scheduled tasks run when {@link #advance} moves the {@link ManualClock} past their time. Also usable as the
 * executor of fake connections, so everything runs on the test thread.
 */
public final class ManualLoop implements MeshLoop, LoopProvider {

    private final ManualClock clock;
    private final ArrayDeque<Runnable> tasks = new ArrayDeque<>();
    private final List<Timer> timers = new ArrayList<>();
    private Fanout fanout = Fanout.DIRECT;

    private static final class Timer {
        final Runnable task;
        long dueMs;
        final long periodMs;
        boolean cancelled;

        Timer(Runnable task, long dueMs, long periodMs) {
            this.task = task;
            this.dueMs = dueMs;
            this.periodMs = periodMs;
        }
    }

    public ManualLoop(ManualClock clock) {
        this.clock = clock;
    }

    @Override
    public MeshLoop loopFor(String meshId) {
        return this;
    }

    @Override
    public synchronized void execute(Runnable task) {
        tasks.add(task);
    }

    @Override
    public synchronized Cancellable schedule(Runnable task, long delayMs) {
        Timer t = new Timer(task, clock.millis() + delayMs, 0);
        timers.add(t);
        return () -> t.cancelled = true;
    }

    @Override
    public synchronized Cancellable scheduleAtFixedRate(Runnable task, long periodMs) {
        Timer t = new Timer(task, clock.millis() + periodMs, periodMs);
        timers.add(t);
        return () -> t.cancelled = true;
    }

    @Override
    public boolean inLoop() {
        return true;
    }

    /** What {@link #fanout()} hands out from now on (a test's recording one); {@link Fanout#DIRECT} by default. */
    public void useFanout(Fanout fanout) {
        this.fanout = fanout;
    }

    @Override
    public Fanout fanout() {
        return fanout;
    }

    /** Runs queued tasks (and tasks they queue) until none is left. */
    public void runAll() {
        while (true) {
            Runnable r;
            synchronized (this) {
                r = tasks.poll();
            }
            if (r == null) {
                return;
            }
            r.run();
        }
    }

    /** Moves time forward in steps of at most 100 ms, running due timers and queued tasks along the way. */
    public void advance(long ms) {
        runAll();
        long end = clock.millis() + ms;
        while (clock.millis() < end) {
            long step = Math.min(100, end - clock.millis());
            clock.advance(step);
            fireDue();
            runAll();
        }
    }

    private void fireDue() {
        List<Timer> due = new ArrayList<>();
        synchronized (this) {
            timers.removeIf(t -> t.cancelled);
            for (Timer t : timers) {
                if (t.dueMs <= clock.millis()) {
                    due.add(t);
                }
            }
        }
        for (Timer t : due) {
            if (t.cancelled) {
                continue;
            }
            t.task.run();
            if (t.periodMs > 0) {
                t.dueMs += t.periodMs;
            } else {
                t.cancelled = true;
            }
        }
    }
}
