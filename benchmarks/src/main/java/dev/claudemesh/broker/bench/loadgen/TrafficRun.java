package dev.claudemesh.broker.bench.loadgen;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import org.HdrHistogram.Histogram;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * The message scenarios: {@code dm}, {@code broadcast}, {@code group} against the broker, and {@code relay}
 * against the bare relay. Each event loop runs a ticker that sends what is due:
 * in open loop every peer sends at fixed intervals and each message carries its intended send time, so latency is
 * measured from when it should have gone out (no coordinated omission); in closed loop every peer keeps
 * {@code window} messages in flight (a message is complete when its ack and all its pushes arrived; for the relay,
 * its push). Recipients {@code client_ack} every DM push. Every message id is checked against the
 * {@link MessageTable}.
 *
 * <p>Threads: {@link #run} on the caller's thread; everything else on the peers' loops.</p>
 */
final class TrafficRun implements ClientTransport.Events {

    /** Closed loop: the fallback refill period (completions on the sender's own loop refill at once). */
    static final long TICK_MICROS = 1_000;
    static final long MIN_SLEEP_NANOS = 20_000;
    /** Most sends per peer per tick in open loop, so that a stalled loop catches up without starving reads. */
    private static final int MAX_BURST = 256;
    private static final byte[] BROADCAST = Wire.ascii("*");
    private static final byte[] GROUP = Wire.ascii("@bench");
    static final String GROUP_JSON = "[{\"name\":\"bench\"}]";

    private final Options options;
    private final Options.Scenario scenario;
    private final Peer[] peers;
    private final int[][] peersByMesh;
    private final Wire wire;
    private final MessageTable table = new MessageTable();
    private final boolean relay;
    private final boolean multicast;
    private final byte[] multicastTarget;
    private final List<Worker> workers = new ArrayList<>();
    private final BrokerProbe probe;

    private volatile long measureStartNanos = Long.MAX_VALUE;
    private volatile long sendEndNanos = Long.MAX_VALUE;

    private final LongAdder sentAll = new LongAdder();
    private final LongAdder completedAll = new LongAdder();
    private final LongAdder duplicates = new LongAdder();
    private final LongAdder redeliveries = new LongAdder();
    private final LongAdder notSent = new LongAdder();
    private final LongAdder systemPushes = new LongAdder();
    private final LongAdder foreignFrames = new LongAdder();
    private final LongAdder protocolErrors = new LongAdder();
    private final Map<String, LongAdder> errorSamples = new ConcurrentHashMap<>();

    TrafficRun(Options options, Peer[] peers, int meshCount, Wire wire, BrokerProbe probe) {
        this.options = options;
        this.scenario = options.scenario();
        this.peers = peers;
        this.wire = wire;
        this.probe = probe;
        this.relay = scenario == Options.Scenario.RELAY;
        this.multicast = scenario == Options.Scenario.BROADCAST || scenario == Options.Scenario.GROUP;
        this.multicastTarget = scenario == Options.Scenario.GROUP ? GROUP : BROADCAST;
        int[] counts = new int[meshCount];
        for (Peer p : peers) {
            counts[p.mesh]++;
        }
        peersByMesh = new int[meshCount][];
        for (int m = 0; m < meshCount; m++) {
            peersByMesh[m] = new int[counts[m]];
            counts[m] = 0;
        }
        for (Peer p : peers) {
            peersByMesh[p.mesh][counts[p.mesh]++] = p.index;
        }
        computeFanOut();
    }

    /** Pushes one multicast of each sender should produce: live leases of the mesh, not of its own member. */
    private void computeFanOut() {
        if (!multicast) {
            return;
        }
        Map<String, int[]> byMember = new java.util.HashMap<>();
        int[] all = new int[peersByMesh.length];
        for (Peer p : peers) {
            boolean counts = scenario == Options.Scenario.BROADCAST || p.inGroup;
            if (counts) {
                all[p.mesh]++;
                byMember.computeIfAbsent(p.member.id(), k -> new int[1])[0]++;
            }
        }
        for (Peer p : peers) {
            int[] own = byMember.get(p.member.id());
            p.multicastFanOut = all[p.mesh] - (own == null ? 0 : own[0]);
        }
    }

    /** Runs warmup, the measured window and the drain; returns the report. */
    Report run() throws InterruptedException {
        Map<EventLoop, Worker> byLoop = new IdentityHashMap<>();
        long seed = System.nanoTime();
        for (Peer p : peers) {
            EventLoop loop = p.channel.eventLoop();
            Worker w = byLoop.computeIfAbsent(loop, l -> new Worker(l, seed + byLoop.size()));
            w.peers.add(p);
            p.worker = w;
        }
        workers.addAll(byLoop.values());

        long t0 = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(100);
        long interval = options.openLoop() ? Math.round(peers.length * 1e9 / options.ratePerSec()) : 0;
        for (Peer p : peers) {
            p.intervalNanos = interval;
            p.nextIntendedNanos = t0 + (long) ((double) interval * p.index / peers.length);
        }
        measureStartNanos = t0 + TimeUnit.MILLISECONDS.toNanos(options.warmupMs());
        sendEndNanos = measureStartNanos + TimeUnit.MILLISECONDS.toNanos(options.durationMs());
        CountDownLatch started = new CountDownLatch(workers.size());
        for (Worker w : workers) {
            w.loop.execute(() -> {
                if (options.openLoop()) {
                    w.ticker = w.loop.schedule(() -> tick(w), Math.max(0, t0 - System.nanoTime()), TimeUnit.NANOSECONDS);
                } else {
                    w.ticker = w.loop.scheduleAtFixedRate(() -> tick(w), 0, TICK_MICROS, TimeUnit.MICROSECONDS);
                }
                started.countDown();
            });
        }
        started.await();

        sleepUntil(measureStartNanos);
        BrokerProbe.Sample before = probe.sample();
        sleepUntil(sendEndNanos);
        BrokerProbe.Sample after = probe.sample();

        long drainEnd = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(options.drainMs());
        while (System.nanoTime() < drainEnd && completedAll.sum() < sentAll.sum()) {
            Thread.sleep(20);
        }
        quiesce();
        return account(before, after);
    }

    private static void sleepUntil(long nanos) throws InterruptedException {
        long left;
        while ((left = nanos - System.nanoTime()) > 0) {
            TimeUnit.NANOSECONDS.sleep(Math.min(left, 50_000_000));
        }
    }

    /** Stops the tickers and waits for each loop to pass a barrier, so that the accounting sees all their writes. */
    private void quiesce() throws InterruptedException {
        CountDownLatch stopped = new CountDownLatch(workers.size());
        for (Worker w : workers) {
            w.loop.execute(() -> {
                w.stopped = true;
                if (w.ticker != null) {
                    w.ticker.cancel(false);
                }
                stopped.countDown();
            });
        }
        stopped.await(10, TimeUnit.SECONDS);
    }

    // ------------------------------------------------------------------------------------------ sending

    /**
     * Sends what is due on this loop. Open loop: then sleeps until the earliest next intended send (at least
     * {@value #MIN_SLEEP_NANOS} ns), so an idle schedule costs no wake-ups; closed loop: runs every
     * {@value #TICK_MICROS} µs, refilling windows whose completions arrived on another loop.
     */
    private void tick(Worker w) {
        if (w.stopped) {
            return;
        }
        long now = System.nanoTime();
        long end = sendEndNanos;
        boolean open = options.openLoop();
        int window = options.window();
        long earliest = Long.MAX_VALUE;
        for (Peer p : w.peers) {
            if (!p.ready()) {
                continue;
            }
            if (open) {
                int burst = 0;
                while (p.nextIntendedNanos <= now && p.nextIntendedNanos < end && burst++ < MAX_BURST) {
                    send(w, p, p.nextIntendedNanos);
                    p.nextIntendedNanos += p.intervalNanos;
                }
                if (p.nextIntendedNanos < end) {
                    earliest = Math.min(earliest, p.nextIntendedNanos);
                }
            } else if (now < end) {
                while (p.inFlight.get() < window && send(w, p, now)) {
                    // fill the window
                }
            }
            if (p.unflushed) {
                p.unflushed = false;
                p.channel.flush();
            }
        }
        if (open && earliest != Long.MAX_VALUE) {
            long delay = Math.max(MIN_SLEEP_NANOS, earliest - System.nanoTime());
            w.ticker = w.loop.schedule(() -> tick(w), delay, TimeUnit.NANOSECONDS);
        }
    }

    /** Sends one message from {@code p}, meant to go out at {@code intendedNanos}. False when it could not. */
    private boolean send(Worker w, Peer p, long intendedNanos) {
        Channel ch = p.channel;
        if (!ch.isWritable()) {
            notSent.increment();
            return false;
        }
        int target;
        byte[] targetSpec;
        int expected;
        if (multicast) {
            target = -1;
            targetSpec = multicastTarget;
            expected = p.multicastFanOut;
        } else {
            int[] mesh = peersByMesh[p.mesh];
            int r = mesh[w.random.nextInt(mesh.length - 1)];
            target = r == p.index ? mesh[mesh.length - 1] : r;
            targetSpec = peers[target].routingKey;
            expected = 1;
        }
        long index = table.allocate();
        boolean measured = intendedNanos >= measureStartNanos && intendedNanos < sendEndNanos;
        int remaining = relay ? 1 : expected + 1;
        table.publish(index, intendedNanos, p.index, target, expected, measured, remaining);
        p.inFlight.incrementAndGet();
        sentAll.increment();
        ByteBuf frame = wire.send(ch.alloc(), index, targetSpec, relay ? target : -1);
        ch.write(new TextWebSocketFrame(frame), ch.voidPromise());
        p.unflushed = true;
        return true;
    }

    // ------------------------------------------------------------------------------------------ receiving

    @Override
    public void ready(Peer p) {
    }

    @Override
    public void failed(Peer p, String why) {
    }

    @Override
    public void frame(Peer p, ByteBuf b) {
        if (Wire.startsWith(b, Wire.PUSH)) {
            onPush(p, b);
        } else if (Wire.startsWith(b, Wire.ACK)) {
            onAck(p, b);
        } else if (Wire.startsWith(b, Wire.RELAYED)) {
            onRelayed(p, b);
        } else if (Wire.startsWith(b, Wire.SYSTEM_PUSH)) {
            systemPushes.increment();
        } else {
            error("unexpected frame: " + Wire.text(b, b.readerIndex(), 100));
        }
    }

    @Override
    public void readComplete(Peer p) {
        p.unflushed = false;
        p.channel.flush();
    }

    @Override
    public void closed(Peer p) {
        if (System.nanoTime() < sendEndNanos + TimeUnit.MILLISECONDS.toNanos(options.drainMs())) {
            error("peer closed by the server: " + (p.closeReason == null ? "(no close frame)" : p.closeReason));
        }
    }

    private void error(String what) {
        protocolErrors.increment();
        if (errorSamples.size() < 32 || errorSamples.containsKey(what)) {
            errorSamples.computeIfAbsent(what, k -> new LongAdder()).increment();
        }
    }

    private void onPush(Peer p, ByteBuf b) {
        int at = Wire.afterLast(b, Wire.CLIENT_MESSAGE_ID);
        long index = at < 0 ? -1 : wire.messageIndexAt(b, at);
        MessageTable.Chunk c = table.chunkOrNull(index);
        if (c == null) {
            foreignFrames.increment();
            return;
        }
        int o = MessageTable.offset(index);
        long intended = c.intendedNanos.getAcquire(o);
        if (intended == 0) {
            foreignFrames.increment();
            return;
        }
        long now = System.nanoTime();
        if (multicast) {
            if (!MessageTable.addRecipient(c, o, p.index, peers.length)) {
                duplicates.increment();
                return;
            }
            c.delivered.incrementAndGet(o);
            if (c.measured[o]) {
                Worker.record(p.worker.pushMicros, now - intended);
            }
            complete(c, o);
            return;
        }
        if (c.target[o] != p.index) {
            error("DM pushed to the wrong peer");
            return;
        }
        int brokerIdAt = b.readerIndex() + Wire.PUSH.length;
        long h = Wire.idHash(b, brokerIdAt);
        long prev = c.pushHash.compareAndExchange(o, 0, h);
        if (prev == 0) {
            c.delivered.set(o, 1);
            if (c.measured[o]) {
                Worker.record(p.worker.pushMicros, now - intended);
            }
            complete(c, o);
        } else if (prev == h) {
            redeliveries.increment();
        } else {
            duplicates.increment();
        }
        p.channel.write(new TextWebSocketFrame(wire.clientAck(p.channel.alloc(), index, b, brokerIdAt)),
                p.channel.voidPromise());
        p.unflushed = true;
    }

    private void onRelayed(Peer p, ByteBuf b) {
        int at = Wire.afterLast(b, Wire.CLIENT_MESSAGE_ID);
        long index = at < 0 ? -1 : wire.messageIndexAt(b, at);
        MessageTable.Chunk c = table.chunkOrNull(index);
        if (c == null) {
            foreignFrames.increment();
            return;
        }
        int o = MessageTable.offset(index);
        long intended = c.intendedNanos.getAcquire(o);
        if (intended == 0) {
            foreignFrames.increment();
            return;
        }
        if (c.target[o] != p.index) {
            error("relayed to the wrong peer");
            return;
        }
        if (!c.delivered.compareAndSet(o, 0, 1)) {
            duplicates.increment();
            return;
        }
        if (c.measured[o]) {
            Worker.record(p.worker.pushMicros, System.nanoTime() - intended);
        }
        complete(c, o);
    }

    private void onAck(Peer p, ByteBuf b) {
        int at = b.readerIndex() + Wire.ACK.length;
        long index = wire.messageIndexAt(b, at);
        MessageTable.Chunk c = table.chunkOrNull(index);
        if (c == null) {
            foreignFrames.increment();
            return;
        }
        int o = MessageTable.offset(index);
        long intended = c.intendedNanos.getAcquire(o);
        if (intended == 0 || c.sender[o] != p.index) {
            error("ack on the wrong socket");
            return;
        }
        if (c.ackState[o] != MessageTable.ACK_NONE) {
            error("second ack for one send");
            return;
        }
        if (Wire.after(b, Wire.QUEUED_TRUE, at) >= 0) {
            c.ackState[o] = MessageTable.ACK_QUEUED;
            c.ackHash[o] = Wire.idHash(b, Wire.after(b, Wire.MESSAGE_ID, at));
            if (c.measured[o]) {
                Worker.record(p.worker.ackMicros, System.nanoTime() - intended);
            }
            complete(c, o);
        } else {
            c.ackState[o] = MessageTable.ACK_FAILED;
            error("ack queued:false: " + Wire.text(b, Wire.after(b, Wire.ERROR_TEXT, at), 80));
            if (c.remaining.getAndSet(o, 0) > 0) {
                peers[c.sender[o]].inFlight.decrementAndGet();
                completedAll.increment();
            }
        }
    }

    /**
     * One awaited event of row {@code o} arrived; the last one frees the sender's window slot. In closed loop, when
     * the sender lives on this loop, its window is refilled at once (flushed once at the end of this read burst);
     * otherwise the sender's ticker refills it.
     */
    private void complete(MessageTable.Chunk c, int o) {
        if (c.remaining.decrementAndGet(o) == 0) {
            Peer sender = peers[c.sender[o]];
            sender.inFlight.decrementAndGet();
            completedAll.increment();
            if (!options.openLoop() && sender.worker != null && sender.worker.loop.inEventLoop()) {
                refill(sender.worker, sender, System.nanoTime());
            }
        }
    }

    /** Closed loop: tops {@code p}'s window up while sending; marks it for the end-of-burst flush. */
    private void refill(Worker w, Peer p, long now) {
        if (now >= sendEndNanos || !p.ready() || w.stopped) {
            return;
        }
        int window = options.window();
        boolean sent = false;
        while (p.inFlight.get() < window && send(w, p, now)) {
            sent = true;
        }
        if (sent && !w.flushScheduled) {
            w.flushScheduled = true;
            w.loop.execute(() -> flushAll(w));
        }
    }

    private static void flushAll(Worker w) {
        w.flushScheduled = false;
        for (Peer p : w.peers) {
            if (p.unflushed) {
                p.unflushed = false;
                p.channel.flush();
            }
        }
    }

    // ------------------------------------------------------------------------------------------ accounting

    private Report account(BrokerProbe.Sample before, BrokerProbe.Sample after) {
        long sent = 0;
        long acked = 0;
        long pushed = 0;
        long failedAcks = 0;
        long unacked = 0;
        long lost = 0;
        long idMismatch = 0;
        long n = table.size();
        for (long i = 0; i < n; i++) {
            MessageTable.Chunk c = table.chunk(i);
            int o = MessageTable.offset(i);
            byte ack = c.ackState[o];
            int delivered = c.delivered.get(o);
            boolean ok = relay || ack == MessageTable.ACK_QUEUED;
            if (ok && delivered < c.expected[o]) {
                lost += c.expected[o] - delivered;
            }
            if (!relay && !multicast && ack == MessageTable.ACK_QUEUED && delivered > 0
                    && c.ackHash[o] != c.pushHash.get(o)) {
                idMismatch++;
            }
            if (!c.measured[o]) {
                continue;
            }
            sent++;
            pushed += delivered;
            if (relay) {
                acked += delivered;
            } else if (ack == MessageTable.ACK_QUEUED) {
                acked++;
            } else if (ack == MessageTable.ACK_FAILED) {
                failedAcks++;
            } else {
                unacked++;
            }
        }
        if (idMismatch > 0) {
            errorSamples.computeIfAbsent("ack messageId differs from the pushed messageId", k -> new LongAdder())
                    .add(idMismatch);
        }
        Histogram push = new Histogram(Worker.MAX_MICROS, 3);
        Histogram ack = new Histogram(Worker.MAX_MICROS, 3);
        for (Worker w : workers) {
            push.add(w.pushMicros);
            ack.add(w.ackMicros);
        }
        double seconds = options.durationMs() / 1000.0;
        Report r = Report.base(options, wire);
        r.sent = sent;
        r.acked = acked;
        r.pushed = pushed;
        r.unacked = relay ? sent - acked : unacked;
        r.lost = lost;
        r.duplicates = duplicates.sum();
        r.redeliveries = redeliveries.sum();
        r.notSent = notSent.sum();
        r.errors = protocolErrors.sum() + idMismatch;
        r.failedAcks = failedAcks;
        r.durationS = seconds;
        r.ackedPerSec = acked / seconds;
        r.pushedPerSec = pushed / seconds;
        r.sentPerSec = sent / seconds;
        r.framesPerSec = relay ? 2 * r.pushedPerSec
                : multicast ? (sent + acked + pushed) / seconds : 4 * r.ackedPerSec;
        r.pushLatencyMs = Report.Latency.of(push);
        r.ackLatencyMs = relay ? null : Report.Latency.of(ack);
        r.systemPushes = systemPushes.sum();
        r.foreignFrames = foreignFrames.sum();
        errorSamples.forEach((k, v) -> r.errorSamples.put(k, v.sum()));
        r.applyProbes(before, after);
        r.perMessage(relay ? pushed : acked);
        return r;
    }
}
