package dev.claudemesh.broker.db.writer;

import dev.claudemesh.broker.core.port.PressureListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Back-pressure on or off, and the listeners told when it flips: shared by the single writer (water marks over its
 * backlog) and the sharded one (on while any shard is). {@link #update} decides and notifies under one lock, so
 * listeners hear strictly alternating {@code true}/{@code false}, in order. Thread-safe; listeners run on the
 * updating thread and must not block.
 */
final class Pressure {

    /** The next state, given the current one (a hysteresis needs the current state). */
    @FunctionalInterface
    interface Rule {
        boolean next(boolean on);
    }

    private static final Logger log = LoggerFactory.getLogger(Pressure.class);

    private final List<PressureListener> listeners = new CopyOnWriteArrayList<>();
    private final Object lock = new Object();
    private volatile boolean on;

    void addListener(PressureListener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    /** True while pressure is on. */
    boolean on() {
        return on;
    }

    /** Applies {@code rule}; when the state flips, tells every listener (one that throws is logged and skipped). */
    void update(Rule rule) {
        synchronized (lock) {
            boolean next = rule.next(on);
            if (next == on) {
                return;
            }
            on = next;
            for (PressureListener l : listeners) {
                try {
                    l.pressureChanged(next);
                } catch (RuntimeException e) {
                    log.error("pressure listener failed", e);
                }
            }
        }
    }
}
