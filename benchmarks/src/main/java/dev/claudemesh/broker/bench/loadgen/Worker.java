package dev.claudemesh.broker.bench.loadgen;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import org.HdrHistogram.Histogram;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * What one client event loop owns during a traffic run: its peers, its send ticker, its random source and its
 * latency histograms (recorded only on this loop, merged after the run). Loop-confined.
 */
final class Worker {

    static final long MAX_MICROS = TimeUnit.MINUTES.toMicros(10);

    final EventLoop loop;
    final List<Peer> peers = new ArrayList<>();
    final SplittableRandom random;
    /** send → push, microseconds, recorded by the recipient's loop. */
    final Histogram pushMicros = new Histogram(MAX_MICROS, 3);
    /** send → ack, microseconds, recorded by the sender's loop. */
    final Histogram ackMicros = new Histogram(MAX_MICROS, 3);
    ScheduledFuture<?> ticker;
    /** Set when the run stops sending: the ticker no longer reschedules itself. */
    boolean stopped;
    /** A flush of this loop's peers is queued (closed-loop refills from completions). */
    boolean flushScheduled;

    Worker(EventLoop loop, long seed) {
        this.loop = loop;
        this.random = new SplittableRandom(seed);
    }

    static void record(Histogram h, long nanos) {
        h.recordValue(Math.min(MAX_MICROS, Math.max(0, nanos / 1_000)));
    }
}
