package dev.claudemesh.broker.bench.loadgen;

import io.netty.buffer.ByteBuf;
import org.HdrHistogram.Histogram;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntFunction;

/**
 * Opens many peers with at most {@code concurrency} connections in progress (TCP + upgrade + hello) at a time, and
 * measures it: hello latency from connect start to {@code hello_ack}, and completed hellos per second. After a peer
 * is ready its frames go to {@link #then}, once a run sets it (frames before that, e.g. {@code peer_joined}
 * system events during the ramp, are counted and dropped).
 *
 * <p>Threads: {@link #openAll} runs on the caller's thread (it may sign hellos there, off the event loops); the
 * {@link ClientTransport.Events} methods run on the peers' loops.</p>
 */
final class Connector implements ClientTransport.Events {

    private final ClientTransport transport;
    private final Semaphore slots;
    private final Histogram helloLatencyMicros = new Histogram(TimeUnit.MINUTES.toMicros(10), 3);
    private final LongAdder readyCount = new LongAdder();
    private final LongAdder failedCount = new LongAdder();
    private final LongAdder droppedFrames = new LongAdder();
    private final AtomicLong lastReadyNanos = new AtomicLong();
    private final Map<String, LongAdder> failures = new ConcurrentHashMap<>();
    private CountDownLatch done;
    volatile ClientTransport.Events then;
    long startNanos;

    Connector(ClientTransport transport, int concurrency) {
        this.transport = transport;
        this.slots = new Semaphore(concurrency);
    }

    /**
     * Opens every peer of {@code peers}; {@code hello} gives peer i's hello frame (null: none, the relay). Returns
     * when every peer is ready or failed, or after {@code timeoutMs}; true when all are ready.
     */
    boolean openAll(List<Peer> peers, IntFunction<URI> uri, IntFunction<String> hello, long timeoutMs)
            throws InterruptedException {
        done = new CountDownLatch(peers.size());
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        startNanos = System.nanoTime();
        for (Peer p : peers) {
            long left = deadline - System.nanoTime();
            if (left <= 0 || !slots.tryAcquire(left, TimeUnit.NANOSECONDS)) {
                break;
            }
            transport.connect(uri.apply(p.index), p, hello == null ? null : hello.apply(p.index), this);
        }
        long left = deadline - System.nanoTime();
        return done.await(Math.max(0, left), TimeUnit.NANOSECONDS) && failedCount.sum() == 0;
    }

    @Override
    public void ready(Peer p) {
        long now = System.nanoTime();
        synchronized (helloLatencyMicros) {
            helloLatencyMicros.recordValue(Math.min(helloLatencyMicros.getHighestTrackableValue(),
                    Math.max(0, (now - p.connectStartNanos) / 1_000)));
        }
        lastReadyNanos.accumulateAndGet(now, Math::max);
        readyCount.increment();
        slots.release();
        done.countDown();
    }

    @Override
    public void failed(Peer p, String why) {
        failedCount.increment();
        String key = why.length() > 160 ? why.substring(0, 160) : why;
        failures.computeIfAbsent(key, k -> new LongAdder()).increment();
        slots.release();
        done.countDown();
    }

    @Override
    public void frame(Peer p, ByteBuf content) {
        ClientTransport.Events t = then;
        if (t != null) {
            t.frame(p, content);
        } else {
            droppedFrames.increment();
        }
    }

    @Override
    public void readComplete(Peer p) {
        ClientTransport.Events t = then;
        if (t != null) {
            t.readComplete(p);
        }
    }

    @Override
    public void closed(Peer p) {
        ClientTransport.Events t = then;
        if (t != null) {
            t.closed(p);
        } else {
            failures.computeIfAbsent("closed while idle" + (p.closeReason == null ? "" : " (" + p.closeReason + ")"),
                    k -> new LongAdder()).increment();
        }
    }

    long ready() {
        return readyCount.sum();
    }

    long failed() {
        return failedCount.sum();
    }

    /** Ready hellos per second from the first connect to the last hello_ack. */
    double hellosPerSec() {
        long span = lastReadyNanos.get() - startNanos;
        return span <= 0 ? 0 : readyCount.sum() * 1e9 / span;
    }

    double spanSeconds() {
        long span = lastReadyNanos.get() - startNanos;
        return Math.max(0, span) / 1e9;
    }

    Histogram helloLatency() {
        synchronized (helloLatencyMicros) {
            return helloLatencyMicros.copy();
        }
    }

    Map<String, LongAdder> failures() {
        return failures;
    }
}
